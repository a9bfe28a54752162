package dev.jkernels.ops;

import dev.jkernels.Activation;
import dev.jkernels.BinaryOp;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.CnnReference;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.PoolCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CNN ops of issue 14 (pooling, batch norm, softmax, binary broadcasting, concat, reshape views,
 * the residual conv) against the double-precision references of {@link CnnReference}, over odd
 * sizes, every padding mode and both layouts; and their bad-input checks (a clear exception, the
 * output untouched).
 */
public abstract class AbstractCnnOpTest extends BackendTestBase {

    // ---- pooling ---------------------------------------------------------------------------------

    List<PoolCase> poolCases() {
        List<PoolCase> base = new ArrayList<>();
        base.add(PoolCase.max(2, 3, 9, 11, 3, 3).stride(2, 2).pad(1, 1, 1, 1));            // ResNet stem
        base.add(PoolCase.max(1, 5, 8, 7, 2, 2));                                          // default stride = kernel
        base.add(PoolCase.max(2, 3, 10, 13, 3, 3).stride(2, 2).ceil(true));                // ceil mode
        base.add(PoolCase.max(1, 4, 11, 9, 3, 2).stride(1, 2).dilation(2, 2).pad(2, 1, 0, 1)); // dilation, asymmetric
        base.add(PoolCase.max(1, 3, 9, 10, 3, 3).stride(2, 2).same());                     // TF SAME
        base.add(PoolCase.max(2, 1, 5, 5, 5, 5));                                          // window = image
        base.add(PoolCase.avg(2, 3, 9, 11, 3, 3).stride(2, 2).pad(1, 1, 1, 1).includePad(true));
        base.add(PoolCase.avg(2, 3, 9, 11, 3, 3).stride(2, 2).pad(1, 1, 1, 1).includePad(false));
        base.add(PoolCase.avg(1, 4, 10, 7, 2, 3).stride(2, 2).pad(1, 0, 0, 1).ceil(true).includePad(true)); // overhang
        base.add(PoolCase.avg(1, 4, 10, 7, 2, 3).stride(2, 2).pad(1, 0, 0, 1).ceil(true).includePad(false));
        base.add(PoolCase.avg(1, 3, 9, 10, 3, 3).stride(2, 2).same().includePad(false));   // TF avg SAME
        base.add(PoolCase.avg(1, 65, 7, 7, 7, 7));
        base.add(PoolCase.global(true, 2, 5, 7, 7));
        base.add(PoolCase.global(false, 2, 5, 7, 9));
        base.add(PoolCase.global(false, 1, 3, 23, 17));                                    // more than a block per plane
        base.add(PoolCase.adaptive(false, 2, 3, 7, 7, 1, 1));
        base.add(PoolCase.adaptive(false, 1, 3, 10, 9, 3, 4));                             // uneven windows
        base.add(PoolCase.adaptive(true, 1, 2, 3, 5, 4, 7));                               // out > in
        if (!small()) {
            base.add(PoolCase.max(2, 17, 31, 29, 3, 3).stride(2, 2).pad(1, 1, 1, 1));
            base.add(PoolCase.avg(1, 64, 14, 14, 2, 2));
            base.add(PoolCase.global(false, 2, 129, 7, 7));
        }
        List<PoolCase> cases = new ArrayList<>();
        for (PoolCase pc : base) for (Layout l : new Layout[] {Layout.NCHW, Layout.NHWC}) cases.add(pc.layout(l));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void pool2dMatchesReference(PoolCase pc) {
        float[] x = RandomData.uniform(RandomData.seedOf(pc, 1), pc.inputSize(), -3f, 3f);
        double[] expected = CnnReference.pool2d(pc, x);
        int[] outDims = CnnReference.poolOutputDims(pc);
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, pc.layout(), pc.inputDims()));
            Tensor y = scope.track(backend.pool2d(pc.spec(), tx));
            assertArrayEquals(outDims, y.dims(), "output shape of " + pc);
            Tolerance tol = pc.max() ? new Tolerance(0, 0) : Tolerance.forReduction(Math.max(pc.kh() * pc.kw(), pc.h() * pc.w()));
            tol.assertClose("pool2d " + pc, y.toArray(), expected);
            Tensor into = scope.track(backend.tensor(RandomData.uniform(3, expected.length, 50f, 60f), pc.layout(), outDims));
            backend.pool2d(pc.spec(), tx, into);
            tol.assertClose("pool2d into " + pc, into.toArray(), expected);
        }
    }

    @Test
    void maxPoolPropagatesNaN() {
        PoolCase pc = PoolCase.max(1, 2, 6, 6, 2, 2);
        float[] x = RandomData.uniform(11, pc.inputSize());
        x[7] = Float.NaN;  // channel 0, row 1, col 1: output (0, 0, 0)
        for (Layout l : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            float[] in = l == Layout.NCHW ? x : nchwToNhwc(x, 1, 2, 6, 6);
            try (Tensor t = backend.tensor(in, l, l == Layout.NCHW ? new int[] {1, 2, 6, 6} : new int[] {1, 6, 6, 2});
                 Tensor y = backend.pool2d(pc.layout(l).spec(), t)) {
                float[] out = y.toArray();
                int nanIndex = 0;  // (n0, c0, 0, 0) is index 0 in both layouts
                assertTrue(Float.isNaN(out[nanIndex]), l + ": the window holding the NaN must give NaN, got " + out[nanIndex]);
                for (int i = 0; i < out.length; i++) if (i != nanIndex) assertTrue(!Float.isNaN(out[i]), l + ": NaN leaked to " + i);
            }
        }
        PoolCase avg = PoolCase.global(false, 1, 2, 6, 6);
        try (Tensor t = backend.tensor(x, 1, 2, 6, 6); Tensor y = backend.pool2d(avg.spec(), t)) {
            assertTrue(Float.isNaN(y.toArray()[0]) && !Float.isNaN(y.toArray()[1]), "global avg of a plane with a NaN");
        }
    }

    @Test
    void pytorchCeilModeExample() {
        // torch.nn.MaxPool2d(2, stride=2, ceil_mode=True) on 1x1x5x5 arange: 3x3 output, last window partial.
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) x[i] = i;
        try (Tensor t = backend.tensor(x, 1, 1, 5, 5);
             Tensor y = backend.pool2d(Pool2dSpec.max(2).stride(2).ceilMode(true).build(), t);
             Tensor a = backend.pool2d(Pool2dSpec.avg(2).stride(2).ceilMode(true).padding(1).countIncludePad(true).build(), t)) {
            assertArrayEquals(new float[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, y.toArray());
            // avg_pool2d(x, 2, 2, padding=1, ceil_mode=True): 3x3 (the 4th window would start in the end padding).
            assertArrayEquals(new int[] {1, 1, 3, 3}, a.dims());
            assertArrayEquals(new float[] {0f / 4, (1 + 2) / 4f, (3 + 4) / 4f, (5 + 10) / 4f, (6 + 7 + 11 + 12) / 4f,
                    (8 + 9 + 13 + 14) / 4f, (15 + 20) / 4f, (16 + 17 + 21 + 22) / 4f, (18 + 19 + 23 + 24) / 4f}, a.toArray(), 1e-5f);
        }
    }

    // ---- batch norm ------------------------------------------------------------------------------

    record BnCase(int[] dims, Layout layout, boolean affine) {
        int axis() { return layout == Layout.NHWC ? 3 : 1; }
        int channels() { return dims[axis()]; }
        int size() { return Arrays.stream(dims).reduce(1, (p, q) -> p * q); }
        @Override public String toString() { return Arrays.toString(dims) + " " + layout + (affine ? "" : " no affine"); }
    }

    List<BnCase> bnCases() {
        return List.of(new BnCase(new int[] {2, 5, 3, 7}, Layout.NCHW, true), new BnCase(new int[] {2, 3, 7, 5}, Layout.NHWC, true),
                new BnCase(new int[] {4, 6}, Layout.PLAIN, true), new BnCase(new int[] {3, 4, 11}, Layout.PLAIN, true),
                new BnCase(new int[] {1, 65, 2, 3}, Layout.NCHW, false), new BnCase(new int[] {1, 1, 1, 1}, Layout.NCHW, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bnCases")
    void batchNormMatchesReference(BnCase bc) {
        int c = bc.channels();
        float[] x = RandomData.uniform(RandomData.seedOf(bc, 1), bc.size(), -3f, 3f);
        float[] g = RandomData.uniform(RandomData.seedOf(bc, 2), c, 0.5f, 2f), b = RandomData.uniform(RandomData.seedOf(bc, 3), c);
        float[] m = RandomData.uniform(RandomData.seedOf(bc, 4), c), v = RandomData.uniform(RandomData.seedOf(bc, 5), c, 0f, 3f);
        v[0] = 0f;  // a dead channel: eps alone keeps it finite
        float eps = 1e-5f;
        double[] expected = CnnReference.batchNorm(x, bc.dims(), bc.axis(), bc.affine() ? g : null, bc.affine() ? b : null, m, v, eps);
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, bc.layout(), bc.dims()));
            Tensor tg = bc.affine() ? s.track(backend.tensor(g, c)) : null, tb = bc.affine() ? s.track(backend.tensor(b, c)) : null;
            Tensor tm = s.track(backend.tensor(m, c)), tv = s.track(backend.tensor(v, c));
            Tensor y = s.track(backend.batchNorm(tx, tg, tb, tm, tv, eps));
            Tolerance tol = new Tolerance(3e-5, 3e-5).times(Math.sqrt(1 / eps) / 100);
            tol.assertClose("batchNorm " + bc, y.toArray(), expected);
            backend.batchNorm(tx, tg, tb, tm, tv, eps, tx);  // in place
            tol.assertClose("batchNorm in place " + bc, tx.toArray(), expected);
        }
    }

    // ---- softmax ---------------------------------------------------------------------------------

    record SmCase(int[] dims, int axis, boolean log, float scale) {
        int size() { return Arrays.stream(dims).reduce(1, (p, q) -> p * q); }
        @Override public String toString() { return (log ? "logSoftmax " : "softmax ") + Arrays.toString(dims) + " axis " + axis + " x" + scale; }
    }

    List<SmCase> softmaxCases() {
        List<SmCase> cases = new ArrayList<>();
        for (boolean log : new boolean[] {false, true}) {
            cases.add(new SmCase(new int[] {1, 1}, -1, log, 3));
            cases.add(new SmCase(new int[] {7, 10}, -1, log, 3));
            cases.add(new SmCase(new int[] {3, 129}, 1, log, 3));
            cases.add(new SmCase(new int[] {2, 1031}, -1, log, 3));
            cases.add(new SmCase(new int[] {2, 5, 7, 3}, 1, log, 3));   // NCHW channels
            cases.add(new SmCase(new int[] {2, 5, 7, 3}, 0, log, 3));
            cases.add(new SmCase(new int[] {2, 5, 7, 3}, -2, log, 3));
            cases.add(new SmCase(new int[] {4, 9}, 0, log, 3));
            cases.add(new SmCase(new int[] {3, 17}, -1, log, 1e4f));     // ±1e4: no overflow
            cases.add(new SmCase(new int[] {2, 6, 5, 5}, 1, log, 1e4f));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("softmaxCases")
    void softmaxMatchesReference(SmCase sc) {
        float[] x = RandomData.uniform(RandomData.seedOf(sc, 1), sc.size(), -sc.scale(), sc.scale());
        int axis = sc.axis() < 0 ? sc.axis() + sc.dims().length : sc.axis();
        double[] expected = CnnReference.softmax(x, sc.dims(), axis, sc.log());
        // log-softmax of ±1e4 inputs: values of order 1e4 whose float spacing is ~1e-3.
        Tolerance tol = sc.log() ? new Tolerance(2e-5 * sc.scale(), 1e-5) : new Tolerance(1e-6, 2e-5);
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, sc.dims()));
            Tensor y = s.track(sc.log() ? backend.logSoftmax(tx, sc.axis()) : backend.softmax(tx, sc.axis()));
            float[] got = y.toArray();
            tol.assertClose(sc.toString(), got, expected);
            for (float v : got) assertTrue(Float.isFinite(v), sc + ": non-finite output " + v);
            if (sc.log()) backend.logSoftmax(tx, sc.axis(), tx);
            else backend.softmax(tx, sc.axis(), tx);
            tol.assertClose(sc + " in place", tx.toArray(), expected);
        }
    }

    @Test
    void softmaxNaNMakesItsRowNaN() {
        float[] x = RandomData.uniform(5, 3 * 8);
        x[8 + 3] = Float.NaN;
        for (boolean log : new boolean[] {false, true}) {
            try (Tensor t = backend.tensor(x, 3, 8); Tensor y = log ? backend.logSoftmax(t, 1) : backend.softmax(t, 1)) {
                float[] out = y.toArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(i / 8 == 1, Float.isNaN(out[i]), "log=" + log + " index " + i + ": " + out[i]);
                }
            }
            try (Tensor t = backend.tensor(x, 3, 8); Tensor y = log ? backend.logSoftmax(t, 0) : backend.softmax(t, 0)) {
                float[] out = y.toArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(i % 8 == 3, Float.isNaN(out[i]), "axis 0, log=" + log + " index " + i + ": " + out[i]);
                }
            }
        }
    }

    // ---- binary ----------------------------------------------------------------------------------

    record BinCase(BinaryOp op, int[] a, int[] b) {
        @Override public String toString() { return op + " " + Arrays.toString(a) + " with " + Arrays.toString(b); }
    }

    List<BinCase> binaryCases() {
        int[][][] pairs = {
                {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {5}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{2, 3, 4, 5}, {1, 3, 1, 1}},
                {{2, 3, 4, 5}, {4, 5}}, {{2, 3, 4, 5}, {2, 1, 1, 1}}, {{2, 3, 4, 5}, {1}}, {{7, 129}, {129}},
                {{3}, {2, 5, 3}}, {{1, 65, 1, 1}, {2, 65, 3, 3}}, {{1031}, {1031}}};
        List<BinCase> cases = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) for (int[][] p : pairs) cases.add(new BinCase(op, p[0], p[1]));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("binaryCases")
    void binaryMatchesReference(BinCase bc) {
        float[] a = RandomData.uniform(RandomData.seedOf(bc, 1), Shape.of(bc.a()).elementCountAsInt("a"));
        float[] b = RandomData.uniform(RandomData.seedOf(bc, 2), Shape.of(bc.b()).elementCountAsInt("b"));
        boolean aBig = a.length >= b.length;
        double[] expected = aBig ? CnnReference.binary(bc.op() == BinaryOp.ADD, a, bc.a(), b, bc.b())
                : CnnReference.binary(bc.op() == BinaryOp.ADD, b, bc.b(), a, bc.a());
        try (TensorScope s = new TensorScope()) {
            Tensor ta = s.track(backend.tensor(a, bc.a())), tb = s.track(backend.tensor(b, bc.b()));
            Tensor y = s.track(backend.binary(bc.op(), ta, tb));
            assertArrayEquals(aBig ? bc.a() : bc.b(), y.dims());
            Tolerance.elementwise().assertClose(bc.toString(), y.toArray(), expected);
            Tensor big = aBig ? ta : tb;
            backend.binary(bc.op(), ta, tb, big);  // in place into the operand of the output's shape
            Tolerance.elementwise().assertClose(bc + " in place", big.toArray(), expected);
        }
    }

    // ---- concat and reshape ----------------------------------------------------------------------

    @Test
    void concatMatchesReference() {
        int[][][] sets = {{{2, 3, 4, 5}, {2, 1, 4, 5}, {2, 6, 4, 5}}, {{1, 7}, {1, 2}}, {{3, 2}, {1, 2}, {5, 2}}};
        int[] axes = {1, -1, 0};
        for (int t = 0; t < sets.length; t++) {
            int[][] dims = sets[t];
            float[][] xs = new float[dims.length][];
            try (TensorScope s = new TensorScope()) {
                Tensor[] ts = new Tensor[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    xs[i] = RandomData.uniform(t * 10 + i, Shape.of(dims[i]).elementCountAsInt("x"));
                    ts[i] = s.track(backend.tensor(xs[i], dims[i]));
                }
                int axis = axes[t] < 0 ? axes[t] + dims[0].length : axes[t];
                double[] expected = CnnReference.concat(xs, dims, axis);
                Tensor y = s.track(backend.concat(axes[t], ts));
                new Tolerance(0, 0).assertClose("concat " + Arrays.deepToString(dims), y.toArray(), expected);
            }
        }
        // NHWC channels: axis 3.
        float[] a = RandomData.uniform(1, 2 * 3 * 3 * 2), b = RandomData.uniform(2, 2 * 3 * 3 * 5);
        try (Tensor ta = backend.tensor(a, Layout.NHWC, 2, 3, 3, 2); Tensor tb = backend.tensor(b, Layout.NHWC, 2, 3, 3, 5);
             Tensor y = backend.concat(3, ta, tb)) {
            assertEquals(Layout.NHWC, y.layout());
            assertArrayEquals(new int[] {2, 3, 3, 7}, y.dims());
            new Tolerance(0, 0).assertClose("concat NHWC", y.toArray(),
                    CnnReference.concat(new float[][] {a, b}, new int[][] {{2, 3, 3, 2}, {2, 3, 3, 5}}, 3));
        }
    }

    @Test
    void reshapeIsAViewWithoutCopy() {
        float[] x = RandomData.uniform(3, 2 * 3 * 4);
        Tensor t = backend.tensor(x, 2, 3, 4);
        Tensor v = t.reshape(-1, 4);
        assertArrayEquals(new int[] {6, 4}, v.dims());
        assertTrue(v.isView());
        assertArrayEquals(x, v.toArray());
        try (Tensor y = backend.activation(Activation.relu(), v)) {
            backend.activation(Activation.relu(), v, v);  // in place through the view writes the parent
            assertArrayEquals(y.toArray(), t.toArray());
        }
        v.close();  // frees nothing
        assertArrayEquals(y(x), t.toArray());
        Tensor v2 = t.reshape(Layout.NCHW, 1, 2, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> t.reshape(5, -1));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 5));
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, v2::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    private static float[] y(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Math.max(x[i], 0f);
        return r;
    }

    // ---- residual conv ---------------------------------------------------------------------------

    List<ConvCase> residualCases() {
        List<ConvCase> cases = new ArrayList<>();
        ConvCase[] base = {ConvCase.of(2, 3, 9, 11, 5, 3, 3).same().bias(true), ConvCase.of(1, 8, 7, 7, 8, 3, 3).explicitPadding(1, 1, 1, 1),
                ConvCase.of(1, 4, 10, 7, 6, 1, 1).stride(2, 2).bias(true)};
        for (ConvCase cc : base) for (Layout l : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            for (Activation a : new Activation[] {Activation.relu(), Activation.identity(), Activation.leakyRelu(0.2f)}) {
                cases.add(cc.layout(l).activation(a));
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("residualCases")
    void conv2dWithResidualMatchesReference(ConvCase cc) {
        float[] in = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize(), -2f, 2f);
        float[] f = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cc.k()) : null;
        double[] conv = Reference.conv2d(cc.activation(Activation.identity()), in, f, bias);
        float[] res = RandomData.uniform(RandomData.seedOf(cc, 4), conv.length, -2f, 2f);
        double[] expected = new double[conv.length];
        for (int i = 0; i < conv.length; i++) expected[i] = Reference.activation(cc.activation(), conv[i] + res[i]);
        Conv2dSpec spec = cc.spec();
        try (TensorScope s = new TensorScope()) {
            Tensor tin = s.track(backend.tensor(in, cc.layout(), cc.inputDims()));
            Tensor tf = s.track(backend.tensor(f, cc.filterDims()));
            Tensor tb = bias == null ? null : s.track(backend.tensor(bias, cc.k()));
            Tensor tr = s.track(backend.tensor(res, cc.layout(), cc.outputDims()));
            Tensor out = s.track(backend.tensor(RandomData.uniform(9, conv.length, 70f, 80f), cc.layout(), cc.outputDims()));
            backend.conv2dActivation(spec, cc.activation(), tin, tf, tb, tr, out);
            Tensor alloc = s.track(backend.conv2dActivationResidual(spec, cc.activation(), tin, tf, tb, tr));
            // The three-launch path: conv, add, activation.
            Tensor three = s.track(backend.conv2d(spec, tin, tf, tb));
            backend.add(three, tr, three);
            backend.activation(cc.activation(), three, three);
            Tolerance tol = Tolerance.forReduction(cc.reductionLength()).times(4);
            tol.assertClose("residual conv " + cc, out.toArray(), expected);
            tol.assertClose("residual conv (allocating) " + cc, alloc.toArray(), expected);
            tol.assertClose("three launches " + cc, three.toArray(), expected);
            tol.assertClose("fused vs three launches " + cc, out.toArray(), three.toArray());
        }
    }

    // ---- bad input (item 8): a clear exception before any work, the output untouched ----------------

    private void rejected(String mustContain, Tensor output, Runnable call) {
        float[] before = output == null ? null : output.toArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(mustContain), "message should name '" + mustContain + "': " + e.getMessage());
        if (output != null) Tolerance.assertUnchanged("output after a rejected call", before, output.toArray());
    }

    @Test
    void badPoolingIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.max(0, 2).build());
        assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.max(2).stride(0));
        assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.max(2).dilation(0).build());
        assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.adaptiveAvg(0, 1, Layout.NCHW));
        assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.max(2).layout(Layout.PLAIN).build());
        try (TensorScope s = new TensorScope()) {
            Tensor x = s.track(backend.tensor(RandomData.uniform(1, 2 * 3 * 5 * 5), 2, 3, 5, 5));
            Tensor out = s.track(backend.tensor(RandomData.uniform(2, 2 * 3 * 2 * 2), 2, 3, 2, 2));
            rejected("does not fit", out, () -> backend.pool2d(Pool2dSpec.max(7).build(), x, out));           // output size 0
            rejected("covers only padding", out, () -> backend.pool2d(Pool2dSpec.max(2).padding(3).build(), x, out));
            rejected("output: expected shape [2, 3, 3, 3]", out,
                    () -> backend.pool2d(Pool2dSpec.max(3).stride(1).build(), x, out));                       // wrong output
            rejected("layout", out, () -> backend.pool2d(Pool2dSpec.max(2).layout(Layout.NHWC).build(), x, out));
            rejected("must not be the same tensor", x,
                    () -> backend.pool2d(Pool2dSpec.max(1).build(), x, x));
            Tensor flat = s.track(backend.tensor(RandomData.uniform(1, 6), 2, 3));
            rejected("4-D", null, () -> backend.pool2d(Pool2dSpec.max(2).build(), flat));
        }
    }

    @Test
    void badBatchNormIsRejected() {
        try (TensorScope s = new TensorScope()) {
            Tensor x = s.track(backend.tensor(RandomData.uniform(1, 2 * 3 * 2 * 2), 2, 3, 2, 2));
            Tensor out = s.track(backend.tensor(RandomData.uniform(2, 2 * 3 * 2 * 2), 2, 3, 2, 2));
            Tensor c3 = s.track(backend.tensor(new float[] {1, 2, 3}, 3)), c4 = s.track(backend.tensor(new float[] {1, 2, 3, 4}, 4));
            Tensor neg = s.track(backend.tensor(new float[] {1, -2, 3}, 3)), nan = s.track(backend.tensor(new float[] {1, Float.NaN, 3}, 3));
            rejected("gamma: expected shape [3]", out, () -> backend.batchNorm(x, c4, c3, c3, c3, 1e-5f, out));
            rejected("beta: expected shape [3]", out, () -> backend.batchNorm(x, c3, c4, c3, c3, 1e-5f, out));
            rejected("mean: expected shape [3]", out, () -> backend.batchNorm(x, c3, c3, c4, c3, 1e-5f, out));
            rejected("variance: expected shape [3]", out, () -> backend.batchNorm(x, c3, c3, c3, c4, 1e-5f, out));
            rejected("epsilon", out, () -> backend.batchNorm(x, c3, c3, c3, c3, -1e-5f, out));
            rejected("epsilon", out, () -> backend.batchNorm(x, c3, c3, c3, c3, Float.NaN, out));
            rejected("variance: every value", out, () -> backend.batchNorm(x, c3, c3, c3, neg, 1e-5f, out));
            rejected("variance: every value", out, () -> backend.batchNorm(x, c3, c3, c3, nan, 1e-5f, out));
            rejected("mean must not be null", out, () -> backend.batchNorm(x, c3, c3, null, c3, 1e-5f, out));
            Tensor wrong = s.track(backend.zeros(2, 3, 2, 3));
            rejected("output: expected shape", wrong, () -> backend.batchNorm(x, c3, c3, c3, c3, 1e-5f, wrong));
        }
    }

    @Test
    void badSoftmaxBinaryConcatAreRejected() {
        try (TensorScope s = new TensorScope()) {
            Tensor x = s.track(backend.tensor(RandomData.uniform(1, 12), 3, 4));
            Tensor y = s.track(backend.tensor(RandomData.uniform(2, 12), 3, 4));
            rejected("axis: expected an axis in [-2, 1]", y, () -> backend.softmax(x, 2, y));
            rejected("axis: expected an axis in [-2, 1]", y, () -> backend.logSoftmax(x, -3, y));
            Tensor b = s.track(backend.tensor(RandomData.uniform(3, 3), 3, 1));
            Tensor two = s.track(backend.tensor(RandomData.uniform(3, 4), 1, 4));
            Tensor col = s.track(backend.tensor(RandomData.uniform(3, 3), 3, 1));
            Tensor bad = s.track(backend.tensor(RandomData.uniform(3, 5), 5));
            rejected("do not broadcast", y, () -> backend.add(x, bad, y));
            rejected("do not broadcast", null, () -> backend.add(col, two));   // two-sided broadcast
            Tensor small = s.track(backend.zeros(3, 1));
            rejected("out: expected shape [3, 4]", small, () -> backend.add(x, b, small));
            Tensor z = s.track(backend.tensor(RandomData.uniform(5, 10), 2, 5));
            rejected("inputs[1]: expected shape [3, 5]", y, () -> backend.concat(1, new Tensor[] {x, z}, y));
            rejected("axis", null, () -> backend.concat(2, x, x));
            Tensor cat = s.track(backend.tensor(RandomData.uniform(7, 12), 3, 4));
            rejected("must not be the same tensor", cat, () -> backend.concat(1, new Tensor[] {cat.reshape(3, 4)}, cat));
        }
    }

    @Test
    void badResidualIsRejected() {
        ConvCase cc = ConvCase.of(1, 3, 6, 6, 4, 3, 3).same().bias(true);
        try (TensorScope s = new TensorScope()) {
            Tensor in = s.track(backend.tensor(RandomData.uniform(1, cc.inputSize()), cc.inputDims()));
            Tensor f = s.track(backend.tensor(RandomData.uniform(2, cc.filterSize()), cc.filterDims()));
            Tensor b = s.track(backend.tensor(RandomData.uniform(3, 4), 4));
            Tensor out = s.track(backend.tensor(RandomData.uniform(4, 4 * 36), 1, 4, 6, 6));
            Tensor wrong = s.track(backend.tensor(RandomData.uniform(5, 3 * 36), 1, 3, 6, 6));
            Tensor nhwc = s.track(backend.tensor(RandomData.uniform(5, 4 * 36), Layout.NHWC, 1, 6, 6, 4));
            rejected("residual: expected the output's shape [1, 4, 6, 6]", out,
                    () -> backend.conv2dActivation(cc.spec(), Activation.relu(), in, f, b, wrong, out));
            rejected("residual: expected the output's shape", out,
                    () -> backend.conv2dActivation(cc.spec(), Activation.relu(), in, f, b, nhwc, out));
            rejected("must not be the same tensor as residual", out,
                    () -> backend.conv2dActivation(cc.spec(), Activation.relu(), in, f, b, out, out));
            rejected("must not be the same tensor as residual", out,
                    () -> backend.conv2dActivation(cc.spec(), Activation.relu(), in, f, b, out.reshape(Layout.NCHW, 1, 4, 6, 6), out));
        }
    }

    private static float[] nchwToNhwc(float[] x, int n, int c, int h, int w) {
        float[] y = new float[x.length];
        for (int a = 0; a < n; a++) for (int ch = 0; ch < c; ch++) for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
            y[((a * h + i) * w + j) * c + ch] = x[((a * c + ch) * h + i) * w + j];
        }
        return y;
    }
}
