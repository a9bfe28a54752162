package dev.jkernels.precision;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Precision;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.cpu.Tf32;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.GemmCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GEMM and conv2d over a grid of odd shapes in every {@link Precision}, against double-precision
 * references, on one backend per subclass (CPU, EMULATED, CUDA: the tensor-core kernels where the
 * device has them, the emulator and the emulated driver included).
 *
 * <p>Tolerances:
 * <ul>
 *   <li>FP32 and FP32_3XTF32: the strict FP32 tolerance the SIMT kernel tests use
 *       ({@link Tolerance#forReduction}, scaled by the epilogue's terms).</li>
 *   <li>TF32, against the reference on the exact inputs: {@code max |got − ref| ≤ 3e-3 · RMS(ref)}.
 *       Why 3e-3: rounding an input to 10 mantissa bits (round to nearest) errs by at most 2^-11 ≈
 *       4.9e-4 relative, about 2.8e-4 RMS; a product carries two such errors (≈ 4e-4 RMS), and over K
 *       independent products they add like a random walk, as the values do, so the error of an
 *       output is about 4e-4 · RMS(ref) whatever K is. The largest of a few thousand outputs lies
 *       within about 4.5 standard deviations: ≈ 1.8e-3 · RMS(ref). 3e-3 leaves 1.7x of margin (the
 *       issue's figure), and a kernel that drops a term or reads a wrong element is off by O(RMS).</li>
 *   <li>TF32, against the reference on the TF32-rounded inputs ({@link Tf32#round}): the strict FP32
 *       tolerance. This is what proves TF32 is TF32 (the inputs are rounded, exactly as
 *       {@code __float_to_tf32}, and nothing else is): an FP32 computation fails it.</li>
 * </ul>
 * Each run records the maximum normalised error {@code max |got − ref| / RMS(ref)} of each
 * precision on each grid; {@link #writeReport} writes them to {@code target/precision-accuracy/}
 * (the accuracy table of benchmarks/results/2026-12-01-tf32-accuracy).
 */
public abstract class AbstractPrecisionGridTest extends BackendTestBase {

    /** TF32 against the exact reference: {@code max |err| ≤ TF32_RMS_TOLERANCE · RMS(ref)} (see the class comment). */
    public static final double TF32_RMS_TOLERANCE = 3e-3;

    static final Precision[] PRECISIONS = Precision.values();

    /** The GEMM grid: odd sizes, both transposes, an epilogue with alpha, beta·C, bias and ReLU. */
    static List<GemmCase> gemmGrid() {
        List<GemmCase> g = new ArrayList<>();
        g.add(GemmCase.plain(1, 1, 1));
        g.add(GemmCase.plain(7, 13, 5));
        g.add(GemmCase.plain(65, 33, 127).withTrans(true, false));
        g.add(GemmCase.plain(33, 65, 129).withTrans(false, true));
        g.add(GemmCase.plain(129, 17, 67).withTrans(true, true));
        g.add(GemmCase.plain(31, 127, 2));
        g.add(GemmCase.plain(64, 64, 257).withAlphaBeta(0.5f, 0.25f).withBias(true).withActivation(Activation.relu()));
        return g;
    }

    /** The conv grid: NCHW and NHWC, padding, stride, dilation, groups, 1x1, depthwise, few channels, bias + ReLU. */
    static List<ConvCase> convGrid() {
        List<ConvCase> g = new ArrayList<>();
        g.add(ConvCase.of(2, 3, 9, 11, 17, 3, 3).explicitPadding(1, 1, 1, 1));
        g.add(ConvCase.of(1, 16, 7, 7, 33, 3, 3).stride(2, 2).same().layout(Layout.NHWC));
        g.add(ConvCase.of(1, 8, 5, 6, 65, 1, 1).layout(Layout.NHWC));                    // 1x1 NHWC: a GEMM
        g.add(ConvCase.of(1, 8, 7, 7, 8, 3, 3).groups(8).explicitPadding(1, 1, 1, 1));   // depthwise
        g.add(ConvCase.of(1, 8, 6, 6, 16, 3, 3).groups(2).layout(Layout.NHWC));
        g.add(ConvCase.of(1, 5, 11, 9, 4, 3, 3));                                        // K < 8: the direct kernel
        g.add(ConvCase.of(1, 6, 13, 13, 24, 5, 5).dilation(2, 2).bias(true).activation(Activation.relu()));
        return g;
    }

    /** Max normalised error per "backend op precision", over the whole grid (the report). */
    private static final Map<String, Double> WORST = new TreeMap<>();

    private synchronized void record(String op, Precision p, double err) {
        WORST.merge(backend.name() + "\t" + op + "\t" + p, err, Math::max);
    }

    public static double rms(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s / Math.max(1, x.length));
    }

    public static double maxNormalisedError(float[] got, double[] ref) {
        double r = rms(ref), worst = 0;
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        return r == 0 ? worst : worst / r;
    }

    static float[] tf32(float[] x) {
        if (x == null) return null;
        float[] y = x.clone();
        Tf32.round(x, y, 0, x.length);
        return y;
    }

    /** The algorithms each precision is run with: AUTO, and the named tensor-core algorithm. */
    protected List<GemmAlgorithm> gemmAlgorithms(Precision p) {
        return p.usesTensorCores() ? List.of(GemmAlgorithm.AUTO, GemmAlgorithm.TENSOR_CORE) : List.of(GemmAlgorithm.AUTO);
    }

    private void checkTf32(String what, float[] got, double[] exact, double[] onRounded, Tolerance strict) {
        double err = maxNormalisedError(got, exact);
        if (!(err <= TF32_RMS_TOLERANCE)) {
            throw new AssertionFailedError(String.format(Locale.ROOT, "%s: max |err| = %.3g x RMS(ref), TF32 allows %.1g", what, err,
                    TF32_RMS_TOLERANCE));
        }
        strict.assertClose(what + " vs the reference on TF32-rounded inputs", got, onRounded);
    }

    @Test void gemmGridInEveryPrecision() {
        int i = 0;
        for (GemmCase tc : gemmGrid()) {
            long seed = 1600 + i++;
            float[] a = RandomData.uniform(seed, tc.m() * tc.k()), b = RandomData.uniform(seed + 100, tc.k() * tc.n());
            float[] bias = tc.bias() ? RandomData.uniform(seed + 200, tc.n()) : null;
            float[] c0 = RandomData.uniform(seed + 300, tc.m() * tc.n());
            double[] exact = Reference.gemm(tc.m(), tc.n(), tc.k(), a, tc.transA(), b, tc.transB(), tc.alpha(), tc.beta(), c0, bias,
                    tc.activation());
            double[] rounded = Reference.gemm(tc.m(), tc.n(), tc.k(), tf32(a), tc.transA(), tf32(b), tc.transB(), tc.alpha(), tc.beta(),
                    c0, bias, tc.activation());
            Tolerance strict = Tolerance.forReduction(tc.k()).times(Math.max(1, Math.abs(tc.alpha())) + Math.abs(tc.beta()) + (tc.bias() ? 1 : 0));
            for (Precision p : PRECISIONS) {
                for (GemmAlgorithm alg : gemmAlgorithms(p)) {
                    GemmSpec spec = tc.spec().toBuilder().algorithm(alg).precision(p).build();
                    String what = "C " + tc + " " + alg + " " + p + " on " + backend.name();
                    try (TensorScope scope = new TensorScope()) {
                        Tensor ta = scope.track(backend.tensor(a, tc.shapeA())), tb = scope.track(backend.tensor(b, tc.shapeB()));
                        Tensor tbias = bias == null ? null : scope.track(backend.tensor(bias, tc.n()));
                        Tensor out = scope.track(backend.tensor(c0, tc.m(), tc.n()));
                        backend.gemm(spec, ta, tb, tbias, out);
                        float[] got = out.toArray();
                        record("gemm", p, maxNormalisedError(got, exact));
                        if (p == Precision.TF32) checkTf32(what, got, exact, rounded, strict);
                        else strict.assertClose(what, got, exact);
                    }
                }
            }
        }
    }

    @Test void convGridInEveryPrecision() {
        int i = 0;
        for (ConvCase cc : convGrid()) {
            long seed = 1700 + i++;
            int inSize = cc.n() * cc.c() * cc.h() * cc.w(), fSize = cc.k() * (cc.c() / cc.groups()) * cc.r() * cc.s();
            float[] in = RandomData.uniform(seed, inSize), f = RandomData.uniform(seed + 100, fSize);
            float[] bias = cc.bias() ? RandomData.uniform(seed + 200, cc.k()) : null;
            double[] exact = Reference.conv2d(cc, in, f, bias);
            double[] rounded = Reference.conv2d(cc, tf32(in), tf32(f), bias);
            Tolerance strict = Tolerance.forReduction(cc.reductionLength()).times(cc.bias() ? 2 : 1);
            for (Precision p : PRECISIONS) {
                List<ConvAlgorithm> algs = p.usesTensorCores() && cc.groups() != cc.c() && cc.k() / cc.groups() >= 8
                        ? List.of(ConvAlgorithm.AUTO, ConvAlgorithm.TENSOR_CORE) : List.of(ConvAlgorithm.AUTO);
                for (ConvAlgorithm alg : algs) {
                    Conv2dSpec spec = cc.spec().toBuilder().algorithm(alg).precision(p).build();
                    String what = "output " + cc + " " + alg + " " + p + " on " + backend.name();
                    try (TensorScope scope = new TensorScope()) {
                        Tensor ti = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
                        Tensor tf = scope.track(backend.tensor(f, cc.k(), cc.c() / cc.groups(), cc.r(), cc.s()));
                        Tensor tbias = bias == null ? null : scope.track(backend.tensor(bias, cc.k()));
                        Tensor out = scope.track(backend.conv2dActivation(spec, cc.activation(), ti, tf, tbias));
                        float[] got = out.toArray();
                        record("conv2d", p, maxNormalisedError(got, exact));
                        if (p == Precision.TF32) checkTf32(what, got, exact, rounded, strict);
                        else strict.assertClose(what, got, exact);
                    }
                }
            }
        }
    }

    @Test void sameBitsTwiceInEveryPrecision() {
        float[] a = RandomData.uniform(42, 65 * 129), b = RandomData.uniform(43, 129 * 33);
        ConvCase cc = ConvCase.of(1, 8, 9, 9, 16, 3, 3).explicitPadding(1, 1, 1, 1);
        float[] in = RandomData.uniform(44, 8 * 81), f = RandomData.uniform(45, 16 * 8 * 9);
        for (Precision p : PRECISIONS) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(backend.tensor(a, 65, 129)), tb = scope.track(backend.tensor(b, 129, 33));
                GemmSpec spec = GemmSpec.builder().precision(p).build();
                float[] first = scope.track(backend.gemm(spec, ta, tb, null)).toArray();
                float[] second = scope.track(backend.gemm(spec, ta, tb, null)).toArray();
                assertArrayEquals(first, second, "gemm " + p + " on " + backend.name() + ": not bit-identical");
                Tensor ti = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
                Tensor tf = scope.track(backend.tensor(f, 16, 8, 3, 3));
                Conv2dSpec cs = cc.spec().toBuilder().precision(p).build();
                float[] c1 = scope.track(backend.conv2d(cs, ti, tf, null)).toArray();
                float[] c2 = scope.track(backend.conv2d(cs, ti, tf, null)).toArray();
                assertArrayEquals(c1, c2, "conv2d " + p + " on " + backend.name() + ": not bit-identical");
            }
        }
    }

    @Test void nanInGivesNanOut() {
        int m = 9, n = 17, k = 13;
        float[] a = RandomData.uniform(7, m * k), b = RandomData.uniform(8, k * n);
        a[3 * k + 5] = Float.NaN;  // row 3 of A
        ConvCase cc = ConvCase.of(1, 4, 6, 6, 16, 3, 3);
        float[] in = RandomData.uniform(9, 4 * 36), f = RandomData.uniform(10, 16 * 4 * 9);
        in[2 * 36 + 2 * 6 + 2] = Float.NaN;  // channel 2, pixel (2, 2): every output window covering it
        for (Precision p : PRECISIONS) {
            try (TensorScope scope = new TensorScope()) {
                float[] c = scope.track(backend.gemm(GemmSpec.builder().precision(p).build(), scope.track(backend.tensor(a, m, k)),
                        scope.track(backend.tensor(b, k, n)), null)).toArray();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        assertEquals(i == 3, Float.isNaN(c[i * n + j]), "gemm " + p + " on " + backend.name() + " C[" + i + "," + j + "]");
                    }
                }
                float[] o = scope.track(backend.conv2d(cc.spec().toBuilder().precision(p).build(),
                        scope.track(backend.tensor(in, 1, 4, 6, 6)), scope.track(backend.tensor(f, 16, 4, 3, 3)), null)).toArray();
                for (int kk = 0; kk < 16; kk++) {
                    for (int y = 0; y < 4; y++) {
                        for (int x = 0; x < 4; x++) {
                            boolean covers = y <= 2 && y + 2 >= 2 && x <= 2 && x + 2 >= 2;
                            assertEquals(covers, Float.isNaN(o[(kk * 4 + y) * 4 + x]), "conv2d " + p + " on " + backend.name());
                        }
                    }
                }
            }
        }
    }

    @Test void tf32DiffersFromFp32() {
        // A test that can fail: TF32 rounds, so on inputs with full mantissas it is not the FP32 result.
        float[] a = RandomData.uniform(77, 16 * 64), b = RandomData.uniform(78, 64 * 16);
        try (TensorScope scope = new TensorScope()) {
            Tensor ta = scope.track(backend.tensor(a, 16, 64)), tb = scope.track(backend.tensor(b, 64, 16));
            float[] fp32 = scope.track(backend.gemm(GemmSpec.builder().precision(Precision.FP32).build(), ta, tb, null)).toArray();
            float[] t = scope.track(backend.gemm(GemmSpec.builder().precision(Precision.TF32).build(), ta, tb, null)).toArray();
            boolean differs = false;
            for (int i = 0; i < t.length; i++) differs |= t[i] != fp32[i];
            assertTrue(differs, "TF32 gave the FP32 bits on " + backend.name());
            assertFalse(backend.defaultMatmulPrecision().usesTensorCores() && backend.defaultConvPrecision().usesTensorCores(),
                    "the test JVM runs with FP32 defaults");
        }
    }

    /** Writes the maximum normalised errors of this backend to target/precision-accuracy/&lt;backend&gt;.tsv. */
    @AfterAll void writeReport() throws IOException {
        if (backend == null) return;
        StringBuilder sb = new StringBuilder("# backend\top\tprecision\tmax |got - ref| / RMS(ref) over the grid\n");
        synchronized (AbstractPrecisionGridTest.class) {
            for (Map.Entry<String, Double> e : WORST.entrySet()) {
                if (e.getKey().startsWith(backend.name() + "\t")) {
                    sb.append(e.getKey()).append('\t').append(String.format(Locale.ROOT, "%.3e", e.getValue())).append('\n');
                }
            }
        }
        Path dir = Path.of("target", "precision-accuracy");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(backend.name().replace(':', '-') + ".tsv"), sb.toString());
    }
}
