package dev.jkernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Runs, once per JVM and before any kernel, a short interpreted loop that passes operators of every
 * kind through the Vector API's shared dispatch methods, so that their type profiles are
 * polymorphic from the start. Without it, on JDK 17, the activation loops were compiled into boxed,
 * allocating code in some JVM runs and not in others (SiLU 4 M floats: 1.5 ms or 7-21 ms, 2 threads).
 *
 * <p>Why: every lane-wise op goes through {@code VectorOperators.opKind(op, bit)}, which casts
 * {@code op} to its implementation class. While our kernels warm up in the interpreter, C2 compiles
 * the JDK's generic {@code Float512Vector.lanewise(op, v)} standalone, with {@code op} a parameter;
 * if the first profiled calls saw one operator class only (MUL and ADD are one class, SUB and DIV
 * another), C2 speculates on it, and the first SUB deoptimises: a class-check trap recorded in
 * {@code opKind}'s profile (4-6 of them, measured with {@code -XX:+LogCompilation}). C2 then adds
 * that count once for every inlined copy of {@code opKind} when it compiles a kernel loop, and past
 * {@code PerMethodTrapLimit} (100) class-check traps in one compilation it stops speculating on
 * types at all: SiLU's loop (24 copies of {@code opKind}, 6 traps each: 144) lost the exact type
 * of its result, its {@code intoArray} intrinsic failed ("missing constant: vclass=DecodeN") and
 * every vector was boxed. GELU's loop failed the same way in some runs. With polymorphic profiles
 * C2 never speculates at these casts, nothing traps, and the kernels' counts stay at 0. The same
 * holds for IntVector's shifts ({@code lanewiseShiftTemplate}, 4 traps when only one shift kind
 * had been seen).
 *
 * <p>The loop runs interpreted (a few thousand iterations, well under C2's thresholds for the loop
 * itself), so the profiled calls reach the shared methods one by one with their operator as data;
 * it costs 10-20 ms once, when the CPU backend class is first loaded. JDK 25 met neither failure in
 * the same runs; the priming is harmless there.
 */
final class VectorProfilePriming {
    private VectorProfilePriming() {}

    /** Enough interpreted calls for C1 to compile and profile the shared methods (~200 calls each to tier 3). */
    private static final int ITERATIONS = 4000;

    /** Keeps the loop's result alive, so that it is not dead code to any compiler. */
    static volatile float sink;

    /** Runs the priming loop; called once, from {@link CpuBackend}'s class initialisation. */
    static void prime() {
        VectorSpecies<Float> s = VectorMath.S;
        FloatVector a = FloatVector.broadcast(s, 1.5f);
        FloatVector b = FloatVector.broadcast(s, 0.25f);
        IntVector bits = IntVector.broadcast(VectorSpecies.of(int.class, s.vectorShape()), 3);
        for (int i = 0; i < ITERATIONS; i++) {
            // One op of each operator class per iteration, in an order that alternates classes:
            // associative (add, mul, min, max, and, or), plain binary (sub, div), unary (neg, abs),
            // ternary (fma), comparison (lt, compare), and the three shifts.
            FloatVector c = a.add(b).sub(b).neg().mul(b).abs().div(b).fma(b, a).min(a).max(b);
            VectorMask<Float> lt = c.lt(a);
            a = c.blend(a, lt.or(c.compare(VectorOperators.GT, b))).mul(0.5f).add(0.75f);
            bits = bits.lanewise(VectorOperators.LSHL, 2).sub(bits).lanewise(VectorOperators.ASHR, 1)
                    .add(bits).lanewise(VectorOperators.LSHR, 1).and(0x7f).or(1);
        }
        sink = a.lane(0) + bits.lane(0);
    }
}
