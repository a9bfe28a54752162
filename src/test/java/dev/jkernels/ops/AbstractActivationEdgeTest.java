package dev.jkernels.ops;

import dev.jkernels.Activation;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.PyTorchSpecialValues;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The NaN/Inf rule of {@link Activation} on one backend, element-wise and fused: every activation
 * against PyTorch's values at the special points (NaN, ±Inf, ±0, subnormals, saturation thresholds,
 * ±Float.MAX_VALUE); against the Java definition there (the CPU and kernel definitions tested
 * against each other, ±Inf saved values included); NaN through every GEMM and conv epilogue; and
 * PReLU with per-channel slopes, element-wise and in both epilogues.
 */
public abstract class AbstractActivationEdgeTest extends BackendTestBase {

    /** GEMM implementations to run the fused checks on (kernel backends: every variant). */
    protected List<GemmAlgorithm> gemmAlgorithms() { return List.of(GemmAlgorithm.AUTO); }

    /** Conv implementations to run the fused checks on. */
    protected List<ConvAlgorithm> convAlgorithms() { return List.of(ConvAlgorithm.AUTO); }

    static List<String> keys() { return PyTorchSpecialValues.keys(); }

    static List<Activation> activations() { return ActivationCatalog.all(); }

    private static boolean fromOutput(Activation act) {
        return act.kind().backwardInput() == Activation.BackwardInput.OUTPUT;
    }

    private float[] forward(Activation act, float[] x) {
        try (Tensor tx = backend.tensor(x, x.length); Tensor ty = backend.activation(act, tx)) {
            return ty.toArray();
        }
    }

