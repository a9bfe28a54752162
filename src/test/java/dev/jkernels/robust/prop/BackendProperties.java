package dev.jkernels.robust.prop;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.Reference;
import org.opentest4j.AssertionFailedError;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The properties, as plain static methods over a CPU and an EMULATED backend, so that the JUnit
 * tests and the sanitizer child JVM ({@link PropertyMain}) run exactly the same code.
 */
public final class BackendProperties {
    private BackendProperties() {}

    /** Every property by name: what {@link PropertyMain} and the tests run. */
    public static final List<String> NAMES = List.of("gemm", "conv", "activation", "invalid", "interleavings");

    /** Runs property {@code name} with the runner's settings; returns the number of cases. */
    public static long run(String name) {
        try (Backend cpu = Backends.cpu(2); Backend emu = Backends.emulated()) {
            return switch (name) {
                case "gemm" -> Props.run(name, 300, r -> gemm(r, cpu, emu));
                case "conv" -> Props.run(name, 400, r -> conv(r, cpu, emu));
                case "activation" -> Props.run(name, 400, r -> activation(r, cpu, emu));
                case "invalid" -> Props.run(name, 2000, r -> invalid(r, cpu, emu));
                case "interleavings" -> Props.run(name, 40, BackendProperties::interleavings);
                case "planted-oob" -> PlantedBug.launchOutOfBounds(emu);
                default -> throw new IllegalArgumentException("no property " + name + "; expected one of " + NAMES);
            };
        }
    }

    // ---- valid cases agree --------------------------------------------------------------------

    private static final GemmAlgorithm[] GEMM_ALGOS = {GemmAlgorithm.AUTO, GemmAlgorithm.NAIVE, GemmAlgorithm.TILED,
            GemmAlgorithm.REGISTER_BLOCKED, GemmAlgorithm.WARP_TILED};

    static void gemm(SplittableRandom r, Backend cpu, Backend emu) {
        int m = Cases.size(r, 70), n = Cases.size(r, 70), k = Cases.size(r, 70);
        boolean ta = r.nextBoolean(), tb = r.nextBoolean(), hasBias = r.nextBoolean();
        float alpha = r.nextInt(5) == 0 ? 0f : (float) (r.nextDouble() * 4 - 2);
        float beta = r.nextBoolean() ? 0f : (float) (r.nextDouble() * 2 - 1);
        Activation act = Cases.activation(r);
        GemmSpec spec = GemmSpec.builder().transA(ta).transB(tb).alpha(alpha).beta(beta).bias(hasBias).activation(act)
                .algorithm(GEMM_ALGOS[r.nextInt(GEMM_ALGOS.length)]).build();
        double edge = 0.3;
        float[] a = Cases.data(r, m * k, edge), b = Cases.data(r, k * n, edge), c = Cases.data(r, m * n, edge);
        float[] bias = hasBias ? Cases.data(r, n, edge) : null;
        // DESIGN's epilogue: v = alpha·acc (+ beta·C, C never read when beta = 0). alpha = 0 still multiplies, so a NaN in
        // A or B gives NaN (cuBLAS would skip A·B there: BLAS semantics).
        double[] pre = Reference.gemm(m, n, k, a, ta, b, tb, alpha, beta, c, bias, Activation.identity());
        // |alpha| at least 1 in the scale: the FP32 accumulator overflows before alpha scales it (0·Inf = NaN).
        double[] scale = Reference.gemm(m, n, k, Cases.finiteAbs(a), ta, Cases.finiteAbs(b), tb, Math.max(1, Math.abs(alpha)), Math.abs(beta),
                Cases.finiteAbs(c), Cases.finiteAbs(bias), Activation.identity());
        float[] onCpu = gemmOn(cpu, spec, m, n, k, a, b, c, bias), onEmu = gemmOn(emu, spec, m, n, k, a, b, c, bias);
        Cases.agree("gemm M=" + m + " N=" + n + " K=" + k + " " + spec, act, k, pre, scale, onCpu, onEmu);
    }

