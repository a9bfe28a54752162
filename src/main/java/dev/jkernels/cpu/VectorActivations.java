package dev.jkernels.cpu;

import static dev.jkernels.cpu.VectorMath.S;

import dev.jkernels.Activation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Every activation's forward and backward as one small Vector API function each, and the loops that
 * run them over array ranges. The scalar twin of each function is its definition in
 * {@link Activation} ({@code apply}, {@code derivative}); {@code VectorActivationsTest} checks one
 * against the other and both against double precision, at NaN, ±Inf, ±0, subnormals and the
 * saturation thresholds.
 *
 * <p>Rules every function here follows:
 * <ul>
 *   <li>Piecewise kinds are masks and blends, never a branch per element: every lane computes every
 *       piece, a compare picks one. Compares are written so that NaN fails them and the NaN lane
 *       falls through to an arithmetic piece, so NaN in gives NaN out.</li>
 *   <li>Backward follows {@link Activation}'s rule: on the flat pieces dx is exactly 0 whatever dy
 *       holds; saved = NaN gives NaN ({@link #nanFrom}); elsewhere f′(saved) is formed first and
 *       then multiplied by dy.</li>
 *   <li>Parameters arrive as two floats {@code a, b} ({@link #paramA}, {@link #paramB}); PReLU here
 *       is its one-shared-slope form (per-channel slopes are a separate pass in {@link CpuBackend}).</li>
 * </ul>
 *
 * <p>Adding a kind: write {@code fooFwd(FloatVector x, float a, float b)} and {@code fooBwd(FloatVector
 * saved, FloatVector dy, float a, float b)} below and add its entry (two one-line loops) to
 * {@link #kernels}. A kind without an entry returns
 * false from {@link #forward} and {@link #backward}, and the caller
 * ({@link ActivationRanges}) runs the scalar definition instead: never wrong, only slower.
 *
 * <p>Why one loop per kind, each behind a method handle, rather than one loop calling a per-kind
 * function object, or one method holding every kind's loop: the Vector API only stays in registers
 * when C2 inlines the whole chain below the loop; a shared loop calling many different lambdas
 * becomes megamorphic, one big method runs out of inlining budget, and a loop inlined into its
 * callers runs out of inline depth; each way vectors get boxed (measured: sigmoid backward 4.4 ms
 * against 0.8 ms for 4 M floats, one thread; more at {@link Kernel}).
 */
final class VectorActivations {
    private VectorActivations() {}

    private static final int L = S.length();
    /** Double lanes of the same vector size, for HardSigmoid's backward mask. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());
    private static final FloatVector K1 = FloatVector.broadcast(S, 1f);
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286536f;
    private static final float GELU_TANH_C = 0.044715f;
    private static final float SELU_ALPHA = (float) Activation.SELU_ALPHA;
    private static final float SELU_SCALE = (float) Activation.SELU_SCALE;

    /**
     * The activation's parameter {@code a} (issue 13's model: LeakyReLU's slope, ELU's α, Swish's β,
     * SELU's α, Softplus's β, HardSigmoid's α) and {@code b} (SELU's γ, Softplus's threshold,
     * HardSigmoid's β): the one place that maps an {@link Activation} to the two floats.
     */
    static float paramA(Activation act) { return act.a(); }

    static float paramB(Activation act) { return act.b(); }

    // ---------------------------------------------------------------- forward, one function per kind

    static FloatVector identityFwd(FloatVector x, float a, float b) { return x; }

    static FloatVector reluFwd(FloatVector x, float a, float b) { return x.blend(0f, x.lt(0f)); }

    static FloatVector leakyReluFwd(FloatVector x, float a, float b) { return x.blend(x.mul(a), x.lt(0f)); }

    static FloatVector eluFwd(FloatVector x, float a, float b) {
        return x.blend(VectorMath.expm1(x).mul(a), x.lt(0f));
    }

    static FloatVector sigmoidFwd(FloatVector x, float a, float b) { return VectorMath.sigmoid(x); }

    static FloatVector tanhFwd(FloatVector x, float a, float b) { return VectorMath.tanh(x); }

    /** x·Φ(x) with Φ from erfc on both sides, so the negative tail keeps its relative precision. */
    static FloatVector geluFwd(FloatVector x, float a, float b) { return x.mul(normalCdf(x)); }

    /** 0.5·x·(1 + tanh u) = x·σ(2u): the same value, without the cancellation of 1 + tanh at −∞. */
    static FloatVector geluTanhFwd(FloatVector x, float a, float b) {
        return x.mul(VectorMath.sigmoid(geluTanhU(x).mul(2f)));
    }

    /** Swish x·σ(a·x); SiLU is a = 1. */
    static FloatVector siluFwd(FloatVector x, float a, float b) { return x.mul(VectorMath.sigmoid(x.mul(a))); }

    static FloatVector relu6Fwd(FloatVector x, float a, float b) {
        return x.blend(0f, x.lt(0f)).blend(6f, x.compare(VectorOperators.GT, 6f));
    }

    /** b·(x &gt; 0 ? x : a·(eˣ − 1)): a = α, b = γ. */
    static FloatVector seluFwd(FloatVector x, float a, float b) {
        return x.mul(b).blend(VectorMath.expm1(x).mul(a * b), x.lt(0f));
    }

    /** a·x &gt; b ? x : log(1 + e^(a·x))/a, the log term as (max(ax, 0) + log1p(e^−|ax|))/a: a = β, b = threshold. */
    static FloatVector softplusFwd(FloatVector x, float a, float b) {
        FloatVector ax = x.mul(a);
        FloatVector sp = ax.max(0f).add(VectorMath.log1p(VectorMath.exp(ax.abs().neg())));
        return sp.mul(1f / a).blend(x, ax.compare(VectorOperators.GT, b));
    }

    /** clamp(a·x + b, 0, 1): PyTorch a = 1/6, b = 1/2. */
    static FloatVector hardSigmoidFwd(FloatVector x, float a, float b) {
        FloatVector v = x.fma(a, b);
        return v.blend(0f, v.lt(0f)).blend(1f, v.compare(VectorOperators.GT, 1f));
    }

    /** PReLU with one shared slope a: x &gt; 0 ? x : a·x, written as the scalar form (−0 and NaN alike). */
    static FloatVector preluFwd(FloatVector x, float a, float b) { return x.mul(a).blend(x, x.compare(VectorOperators.GT, 0f)); }

    /** x·(clamp(x + 3, 0, 6)/6): x itself from 3 on (no x·6 to overflow), −Inf gives NaN as PyTorch (−Inf·0). */
    static FloatVector hardswishFwd(FloatVector x, float a, float b) {
        FloatVector c = x.add(3f);
        c = c.blend(0f, c.lt(0f)).mul(1f / 6f);
        return x.mul(c).blend(x, x.compare(VectorOperators.GE, 3f));
    }

    /**
     * x·tanh(softplus x) from one e = eˣ: tanh(log(1 + e)) = n/(n + 2) with n = e·(e + 2), no
     * cancellation for x → −∞ (n ≈ 2e); past x = 20 tanh(softplus x) is 1 in float (and n would overflow).
     */
    static FloatVector mishFwd(FloatVector x, float a, float b) {
        FloatVector e = VectorMath.exp(x.min(20f));
        FloatVector n = e.add(2f).mul(e);
        return x.mul(n.div(n.add(2f))).blend(x, x.compare(VectorOperators.GT, 20f));
    }

    /** x &gt; 0 ? x : a·(e^(x/a) − 1). */
    static FloatVector celuFwd(FloatVector x, float a, float b) {
        return x.blend(VectorMath.expm1(x.mul(1f / a)).mul(a), x.lt(0f));
    }

    /** x / (1 + |x|) (±Inf give NaN, as PyTorch's x / (|x| + 1)). */
    static FloatVector softsignFwd(FloatVector x, float a, float b) { return x.div(x.abs().add(1f)); }

    /** clamp(x, a, b), NaN passing. */
    static FloatVector hardtanhFwd(FloatVector x, float a, float b) {
        return x.blend(a, x.lt(a)).blend(b, x.compare(VectorOperators.GT, b));
    }

    /** x &lt;= a ? 0 : x (NaN passes: the compare fails for it). */
    static FloatVector thresholdedReluFwd(FloatVector x, float a, float b) {
        return x.blend(0f, x.compare(VectorOperators.LE, a));
    }

    // --------------------------------------------------------------- backward, one function per kind
    // saved is x or y = f(x) as the kind's Activation.BackwardInput says; kinks take the left derivative.

    static FloatVector identityBwd(FloatVector s, FloatVector dy, float a, float b) { return dy; }

    static FloatVector reluBwd(FloatVector y, FloatVector dy, float a, float b) {
        return nanFrom(y, FloatVector.zero(S).blend(dy, y.compare(VectorOperators.GT, 0f)));
    }

    static FloatVector leakyReluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return nanFrom(x, dy.mul(a).blend(dy, x.compare(VectorOperators.GT, 0f)));
    }

    static FloatVector eluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return dy.mul(VectorMath.exp(x.min(0f)).mul(a)).blend(dy, x.compare(VectorOperators.GT, 0f));   // NaN: exp(NaN)
    }

    static FloatVector sigmoidBwd(FloatVector y, FloatVector dy, float a, float b) {
        return dy.mul(y).mul(y.neg().add(1f));
    }

    static FloatVector tanhBwd(FloatVector y, FloatVector dy, float a, float b) {
        return dy.mul(y.neg().fma(y, FloatVector.broadcast(S, 1f)));
    }

    /** Φ(x) + x·φ(x). */
    static FloatVector geluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return geluBwdCdf(x, dy, geluBwdPdf(x, dy, a, b), a, b);
    }

    /**
     * GELU′ in two halves, x·φ(x), then dy·(Φ(x) + that): its loop runs them as two passes (see
     * there). f′ is formed before dy multiplies it, so dy = ±Inf gives ±Inf where f′ ≠ 0.
     */
    static FloatVector geluBwdPdf(FloatVector x, FloatVector dy, float a, float b) {
        return x.mul(VectorMath.exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI));   // finite x: 0 past |x| ≈ 14
    }

    static FloatVector geluBwdCdf(FloatVector x, FloatVector dy, FloatVector partial, float a, float b) {
        return dy.mul(normalCdf(x).add(partial));
    }

    /** σ(2u) + 2x·σ(2u)·σ(−2u)·u′: 0.5(1 + t) and 0.5x(1 − t²)u′ without cancellation. */
    static FloatVector geluTanhBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector u2 = geluTanhU(x).mul(2f);
        FloatVector e = VectorMath.exp(u2.abs().neg());
        FloatVector big = FloatVector.broadcast(S, 1f).div(e.add(1f)), small = e.mul(big);
        VectorMask<Float> neg = u2.lt(0f);
        FloatVector s = big.blend(small, neg), sn = small.blend(big, neg);
        FloatVector du = x.mul(x).fma(3f * GELU_TANH_C * SQRT_2_OVER_PI, SQRT_2_OVER_PI);
        FloatVector t = x.mul(2f).mul(s).mul(sn).mul(du);
        // Past |2u| = 36.7, tanh u is ±1 in double: f′ is exactly 1 or 0 there, as the scalar
        // definition (and PyTorch) gives it, so dy = ±Inf gives NaN, not ±Inf·tiny.
        FloatVector far = FloatVector.zero(S).blend(1f, u2.compare(VectorOperators.GT, 0f));
        FloatVector d = t.add(s).blend(far, u2.abs().compare(VectorOperators.GT, 36.7f));
        return dy.mul(d);
    }

    /** σ(ax)·(1 + a·x·σ(−ax)), both σ from one e^−|ax| and one division. */
    static FloatVector siluBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector ax = x.mul(a);
        FloatVector e = VectorMath.exp(ax.abs().neg());
        FloatVector big = FloatVector.broadcast(S, 1f).div(e.add(1f)), small = e.mul(big);   // σ(|ax|), σ(−|ax|)
        VectorMask<Float> neg = ax.lt(0f);
        FloatVector s = big.blend(small, neg), sn = small.blend(big, neg);
        // s + a·x·s·σ(−ax), the second term 0 once s·σ(−ax) is (its limit at ±∞; no ∞·0), f′ before dy
        FloatVector p = s.mul(sn);
        return dy.mul(s.add(ax.mul(p).blend(0f, p.compare(VectorOperators.EQ, 0f))));
    }

    static FloatVector relu6Bwd(FloatVector x, FloatVector dy, float a, float b) {
        VectorMask<Float> inside = x.compare(VectorOperators.GT, 0f).and(x.lt(6f));
        return nanFrom(x, FloatVector.zero(S).blend(dy, inside));
    }

    static FloatVector seluBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector neg = VectorMath.exp(x.min(0f)).mul(a * b);
        return dy.mul(neg).blend(dy.mul(b), x.compare(VectorOperators.GT, 0f));   // NaN: exp(NaN)
    }

    /** σ(a·x), 1 above the threshold. */
    static FloatVector softplusBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector ax = x.mul(a);
        return dy.mul(VectorMath.sigmoid(ax)).blend(dy, ax.compare(VectorOperators.GT, b));
    }

    static FloatVector preluBwd(FloatVector x, FloatVector dy, float a, float b) { return leakyReluBwd(x, dy, a, b); }

    /** 0 below −3 (whatever dy holds), x/3 + 1/2 on [−3, 3], 1 above; NaN for NaN. */
    static FloatVector hardswishBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector d = x.fma(1f / 3f, 0.5f).blend(1f, x.compare(VectorOperators.GT, 3f));
        return dy.mul(d).blend(0f, x.lt(-3f));
    }

    /**
     * tanh(sp) + x·σ(x)·(1 − tanh²(sp)) from one e = eˣ, n = e(e + 2), d = n + 2: tanh(sp) = n/d,
     * 1 − tanh² = 4(n + 1)/d² and n + 1 = (1 + e)², so f′ = (n·d + 4x·e·(1 + e))/d²; 1 past x = 20.
     */
    static FloatVector mishBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector xc = x.min(20f).max(-120f);                 // below −104 e is 0 and so is f′ (no −∞·0)
        FloatVector e = VectorMath.exp(xc);
        FloatVector n = e.add(2f).mul(e), d = n.add(2f);
        FloatVector num = n.mul(d).add(xc.mul(4f).mul(e).mul(e.add(1f)));
        FloatVector f = num.div(d.mul(d)).blend(1f, x.compare(VectorOperators.GT, 20f))
                .blend(Float.NaN, x.abs().compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));   // ±Inf: NaN, as PyTorch
        return dy.mul(f);
    }

    static FloatVector celuBwd(FloatVector x, FloatVector dy, float a, float b) {
        return dy.mul(VectorMath.exp(x.min(0f).mul(1f / a))).blend(dy, x.compare(VectorOperators.GT, 0f));   // NaN: exp(NaN)
    }

    /** 1/(1 + |x|)², formed before dy multiplies it. */
    static FloatVector softsignBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector d = x.abs().add(1f);
        return dy.mul(K1.div(d.mul(d)));
    }

    static FloatVector hardtanhBwd(FloatVector x, FloatVector dy, float a, float b) {
        VectorMask<Float> inside = x.compare(VectorOperators.GT, a).and(x.lt(b));
        return nanFrom(x, FloatVector.zero(S).blend(dy, inside));
    }

    static FloatVector thresholdedReluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return nanFrom(x, FloatVector.zero(S).blend(dy, x.compare(VectorOperators.GT, a)));
    }

    /**
     * a·dy where 0 &lt; a·x + b &lt; 1, else 0 (x where a·x + b is NaN). The mask is decided in double,
     * as {@link Activation#backward} decides it (a·x exact there; a float fma would round
     * 1 − 2.5e-8 up to 1 at x just below 3): both halves of the vector widened to double lanes,
     * the decision coded as 0 (outside), 1 (inside), 2 (NaN) and narrowed back.
     */
    static FloatVector hardSigmoidBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector code = hardSigmoidCode(x, a, b, 0).add(hardSigmoidCode(x, a, b, 1));
        return FloatVector.zero(S).blend(dy.mul(a), code.compare(VectorOperators.EQ, 1f)).blend(x, code.compare(VectorOperators.EQ, 2f));
    }

    private static FloatVector hardSigmoidCode(FloatVector x, float a, float b, int part) {
        DoubleVector xd = (DoubleVector) x.convertShape(VectorOperators.F2D, D, part);
        DoubleVector v = xd.mul(a).add(b);
        DoubleVector c = DoubleVector.zero(D).blend(1.0, v.compare(VectorOperators.GT, 0.0).and(v.lt(1.0)))
                .blend(2.0, v.compare(VectorOperators.NE, v));
        return (FloatVector) c.convertShape(VectorOperators.D2F, S, -part);
    }

    // ------------------------------------------------------------------------------------ shared pieces

    /** r, except NaN wherever {@code in} is NaN. */
    private static FloatVector nanFrom(FloatVector in, FloatVector r) {
        return r.blend(in, in.compare(VectorOperators.NE, in));   // x ≠ x only for NaN
    }

    /** Φ(x) = erfc(−x/√2)/2: the tail Φ(−|x|) for x &lt; 0, 1 minus it for x ≥ 0. */
    private static FloatVector normalCdf(FloatVector x) {
        FloatVector tail = VectorMath.normalTail(x.abs());
        return K1.sub(tail).blend(tail, x.lt(0f));
    }

    /** √(2/π)·(x + 0.044715·x³). */
    private static FloatVector geluTanhU(FloatVector x) {
        return x.mul(x).fma(GELU_TANH_C, 1f).mul(x).mul(SQRT_2_OVER_PI);
    }

    // ------------------------------------------------------------------------------------------- loops

    /** The index phase at which a large array's vectors are cache-line aligned ({@link ArrayAlignment}). */
    private static final int PHASE = ArrayAlignment.phase(S.vectorByteSize());

    /**
     * Ranges shorter than this start their full vectors at {@code from}, not at the aligned index:
     * they are in cache (a conv epilogue's tile row, a chunk's tail), where an unaligned vector
     * costs no more, and a peeled head costs a second dispatch and a padded copy. In the fused
     * conv's epilogue a tile row of 208 floats at index 0 of its buffer went through three
     * dispatches (12 padded, 192, 4 padded): 4×128×28×28 3×3 with ReLU / GELU fused took 10.05 /
     * 10.35 ms against 9.97 / 10.21 for conv then the activation (one Zen 4 core, CPU time, best
     * of 40); with one dispatch, 9.88 / 10.20 against 10.02 / 10.34.
     */
    private static final int ALIGN_MIN = 1 << 14;

    /** Where the full vectors of [from, to) start: the aligned index for long ranges, else from. */
    private static int vectorStart(int from, int to) {
        return to - from >= ALIGN_MIN ? from + ArrayAlignment.head(from, to, PHASE, L) : from;
    }

    /**
     * y[i] = f(x[i]) for from ≤ i < to ({@code y} may be {@code x}). Full vectors from the first
     * aligned index on long ranges ({@link ArrayAlignment}: unaligned 64-byte accesses cost ReLU a
     * fifth of its bandwidth; {@link #ALIGN_MIN}), the head before it and the tail after the last
     * full vector through a zero-padded vector-sized scratch array, so every element gets the same
     * vector formula (and the loops stay one copy of it: a masked tail would double each loop's
     * IR). False when the kind has no vector form (nothing is written then).
     */
    static boolean forward(Activation act, float[] x, float[] y, int from, int to) {
        MethodHandle k = FWD[act.kind().ordinal()];
        if (k == null) return false;
        float a = paramA(act), b = paramB(act);
        int start = vectorStart(from, to);
        int end = start + (to - start) / L * L;
        if (start > from) forwardPadded(k, x, y, from, start, a, b);
        if (end > start) runFwd(k, x, y, start, end, a, b);
        if (end < to) forwardPadded(k, x, y, end, to, a, b);
        return true;
    }

    /** Fewer than L elements through one padded vector. */
    private static void forwardPadded(MethodHandle k, float[] x, float[] y, int from, int to, float a, float b) {
        float[] t = new float[L];
        System.arraycopy(x, from, t, 0, to - from);
        runFwd(k, t, t, 0, L, a, b);
        System.arraycopy(t, 0, y, from, to - from);
    }

    /** dx[i] = dy[i]·f′(saved[i]) for from ≤ i < to, laid out as {@link #forward}; false when the kind has no vector form. */
    static boolean backward(Activation act, float[] s, float[] g, float[] dx, int from, int to) {
        MethodHandle k = BWD[act.kind().ordinal()];
        if (k == null) return false;
        float a = paramA(act), b = paramB(act);
        int start = vectorStart(from, to);
        int end = start + (to - start) / L * L;
        if (start > from) backwardPadded(k, s, g, dx, from, start, a, b);
        if (end > start) runBwd(k, s, g, dx, start, end, a, b);
        if (end < to) backwardPadded(k, s, g, dx, end, to, a, b);
        return true;
    }

    private static void backwardPadded(MethodHandle k, float[] s, float[] g, float[] dx, int from, int to, float a, float b) {
        float[] ts = new float[L], tg = new float[L];
        System.arraycopy(s, from, ts, 0, to - from);
        System.arraycopy(g, from, tg, 0, to - from);
        runBwd(k, ts, tg, tg, 0, L, a, b);
        System.arraycopy(tg, 0, dx, from, to - from);
    }

    /**
     * One loop object per kind, each kind's vector loop inside its methods, called through a method
     * handle ({@link #FWD}, {@link #BWD}) that C2 cannot inline: every kind's loop is then compiled
     * on its own, as the root of its own compilation. Why it matters: C2 inlines at most 15 calls
     * deep, and the Vector API's own chain under each operation takes most of that; inlined into
     * its callers (the chunk lambdas, the conv epilogue, the pool's worker) a loop ended up past
     * that depth or past the caller's node budget, depending on what had been compiled first, and
     * its vectors were boxed. Measured with a switch over static loop methods, 4 M floats:
     * LeakyReLU after ReLU 3.4 ms against 0.66 ms, SiLU after six other kinds 24 ms against 2.1,
     * GELU on two threads 17.9 ms against 2.7 with 67 MB allocated per call (boxes); with
     * -XX:MaxInlineLevel=30 the slow cases disappeared. A handle call costs a few nanoseconds per
     * range.
     */
    private abstract static class Kernel {
        abstract void fwd(float[] x, float[] y, int i, int to, float a, float b);

        abstract void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b);
    }

    private static final Kernel[] KERNELS = kernels();
    private static final MethodHandle[] FWD = new MethodHandle[KERNELS.length], BWD = new MethodHandle[KERNELS.length];

    static {
        MethodType fwd = MethodType.methodType(void.class, float[].class, float[].class, int.class, int.class, float.class, float.class);
        MethodType bwd = MethodType.methodType(void.class, float[].class, float[].class, float[].class, int.class, int.class, float.class,
                float.class);
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle f = lookup.findVirtual(Kernel.class, "fwd", fwd), b = lookup.findVirtual(Kernel.class, "bwd", bwd);
            for (int i = 0; i < KERNELS.length; i++) {
                if (KERNELS[i] == null) continue;
                FWD[i] = f.bindTo(KERNELS[i]);
                BWD[i] = b.bindTo(KERNELS[i]);
            }
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static void runFwd(MethodHandle h, float[] x, float[] y, int from, int to, float a, float b) {
        try {
            h.invokeExact(x, y, from, to, a, b);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void runBwd(MethodHandle h, float[] s, float[] g, float[] dx, int from, int to, float a, float b) {
        try {
            h.invokeExact(s, g, dx, from, to, a, b);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static Kernel[] kernels() {
        Kernel[] t = new Kernel[Activation.Kind.values().length];
        t[Activation.Kind.IDENTITY.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { if (x != y) System.arraycopy(x, i, y, i, to - i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { if (g != dx) System.arraycopy(g, i, dx, i, to - i); }
        };
        t[Activation.Kind.RELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) reluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) reluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.LEAKY_RELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) leakyReluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) leakyReluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.ELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) eluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) eluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.SIGMOID.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) sigmoidFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) sigmoidBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.TANH.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) tanhFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) tanhBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.GELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) geluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { geluBwd(s, g, dx, i, to, a, b); }
        };
        t[Activation.Kind.GELU_TANH.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) geluTanhFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) geluTanhBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.SILU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) siluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) siluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.RELU6.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) relu6Fwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) relu6Bwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.SELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) seluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) seluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.SOFTPLUS.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) softplusFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) softplusBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.HARD_SIGMOID.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) hardSigmoidFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) hardSigmoidBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.PRELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) preluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) preluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.HARDSWISH.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) hardswishFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) hardswishBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.MISH.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) mishFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) mishBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.CELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) celuFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) celuBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.SOFTSIGN.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) softsignFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) softsignBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.HARDTANH.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) hardtanhFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) hardtanhBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        t[Activation.Kind.THRESHOLDED_RELU.ordinal()] = new Kernel() {
            @Override void fwd(float[] x, float[] y, int i, int to, float a, float b) { for (; i < to; i += L) thresholdedReluFwd(ld(x, i), a, b).intoArray(y, i); }
            @Override void bwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) { for (; i < to; i += L) thresholdedReluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); }
        };
        return t;
    }

    /**
     * GELU′ needs exp and erfc: in one loop that is over C2's node budget (vectors then get boxed,
     * 4× slower), so it runs as two loops over L1-sized chunks, each its own method. dx may be dy.
     */
    private static void geluBwd(float[] s, float[] g, float[] dx, int i, int to, float a, float b) {
        float[] part = new float[Math.min(to - i, 1024)];
        for (int c = i; c < to; c += part.length) {
            int n = Math.min(part.length, to - c);
            geluBwdPdfPass(s, g, part, c, c + n, a, b);
            geluBwdCdfPass(s, g, part, c, c + n, a, b);
            System.arraycopy(part, 0, dx, c, n);
        }
    }

    private static void geluBwdPdfPass(float[] s, float[] g, float[] part, int i, int to, float a, float b) {
        for (int o = 0; i < to; i += L, o += L) geluBwdPdf(ld(s, i), ld(g, i), a, b).intoArray(part, o);
    }

    private static void geluBwdCdfPass(float[] s, float[] g, float[] part, int i, int to, float a, float b) {
        for (int o = 0; i < to; i += L, o += L) geluBwdCdf(ld(s, i), ld(g, i), ld(part, o), a, b).intoArray(part, o);
    }

    private static FloatVector ld(float[] a, int i) { return FloatVector.fromArray(S, a, i); }

}