    private float[] backward(Activation act, float[] saved, float[] dy) {
        try (Tensor ts = backend.tensor(saved, saved.length); Tensor tdy = backend.tensor(dy, dy.length);
             Tensor tdx = backend.zeros(saved.length)) {
            backend.activationBackward(act, ts, tdy, tdx);
            return tdx.toArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void matchesPyTorchAtSpecialValues(String key) {
        PyTorchSpecialValues.Table t = PyTorchSpecialValues.get(key);
        Activation act = t.activation();
        float[] y = forward(act, t.x());
        PyTorchSpecialValues.checkForward(backend.name(), t, y);
        float[] saved = fromOutput(act) ? y : t.x();
        float[] dys = PyTorchSpecialValues.dys();
        float[] ones = new float[saved.length];
        Arrays.fill(ones, 1f);
        float[] unit = backward(act, saved, ones);
        for (int d = 0; d < dys.length; d++) {
            float[] dy = new float[saved.length];
            Arrays.fill(dy, dys[d]);
            PyTorchSpecialValues.checkBackward(backend.name(), t, d, backward(act, saved, dy), unit);
        }
    }

    /** The special points plus the ones PyTorch's table leaves out (backward at ±Inf and NaN). */
    private static float[] specialInputs(Activation act) {
        List<Float> xs = new ArrayList<>(List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
                Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL, -Float.MIN_NORMAL, 3f, -3f, 6f, -6f,
                Math.nextUp(3f), Math.nextDown(3f), Math.nextUp(-3f), Math.nextDown(-3f), Math.nextUp(6f), Math.nextDown(6f),
                20f, Math.nextUp(20f), 10f, Math.nextUp(10f), 88.72f, -88.72f, 89f, -89f, -103.9f, 1e4f, -1e4f,
                5e19f, -5e19f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE));
        for (double k : Reference.kinks(act)) {
            float f = (float) k;
            xs.addAll(List.of(f, Math.nextUp(f), Math.nextDown(f)));
        }
        float[] x = new float[xs.size()];
        for (int i = 0; i < x.length; i++) x[i] = xs.get(i);
        return x;
    }

    /**
     * This backend against {@link Activation#apply(float)} and {@link Activation#backward} (the CPU
     * backend's definitions) at the special points: NaN where it is NaN, the same infinities, exact
     * zeros where the definition masks the gradient, else within rounding of FP32 functions.
     * NaN is accepted for ±Inf·f′ where this backend's f′ underflowed to 0 and the double-precision
     * definition's did not.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void agreesWithTheJavaDefinitionAtSpecialValues(Activation act) {
        float[] x = specialInputs(act);
        int n = x.length;
        float[] y = forward(act, x);
        Tolerance tol = Tolerance.elementwise();
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < n; i++) {
            float e = act.apply(x[i]);
            if (!same(y[i], e, tol)) bad.append("\n  f(").append(x[i]).append("): got ").append(y[i]).append(", Java ").append(e);
        }
        float[] saved = fromOutput(act) ? y : x;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        float[] unit = backward(act, saved, ones);
        for (float dyv : new float[] {1f, -0.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE}) {
            float[] dy = new float[n];
            Arrays.fill(dy, dyv);
            float[] dx = backward(act, saved, dy);
            for (int i = 0; i < n; i++) {
                float e = act.backward(saved[i], dyv);
                boolean ok = e == 0f && !Float.isFinite(dyv) ? dx[i] == 0f
                        : same(dx[i], e, new Tolerance(4e-6 * (Float.isFinite(dyv) ? Math.abs(dyv) : 1), 2e-5))
                          || (Float.isNaN(dx[i]) && Float.isInfinite(e) && unit[i] == 0f)
                          || (Float.isInfinite(dyv) && Float.isNaN(e) && Float.isNaN(dx[i]));
                if (!ok) {
                    bad.append("\n  backward at saved ").append(saved[i]).append(" (x ").append(x[i]).append("), dy ")
                            .append(dyv).append(": got ").append(dx[i]).append(", Java ").append(e);
                }
            }
        }
        if (bad.length() > 0) fail(backend.name() + " vs the Java definition of " + act + ":" + bad);
    }

    private static boolean same(float got, float expected, Tolerance tol) {
        if (Float.isNaN(expected)) return Float.isNaN(got);
        // f′ a hair above 1 times dy = Float.MAX_VALUE: Inf in double, MAX_VALUE where f′ rounds to 1 in float
        if (Float.isInfinite(expected)) {
            return got == expected || (Math.abs(got) >= 0.999f * Float.MAX_VALUE && Math.signum(got) == Math.signum(expected));
        }
        if (Float.isNaN(got) || Float.isInfinite(got)) {
            // an FP32 function may overflow a hair earlier than the double definition rounded to float
            return Float.isInfinite(got) && Math.abs(expected) >= 0.999f * Float.MAX_VALUE && Math.signum(got) == Math.signum(expected);
        }
        return tol.accepts(got, expected) || Math.abs(got - expected) <= 1e-6 * Math.abs(expected);
    }

    // ---- NaN through the fused epilogues ---------------------------------------------------------

    /** One NaN in A row 1 makes output row 1 NaN (and nothing else NaN), for every activation and GEMM variant. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void nanPropagatesThroughTheGemmEpilogue(Activation act) {
        int m = 5, n = 7, k = 9;
        float[] a = RandomData.uniform(RandomData.seedOf(act, 61), m * k, -1f, 1f);
        float[] b = RandomData.uniform(RandomData.seedOf(act, 62), k * n, -1f, 1f);
        float[] bias = RandomData.uniform(RandomData.seedOf(act, 63), n, -1f, 1f);
        a[1 * k + 4] = Float.NaN;
        for (GemmAlgorithm alg : gemmAlgorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(backend.tensor(a, m, k));
                Tensor tb = scope.track(backend.tensor(b, k, n));
                Tensor tbias = scope.track(backend.tensor(bias, n));
                GemmSpec spec = GemmSpec.builder().bias(true).activation(act).algorithm(alg).build();
                float[] c = scope.track(backend.gemm(spec, ta, tb, tbias)).toArray();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        boolean nan = Float.isNaN(c[i * n + j]);
                        if (nan != (i == 1)) fail(act + " " + alg + ": C[" + i + "][" + j + "] = " + c[i * n + j]);
                    }
                }
            }
        }
    }

    /** A NaN input pixel makes exactly the outputs whose window covers it NaN, both layouts, every conv variant. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void nanPropagatesThroughTheConvEpilogue(Activation act) {
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            ConvCase cc = ConvCase.of(1, 2, 6, 5, 3, 3, 3).bias(true).layout(layout);
            float[] in = RandomData.uniform(RandomData.seedOf(act, 71), cc.inputSize(), -1f, 1f);
            float[] f = RandomData.uniform(RandomData.seedOf(act, 72), cc.filterSize(), -1f, 1f);
            float[] bias = RandomData.uniform(RandomData.seedOf(act, 73), cc.k(), -1f, 1f);
            int ch = 1, py = 2, px = 4; // channel 1, row 2, column 4 (the last column)
            in[layout == Layout.NCHW ? (ch * cc.h() + py) * cc.w() + px : (py * cc.w() + px) * cc.c() + ch] = Float.NaN;
            for (ConvAlgorithm alg : convAlgorithms()) {
                Conv2dSpec spec = cc.spec().toBuilder().algorithm(alg).build();
                try (TensorScope scope = new TensorScope()) {
                    Tensor tin = scope.track(backend.tensor(in, layout, cc.inputDims()));
                    Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
                    Tensor tb = scope.track(backend.tensor(bias, cc.k()));
                    float[] out = scope.track(backend.conv2dActivation(spec, act, tin, tf, tb)).toArray();
                    int p = cc.referenceP(), q = cc.referenceQ();
                    for (int kk = 0; kk < cc.k(); kk++) {
                        for (int i = 0; i < p; i++) {
                            for (int j = 0; j < q; j++) {
                                boolean covers = py - i >= 0 && py - i < cc.r() && px - j >= 0 && px - j < cc.s();
                                int o = layout == Layout.NCHW ? (kk * p + i) * q + j : (i * q + j) * cc.k() + kk;
                                if (Float.isNaN(out[o]) != covers) {
                                    fail(act + " " + alg + " " + layout + ": out[k=" + kk + "][" + i + "][" + j + "] = " + out[o]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // ---- PReLU with per-channel slopes -------------------------------------------------------------

    private static float[] slopes(int c, long seed) { return RandomData.uniform(seed, c, -0.5f, 0.8f); }

    private void checkElementwisePRelu(float[] x, Layout layout, int[] dims, int channels, long stride) {
        float[] s = slopes(channels, 81 + channels);
        float[] dy = RandomData.uniform(82, x.length, -1f, 1f);
        double[] ey = new double[x.length], edx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double sl = s[(int) ((i / stride) % channels)];
            ey[i] = x[i] > 0 ? x[i] : sl * x[i];
            edx[i] = Float.isNaN(x[i]) ? Double.NaN : x[i] > 0 ? dy[i] : sl * dy[i]; // the rule: NaN saved, NaN dx
        }
        try (TensorScope scope = new TensorScope()) {
            Tensor ts = scope.track(backend.tensor(s, channels));
            Activation act = Activation.prelu(ts);
            Tensor tx = scope.track(backend.tensor(x, layout, dims));
            Tensor ty = scope.track(backend.activation(act, tx));
            Tolerance.elementwise().assertClose("prelu " + layout + " " + Arrays.toString(dims), ty.toArray(), ey);
            Tensor tdx = scope.track(backend.zeros(layout, dims));
            backend.activationBackward(act, tx, scope.track(backend.tensor(dy, layout, dims)), tdx);
            Tolerance.elementwise().assertClose("prelu backward " + layout + " " + Arrays.toString(dims), tdx.toArray(), edx);
            backend.activation(act, tx, tx); // in place
            Tolerance.elementwise().assertClose("prelu in place", tx.toArray(), ey);
        }
    }

    @Test
    void preluPerChannelElementwise() {
        int n = 3, c = 5, h = 7, w = 9;
        float[] x = RandomData.uniform(80, n * c * h * w, -3f, 3f);
        x[17] = Float.NaN;
        checkElementwisePRelu(x, Layout.NCHW, new int[] {n, c, h, w}, c, (long) h * w);
        checkElementwisePRelu(x, Layout.NHWC, new int[] {n, h, w, c}, c, 1);
        float[] x2 = Arrays.copyOf(x, 13 * 29);
        checkElementwisePRelu(x2, Layout.PLAIN, new int[] {13, 29}, 29, 1);
        checkElementwisePRelu(Arrays.copyOf(x, 31), Layout.PLAIN, new int[] {31}, 1, 1);
        float[] y;
        try (Tensor ts = backend.tensor(new float[] {0.5f}, 1); Tensor tx = backend.tensor(new float[] {Float.NaN, -2f}, 2);
             Tensor ty = backend.activation(Activation.prelu(ts), tx)) {
            y = ty.toArray();
        }
        assertTrue(Float.isNaN(y[0]), "prelu(NaN)");
        assertEquals(-1f, y[1]);
    }

    @Test
    void preluSlopesAreChecked() {
        try (TensorScope scope = new TensorScope()) {
            Tensor x = scope.track(backend.zeros(2, 3, 4, 4));
            Tensor wrong = scope.track(backend.zeros(4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.activation(Activation.prelu(wrong), x));
            assertTrue(e.getMessage().contains("prelu slopes") && e.getMessage().contains("[3]"), e.getMessage());
            Tensor a = scope.track(backend.zeros(5, 6));
            Tensor b = scope.track(backend.zeros(6, 7));
            GemmSpec spec = GemmSpec.builder().activation(Activation.prelu(wrong)).build();
            e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(spec, a, b, null));
            assertTrue(e.getMessage().contains("[7]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Activation.prelu(scope.track(backend.zeros(2, 2))));
        }
    }

    @Test
    void preluPerColumnInTheGemmEpilogue() {
        checkPReluGemm(33, 65, 17);
        checkPReluGemm(40, 7, 9); // skinny C: the CPU backend computes Cᵀ, the slopes then index rows
    }

    private void checkPReluGemm(int m, int n, int k) {
        float[] a = RandomData.uniform(91, m * k, -1f, 1f);
        float[] b = RandomData.uniform(92, k * n, -1f, 1f);
        float[] bias = RandomData.uniform(93, n, -1f, 1f);
        float[] s = slopes(n, 94);
        double[] lin = Reference.gemm(m, n, k, a, false, b, false, 1, 0, null, bias, Activation.identity());
        double[] expected = new double[lin.length];
        for (int i = 0; i < lin.length; i++) expected[i] = lin[i] > 0 ? lin[i] : s[i % n] * lin[i];
        for (GemmAlgorithm alg : gemmAlgorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ts = scope.track(backend.tensor(s, n));
                Tensor ta = scope.track(backend.tensor(a, m, k));
                Tensor tb = scope.track(backend.tensor(b, k, n));
                Tensor tbias = scope.track(backend.tensor(bias, n));
                GemmSpec spec = GemmSpec.builder().bias(true).activation(Activation.prelu(ts)).algorithm(alg).build();
                float[] fused = scope.track(backend.gemm(spec, ta, tb, tbias)).toArray();
                Tolerance tol = Tolerance.forReduction(k).times(2);
                tol.assertClose("prelu gemm " + alg, fused, expected);
                // fused equals unfused: the plain GEMM, then the element-wise PReLU on [M, N]
                Tensor plain = scope.track(backend.gemm(GemmSpec.builder().bias(true).algorithm(alg).build(), ta, tb, tbias));
                tol.assertClose("prelu gemm fused vs two-launch " + alg, fused,
                        scope.track(backend.activation(Activation.prelu(ts), plain)).toArray());
            }
        }
    }

    @Test
    void preluPerChannelInTheConvEpilogue() {
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            ConvCase cc = ConvCase.of(2, 3, 9, 11, 7, 3, 3).same().bias(true).layout(layout);
            float[] in = RandomData.uniform(101, cc.inputSize(), -2f, 2f);
            float[] f = RandomData.uniform(102, cc.filterSize());
            float[] bias = RandomData.uniform(103, cc.k());
            float[] s = slopes(cc.k(), 104);
            double[] lin = Reference.conv2d(cc.activation(Activation.identity()), in, f, bias);
            int pq = cc.referenceP() * cc.referenceQ();
            double[] expected = new double[lin.length];
            for (int i = 0; i < lin.length; i++) {
                int ch = layout == Layout.NCHW ? (i / pq) % cc.k() : i % cc.k();
                expected[i] = lin[i] > 0 ? lin[i] : s[ch] * lin[i];
            }
            for (ConvAlgorithm alg : convAlgorithms()) {
                Conv2dSpec spec = cc.spec().toBuilder().algorithm(alg).build();
                try (TensorScope scope = new TensorScope()) {
                    Tensor ts = scope.track(backend.tensor(s, cc.k()));
                    Tensor tin = scope.track(backend.tensor(in, layout, cc.inputDims()));
                    Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
                    Tensor tb = scope.track(backend.tensor(bias, cc.k()));
                    float[] fused = scope.track(backend.conv2dActivation(spec, Activation.prelu(ts), tin, tf, tb)).toArray();
                    Tolerance tol = Tolerance.forReduction(cc.reductionLength()).times(4);
                    tol.assertClose("prelu conv " + layout + " " + alg, fused, expected);
                    Tensor conv = scope.track(backend.conv2d(spec, tin, tf, tb));
                    tol.assertClose("prelu conv fused vs two-launch " + layout + " " + alg, fused,
                            scope.track(backend.activation(Activation.prelu(ts), conv)).toArray());
                }
            }
        }
    }
}