    private static float[] gemmOn(Backend be, GemmSpec spec, int m, int n, int k, float[] a, float[] b, float[] c, float[] bias) {
        try (TensorScope s = new TensorScope()) {
            Tensor ta = s.track(be.tensor(a, spec.shapeA(m, k))), tb = s.track(be.tensor(b, spec.shapeB(k, n)));
            Tensor tc = s.track(be.tensor(c, m, n));
            Tensor tbias = bias == null ? null : s.track(be.tensor(bias, n));
            be.gemm(spec, ta, tb, tbias, tc);
            return tc.toArray();
        }
    }

    private static final ConvAlgorithm[] CONV_ALGOS = java.util.Arrays.stream(ConvAlgorithm.values())
            .filter(a -> a.runs(dev.jkernels.Precision.FP32)).toArray(ConvAlgorithm[]::new);

    static void conv(SplittableRandom r, Backend cpu, Backend emu) {
        ConvCase cc = Cases.conv(r);
        ConvAlgorithm algo = CONV_ALGOS[r.nextInt(CONV_ALGOS.length)];
        Conv2dSpec spec = cc.spec().toBuilder().algorithm(algo).build();
        double edge = 0.3;
        // Padding is zeros that are multiplied like any input (PyTorch): 0·Inf = NaN. Not every path does that: the
        // direct kernel and the CPU's implicit conv paths skip padded taps, so an infinite or NaN filter tap over
        // padding gives them a finite value where the implicit GEMM kernels give NaN (found by this property; reported
        // in issue 12's notes; the kernels are not this test's to change). Non-finite filter values are drawn only
        // where that cannot show: no padding.
        boolean padded = Arrays.stream(cc.referencePadding()).anyMatch(p -> p > 0);
        // Winograd transforms its input tiles by sums and differences before any product, so an infinite input
        // gives Inf − Inf = NaN where the exact result (and every other path) is ±Inf, as in cuDNN's and oneDNN's
        // Winograd (ConvAlgorithm.WINOGRAD says so; AUTO never picks it): its cases draw ordinary values only.
        double inEdge = algo == ConvAlgorithm.WINOGRAD ? 0 : edge, fEdge = algo == ConvAlgorithm.WINOGRAD || padded ? 0 : edge;
        float[] in = Cases.data(r, cc.inputSize(), inEdge), f = Cases.data(r, cc.filterSize(), fEdge);
        float[] bias = cc.bias() ? Cases.data(r, cc.k(), edge) : null;
        ConvCase plain = cc.activation(Activation.identity());
        double[] pre = Cases.convZeroPadded(cc, in, f, bias);
        double[] scale = Reference.conv2d(plain, Cases.finiteAbs(in), Cases.finiteAbs(f), Cases.finiteAbs(bias));
        float[] onCpu = convOn(cpu, cc, spec, in, f, bias), onEmu = convOn(emu, cc, spec, in, f, bias);
        Cases.agree("conv " + cc + " " + algo, cc.activation(), cc.reductionLength(), pre, scale, onCpu, onEmu);
    }

    private static float[] convOn(Backend be, ConvCase cc, Conv2dSpec spec, float[] in, float[] f, float[] bias) {
        try (TensorScope s = new TensorScope()) {
            Tensor ti = s.track(be.tensor(in, cc.layout(), cc.inputDims())), tf = s.track(be.tensor(f, cc.filterDims()));
            Tensor tb = bias == null ? null : s.track(be.tensor(bias, cc.k()));
            return s.track(be.conv2dActivation(spec, cc.activation(), ti, tf, tb)).toArray();
        }
    }

    static void activation(SplittableRandom r, Backend cpu, Backend emu) {
        Activation act = Cases.activation(r);
        int n = Cases.size(r, 65) * (r.nextBoolean() ? 1 : Cases.size(r, 33));
        float[] x = Cases.edgeHeavy(r, n), dy = Cases.edgeHeavy(r, n);
        boolean inPlace = r.nextBoolean();
        float[][] fwd = new float[2][], bwd = new float[2][];
        Backend[] both = {cpu, emu};
        for (int i = 0; i < 2; i++) {
            Backend be = both[i];
            try (Tensor tx = be.tensor(x, n)) {
                if (inPlace) {
                    try (Tensor copy = be.copyOf(tx)) {
                        be.activation(act, copy, copy);
                        fwd[i] = copy.toArray();
                    }
                } else {
                    try (Tensor y = be.activation(act, tx)) { fwd[i] = y.toArray(); }
                }
                float[] saved = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? x : fwd[0];
                try (Tensor ts = be.tensor(saved, n); Tensor tdy = be.tensor(dy, n)) {
                    if (inPlace) {
                        be.activationBackward(act, ts, tdy, tdy);
                        bwd[i] = tdy.toArray();
                    } else {
                        try (Tensor dx = be.zeros(n)) {
                            be.activationBackward(act, ts, tdy, dx);
                            bwd[i] = dx.toArray();
                        }
                    }
                }
            }
        }
        double[] pre = new double[n], scale = new double[n];
        for (int i = 0; i < n; i++) {
            pre[i] = x[i];
            scale[i] = Float.isFinite(x[i]) ? Math.abs(x[i]) * 1e-1 : 0;  // element-wise: the bound is relative to |f(x)|
        }
        Cases.agree(act + " forward on " + n + (inPlace ? " (in place)" : ""), act, 1, pre, scale, fwd[0], fwd[1]);
        for (int i = 0; i < n; i++) {
            // dx = dy·f′: f′ is computed in FP32 (1 − tanh², e.g.), whose rounding is relative to 1, not to f′; scaled by |dy|.
            float p = bwd[0][i], q = bwd[1][i];
            float savedI = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? x[i] : fwd[0][i];
            if (Cases.backwardDiffersKnown(dy[i])) continue;
            boolean agree = Float.isNaN(p) ? Float.isNaN(q) : p == q || Float.isFinite(p) && Float.isFinite(q)
                    && Math.abs(p - q) <= 2e-6 * Math.abs(dy[i]) + 8e-6 * Math.abs(p) + 1e-30;
            if (!agree) {
                throw new AssertionFailedError(act + " backward element " + i + ": cpu " + bwd[0][i] + ", emulated " + bwd[1][i]
                        + " (saved " + (act.kind().backwardInput() == Activation.BackwardInput.INPUT ? x[i] : fwd[0][i]) + ", dy " + dy[i] + ")");
            }
        }
    }

    // ---- invalid cases are rejected identically, outputs untouched -------------------------------

    /** What one invalid call did on one backend. */
    private record Outcome(String exception, String message, boolean outputUntouched) {
        @Override public String toString() { return exception + ": " + message + (outputUntouched ? "" : " [OUTPUT MODIFIED]"); }
    }

    /** The kinds of invalid call; each builds its tensors from the case's own random stream. */
    static final int INVALID_KINDS = 20;

    static void invalid(SplittableRandom r, Backend cpu, Backend emu) {
        int kind = r.nextInt(INVALID_KINDS);
        long dataSeed = r.nextLong();
        Outcome a = attempt(cpu, emu, kind, dataSeed), b = attempt(emu, cpu, kind, dataSeed);
        if (a == null || b == null) {
            throw new AssertionFailedError("invalid kind " + kind + " was accepted: cpu " + a + ", emulated " + b);
        }
        boolean sizeLimit = kind == 19;  // the backends' memory limits differ by design: same class, own messages
        if (!a.exception.equals(b.exception) || !sizeLimit && !Cases.backendFree(a.message).equals(Cases.backendFree(b.message))) {
            throw new AssertionFailedError("invalid kind " + kind + " rejected differently: cpu " + a + " / emulated " + b);
        }
        if (!a.exception.equals(IllegalArgumentException.class.getName()) && !a.exception.equals(IllegalStateException.class.getName())) {
            throw new AssertionFailedError("invalid kind " + kind + ": expected IllegalArgumentException or IllegalStateException, got " + a);
        }
        if (!a.outputUntouched || !b.outputUntouched) throw new AssertionFailedError("invalid kind " + kind + ": " + a + " / " + b);
    }

    /** Runs invalid call {@code kind} on {@code be}; null when it was (wrongly) accepted. */
    private static Outcome attempt(Backend be, Backend other, int kind, long dataSeed) {
        SplittableRandom r = new SplittableRandom(dataSeed);
        try (TensorScope s = new TensorScope()) {
            Tensor[] out = new Tensor[1];
            int m = Cases.size(r, 20), n = Cases.size(r, 20), k = Cases.size(r, 20);
            java.util.function.BiFunction<Integer, int[], Tensor> t = (seed, dims) -> {
                long count = Shape.of(dims).elementCount();
                return s.track(be.tensor(Cases.data(new SplittableRandom(seed), (int) count, 0.2), dims));
            };
            Runnable call;
            switch (kind) {
                case 0 -> { // K mismatch
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k + 1, n});
                    out[0] = t.apply(3, new int[] {m, n});
                    call = () -> be.gemm(GemmSpec.plain(), a, b, null, out[0]);
                }
                case 1 -> { // c of the wrong shape
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k, n});
                    out[0] = t.apply(3, new int[] {m, n + 1});
                    call = () -> be.gemm(GemmSpec.plain(), a, b, null, out[0]);
                }
                case 2 -> { // bias of the wrong length
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k, n}), bias = t.apply(4, new int[] {n + 1});
                    out[0] = t.apply(3, new int[] {m, n});
                    call = () -> be.gemm(GemmSpec.builder().bias(true).build(), a, b, bias, out[0]);
                }
                case 3 -> { // a bias the spec does not have
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k, n}), bias = t.apply(4, new int[] {n});
                    out[0] = t.apply(3, new int[] {m, n});
                    call = () -> be.gemm(GemmSpec.plain(), a, b, bias, out[0]);
                }
                case 4 -> { // c is a view of a
                    Tensor a = t.apply(1, new int[] {m, m}), b = t.apply(2, new int[] {m, m});
                    out[0] = Tensor.ofStorage(be, a.storage(), a.shape(), Layout.PLAIN);
                    call = () -> be.gemm(GemmSpec.builder().transA(r.nextBoolean()).build(), a, b, null, out[0]);
                }
                case 5 -> { // a of rank 3
                    Tensor a = t.apply(1, new int[] {2, m, k}), b = t.apply(2, new int[] {k, n});
                    out[0] = t.apply(3, new int[] {m, n});
                    call = () -> be.gemm(GemmSpec.plain(), a, b, null, out[0]);
                }
                case 6 -> { // filters' channels are not C/groups
                    Tensor in = t.apply(1, new int[] {1, 2 + k % 3, 6, 6}), f = t.apply(2, new int[] {n, 1 + (2 + k % 3), 3, 3});
                    out[0] = t.apply(3, new int[] {1, n, 4, 4});
                    call = () -> be.conv2d(Conv2dSpec.builder().build(), in, f, null, out[0]);
                }
                case 7 -> { // conv output of the wrong shape
                    Tensor in = t.apply(1, new int[] {1, 2, 7, 7}), f = t.apply(2, new int[] {n, 2, 3, 3});
                    out[0] = t.apply(3, new int[] {1, n, 6, 5});
                    call = () -> be.conv2d(Conv2dSpec.builder().build(), in, f, null, out[0]);
                }
                case 8 -> { // groups do not divide C
                    Tensor in = t.apply(1, new int[] {1, 5, 6, 6}), f = t.apply(2, new int[] {4, 1, 3, 3});
                    out[0] = t.apply(3, new int[] {1, 4, 4, 4});
                    call = () -> be.conv2d(Conv2dSpec.builder().groups(2 + r.nextInt(2)).build(), in, f, null, out[0]);
                }
                case 9 -> { // window larger than the padded input
                    Tensor in = t.apply(1, new int[] {1, 1, 3 + m % 4, 5}), f = t.apply(2, new int[] {2, 1, 9, 3});
                    call = () -> be.conv2d(Conv2dSpec.builder().padding(r.nextInt(2)).build(), in, f, null).close();
                }
                case 10 -> { // padding that pushes the output past 2^31
                    Tensor in = t.apply(1, new int[] {1, 1, 7, 7}), f = t.apply(2, new int[] {1, 1, 3, 3});
                    int big = Integer.MAX_VALUE - r.nextInt(4);  // every output size below is at least 2^31 + 1
                    Conv2dSpec spec = Conv2dSpec.builder().padding(r.nextBoolean() ? Padding.of(big, big, 0, 0) : Padding.of(0, 0, big, 1)).build();
                    call = () -> be.conv2d(spec, in, f, null).close();
                }
                case 11 -> { // conv output is a view of its input (1x1 filters keep the shape)
                    Tensor in = t.apply(1, new int[] {1, 3, 5, 5}), f = t.apply(2, new int[] {3, 3, 1, 1});
                    out[0] = Tensor.ofStorage(be, in.storage(), in.shape(), Layout.NCHW);
                    call = () -> be.conv2d(Conv2dSpec.builder().build(), in, f, null, out[0]);
                }
                case 12 -> { // activation output of another shape
                    Tensor x = t.apply(1, new int[] {m, n});
                    out[0] = t.apply(2, new int[] {m, n + 1});
                    call = () -> be.activation(Activation.relu(), x, out[0]);
                }
                case 13 -> { // backward dx is a view of saved
                    Tensor saved = t.apply(1, new int[] {m, n}), dy = t.apply(2, new int[] {m, n});
                    out[0] = Tensor.ofStorage(be, saved.storage(), Shape.of(m, n), Layout.PLAIN);
                    call = () -> be.activationBackward(Activation.gelu(), saved, dy, out[0]);
                }
                case 14 -> { // a closed input
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k, n});
                    out[0] = t.apply(3, new int[] {m, n});
                    (r.nextBoolean() ? a : b).close();
                    call = () -> be.gemm(GemmSpec.plain(), a, b, null, out[0]);
                }
                case 15 -> { // copy into another shape
                    Tensor x = t.apply(1, new int[] {m, n});
                    out[0] = t.apply(2, new int[] {n, m + 1});
                    call = () -> be.copy(x, out[0]);
                }
                case 16 -> { // copyTo a read-only buffer: nothing may be written through it
                    Tensor x = t.apply(1, new int[] {m, n});
                    FloatBuffer target = java.nio.ByteBuffer.allocateDirect(m * n * 4).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                    FloatBuffer ro = target.asReadOnlyBuffer();
                    call = () -> {
                        try {
                            x.copyTo(ro);
                        } finally {
                            for (int i = 0; i < m * n; i++) if (target.get(i) != 0f) throw new AssertionFailedError("read-only buffer written");
                        }
                    };
                }
                case 17 -> { // a tensor on another backend's storage
                    try (Tensor foreign = other.zeros(m, n)) {
                        call = () -> Tensor.ofStorage(be, foreign.storage(), foreign.shape(), Layout.PLAIN);
                        return outcome(call, null);
                    }
                }
                case 18 -> { // the allocating gemm with beta != 0
                    Tensor a = t.apply(1, new int[] {m, k}), b = t.apply(2, new int[] {k, n});
                    call = () -> be.gemm(GemmSpec.builder().beta(0.5f).build(), a, b, null).close();
                }
                default -> { // shapes: a zero or negative dimension, or more elements than the backends hold
                    int[][] shapes = {{m, 0}, {-n, 3}, {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE},
                            {1 << 16, 1 << 16}, {1 << 20, 1 << 14, 4}, {1 << 30, 1 << 30, 4}};
                    int[] dims = shapes[r.nextInt(shapes.length)];
                    call = () -> be.zeros(dims).close();
                }
            }
            return outcome(call, out[0]);
        }
    }

    private static Outcome outcome(Runnable call, Tensor output) {
        float[] before = output == null ? null : output.toArray();
        try {
            call.run();
            return null;
        } catch (AssertionFailedError e) {
            throw e;
        } catch (RuntimeException e) {
            boolean untouched = output == null || output.isClosed() || Arrays.equals(before, output.toArray());
            return new Outcome(e.getClass().getName(), e.getMessage(), untouched);
        }
    }

    // ---- op/close interleavings ----------------------------------------------------------------

    /**
     * A random program on a fresh backend (CPU or EMULATED): a few threads run random ops on shared
     * tensors while another closes some of them, and maybe the backend, at random moments. Every op
     * gives exactly the result it gave before the race (the backends are deterministic) or fails
     * with {@link IllegalStateException}; nothing hangs.
     */
    static void interleavings(SplittableRandom r) throws Exception {
        for (boolean emulated : new boolean[] {false, true}) {
            Backend be = emulated ? Backends.emulated() : Backends.cpu(1 + r.nextInt(2));
            int m = Cases.size(r, 24), k = Cases.size(r, 24), n = Cases.size(r, 24);
            Tensor a = be.tensor(Cases.data(r, m * k, 0.2), m, k), b = be.tensor(Cases.data(r, k * n, 0.2), k, n);
            Tensor x = be.tensor(Cases.edgeHeavy(r, m * n), m, n);
            Tensor img = be.tensor(Cases.data(r, 2 * 3 * 6 * 6, 0.2), 2, 3, 6, 6), f = be.tensor(Cases.data(r, 4 * 3 * 3 * 3, 0.2), 4, 3, 3, 3);
            Tensor[] pool = {a, b, x, img, f};
            Activation act = Cases.activation(r);
            Conv2dSpec spec = Conv2dSpec.builder().padding(1).build();
            List<Supplier<float[]>> ops = List.of(
                    () -> { try (Tensor c = be.gemm(GemmSpec.plain(), a, b, null)) { return c.toArray(); } },
                    () -> { try (Tensor y = be.activation(act, x)) { return y.toArray(); } },
                    () -> { try (Tensor y = be.conv2dActivation(spec, act, img, f, null)) { return y.toArray(); } },
                    () -> { try (Tensor y = be.copyOf(x)) { return y.toArray(); } },
                    () -> { try (Tensor dx = be.zeros(m, n)) { be.activationBackward(act, x, x, dx); return dx.toArray(); } },
                    a::toArray);
            float[][] expected = new float[ops.size()][];
            for (int i = 0; i < ops.size(); i++) expected[i] = ops.get(i).get();
            int threads = 2 + r.nextInt(3);
            long[] opSeeds = new long[threads];
            for (int i = 0; i < threads; i++) opSeeds[i] = r.nextLong();
            AtomicReference<Throwable> bad = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                SplittableRandom tr = new SplittableRandom(opSeeds[i]);
                int count = 3 + tr.nextInt(20);
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        for (int j = 0; j < count; j++) {
                            int op = tr.nextInt(ops.size());
                            float[] got;
                            try {
                                got = ops.get(op).get();
                            } catch (IllegalStateException closed) {
                                continue;
                            }
                            if (!Arrays.equals(got, expected[op])) throw new AssertionFailedError("op " + op + " gave another result under the race");
                        }
                    } catch (Throwable e) {
                        bad.compareAndSet(null, e);
                    }
                });
                ts.add(t);
                t.start();
            }
            go.countDown();
            int closes = r.nextInt(pool.length + 1);
            for (int i = 0; i < closes; i++) {
                if (r.nextBoolean()) Thread.sleep(r.nextInt(3));
                else Thread.onSpinWait();
                pool[r.nextInt(pool.length)].close();
            }
            boolean closeBackend = r.nextInt(4) == 0;
            if (closeBackend) be.close();
            for (Thread t : ts) {
                t.join(120_000);
                if (t.isAlive()) throw new AssertionFailedError((emulated ? "emulated" : "cpu") + ": an op thread hangs");
            }
            for (Tensor t : pool) t.close();
            be.close();
            if (bad.get() != null) {
                throw new AssertionFailedError((emulated ? "emulated" : "cpu") + ": an op failed other than with IllegalStateException, "
                        + closes + " tensor closes" + (closeBackend ? " and a backend close" : ""), bad.get());
            }
        }
    }
}
