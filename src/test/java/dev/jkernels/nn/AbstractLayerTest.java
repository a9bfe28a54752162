package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layers on one backend, against the double-precision loops of {@link NnReference}: Linear and
 * Conv2d with weights from PyTorch and Keras layouts, every activation layer, fused (AUTO) against
 * two-launch (NONE) Sequentials for every activation, a small CNN through {@code predict}, and the
 * memory rules (every intermediate closed, also when a step fails; the input never written).
 */
public abstract class AbstractLayerTest extends BackendTestBase {

    // ---- Linear ----------------------------------------------------------------------------------

    record LinearCase(int n, int in, int out, boolean bias, Activation act) {
        @Override public String toString() { return "N" + n + " " + in + "→" + out + (bias ? " +bias" : "") + " " + act; }
    }

    List<LinearCase> linearCases() {
        List<LinearCase> cases = new ArrayList<>(List.of(
                new LinearCase(1, 1, 1, true, Activation.identity()),
                new LinearCase(3, 7, 13, true, Activation.relu()),
                new LinearCase(2, 31, 5, false, Activation.gelu()),
                new LinearCase(7, 13, 65, true, Activation.selu())));
        if (!small()) {
            cases.add(new LinearCase(33, 129, 127, true, Activation.silu()));
            cases.add(new LinearCase(64, 65, 31, false, Activation.leakyRelu(0.2f)));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linearCases")
    void linearFromPyTorchLayoutMatchesReference(LinearCase lc) {
        float[] x = RandomData.uniform(RandomData.seedOf(lc, 1), lc.n() * lc.in());
        float[] w = RandomData.uniform(RandomData.seedOf(lc, 2), lc.out() * lc.in());
        float[] b = lc.bias() ? RandomData.uniform(RandomData.seedOf(lc, 3), lc.out()) : null;
        double[] expected = NnReference.linear(NnReference.toDouble(x), lc.n(), lc.in(), lc.out(), w, b, lc.act());
        Tolerance tol = Tolerance.forReduction(lc.in()).times(4);
        try (Linear linear = new Linear(lc.in(), lc.out(), lc.bias(), lc.act()).setWeights(w, b).to(backend);
             Tensor tx = backend.tensor(x, lc.n(), lc.in());
             Tensor y = linear.forward(tx)) {
            assertArrayEquals(new int[] {lc.n(), lc.out()}, y.dims());
            tol.assertClose("Linear " + lc, y.toArray(), expected);
            Tolerance.assertUnchanged("input", x, tx.toArray());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linearCases")
    void linearFromKerasLayoutMatchesReference(LinearCase lc) {
        float[] x = RandomData.uniform(RandomData.seedOf(lc, 4), lc.n() * lc.in());
        float[] kernel = RandomData.uniform(RandomData.seedOf(lc, 5), lc.in() * lc.out()); // Dense kernel [in, out]
        float[] b = lc.bias() ? RandomData.uniform(RandomData.seedOf(lc, 6), lc.out()) : null;
        double[] expected = NnReference.denseKeras(NnReference.toDouble(x), lc.n(), lc.in(), lc.out(), kernel, b, lc.act());
        try (Linear linear = new Linear(lc.in(), lc.out(), lc.bias(), lc.act()).setKerasWeights(kernel, b).to(backend);
             Tensor tx = backend.tensor(x, lc.n(), lc.in());
             Tensor y = linear.forward(tx)) {
            Tolerance.forReduction(lc.in()).times(4).assertClose("Dense (Keras kernel) " + lc, y.toArray(), expected);
        }
    }

    // ---- Conv2d ----------------------------------------------------------------------------------

    record ConvLayerCase(NnReference.Conv cv, Activation act, boolean bias) {
        Conv2d build() {
            int[] p = cv.pads();
            return Conv2d.builder(cv.c(), cv.k(), cv.r(), cv.s()).stride(cv.strideH(), cv.strideW())
                    .padding(p == null ? Padding.same() : Padding.of(p[0], p[1], p[2], p[3]))
                    .dilation(cv.dilH(), cv.dilW()).groups(cv.groups()).bias(bias).layout(cv.layout()).activation(act).build();
        }

        @Override public String toString() {
            return cv.layout() + " " + cv.n() + "x" + cv.c() + "x" + cv.h() + "x" + cv.w() + " k" + cv.k() + " " + cv.r() + "x" + cv.s()
                    + " s" + cv.strideH() + "," + cv.strideW() + " pad" + (cv.pads() == null ? "=same" : Arrays.toString(cv.pads()))
                    + " d" + cv.dilH() + "," + cv.dilW() + " g" + cv.groups() + (bias ? " +bias " : " ") + act;
        }
    }

    List<ConvLayerCase> convCases() {
        List<ConvLayerCase> cases = new ArrayList<>(List.of(
                new ConvLayerCase(NnReference.Conv.valid(2, 3, 9, 11, 5, 3, 3, Layout.NCHW), Activation.relu(), true),
                new ConvLayerCase(new NnReference.Conv(1, 2, 7, 8, 3, 3, 2, 2, 2, null, 1, 1, 1, Layout.NHWC), Activation.leakyRelu(0.2f), true),
                new ConvLayerCase(new NnReference.Conv(1, 4, 10, 7, 6, 3, 3, 1, 2, new int[] {1, 2, 0, 1}, 2, 1, 2, Layout.NCHW), Activation.elu(), false),
                new ConvLayerCase(NnReference.Conv.valid(3, 1, 5, 5, 1, 1, 1, Layout.NHWC), Activation.identity(), true)));
        if (!small()) {
            cases.add(new ConvLayerCase(NnReference.Conv.valid(1, 1, 28, 28, 32, 3, 3, Layout.NHWC), Activation.relu(), true)); // the seed's Conv2D
            cases.add(new ConvLayerCase(new NnReference.Conv(2, 13, 17, 13, 31, 5, 3, 1, 1, null, 1, 2, 1, Layout.NCHW), Activation.geluTanh(), true));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void conv2dFromPyTorchLayoutMatchesReference(ConvLayerCase cc) {
        NnReference.Conv cv = cc.cv();
        float[] x = RandomData.uniform(RandomData.seedOf(cc, 1), cv.inputCount());
        float[] w = RandomData.uniform(RandomData.seedOf(cc, 2), cv.weightCount());
        float[] b = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cv.k()) : null;
        double[] expected = NnReference.conv(NnReference.toDouble(x), cv, w, b, cc.act());
        try (Conv2d conv = cc.build().setWeights(w, b).to(backend);
             Tensor tx = backend.tensor(x, cv.layout(), cv.inputDims());
             Tensor y = conv.forward(tx)) {
            assertArrayEquals(cv.outputDims(), y.dims(), "output shape");
            assertEquals(cv.layout(), y.layout());
            assertEquals(Shape.of(cv.outputDims()), conv.outputShape(Shape.of(cv.inputDims())));
            Tolerance.forReduction(cv.reduction()).times(4).assertClose("Conv2d " + cc, y.toArray(), expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void conv2dFromKerasLayoutMatchesReference(ConvLayerCase cc) {
        NnReference.Conv cv = cc.cv();
        float[] x = RandomData.uniform(RandomData.seedOf(cc, 4), cv.inputCount());
        float[] kernel = RandomData.uniform(RandomData.seedOf(cc, 5), cv.weightCount()); // Conv2D kernel [R, S, C/g, K]
        float[] b = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 6), cv.k()) : null;
        double[] expected = NnReference.convKeras(NnReference.toDouble(x), cv, kernel, b, cc.act());
        try (Conv2d conv = cc.build().setKerasWeights(kernel, b).to(backend);
             Tensor tx = backend.tensor(x, cv.layout(), cv.inputDims());
             Tensor y = conv.forward(tx)) {
            Tolerance.forReduction(cv.reduction()).times(4).assertClose("Conv2D (Keras kernel) " + cc, y.toArray(), expected);
        }
    }

    // ---- fused == unfused ------------------------------------------------------------------------

    static List<Activation> activations() { return ActivationCatalog.all(); }

    /**
     * For one activation, four models, each under AUTO (one launch) and NONE (two launches):
     * Linear then the activation layer; Linear built with it; the same two for Conv2d. Both against
     * the reference and against each other.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void fusedEqualsUnfusedForLinearAndConv(Activation act) {
        int n = 3, in = 13, out = 7;
        // Both layouts, alternating over the activations
        Layout layout = act.kind().ordinal() % 2 == 0 ? Layout.NCHW : Layout.NHWC;
        NnReference.Conv cv = new NnReference.Conv(2, 3, 7, 6, 5, 3, 3, 1, 1, null, 1, 1, 1, layout);
        float[] w = RandomData.uniform(RandomData.seedOf(act, 1), out * in);
        float[] b = RandomData.uniform(RandomData.seedOf(act, 2), out);
        float[] x = RandomData.uniform(RandomData.seedOf(act, 3), n * in, -2f, 2f);
        float[] cw = RandomData.uniform(RandomData.seedOf(act, 4), cv.weightCount());
        float[] cb = RandomData.uniform(RandomData.seedOf(act, 5), cv.k());
        float[] cx = RandomData.uniform(RandomData.seedOf(act, 6), cv.inputCount(), -2f, 2f);
        double[] linearExpected = NnReference.linear(NnReference.toDouble(x), n, in, out, w, b, act);
        double[] convExpected = NnReference.conv(NnReference.toDouble(cx), cv, cw, cb, act);

        Map<String, Sequential> linearModels = Map.of(
                "Linear + activation layer", new Sequential(new Linear(in, out).setWeights(w, b), ActivationLayer.of(act)),
                "Linear(activation)", new Sequential(new Linear(in, out, act).setWeights(w, b)));
        Map<String, Sequential> convModels = Map.of(
                "Conv2d + activation layer", new Sequential(Conv2d.builder(3, 5, 3).padding("same").layout(layout).build().setWeights(cw, cb), ActivationLayer.of(act)),
                "Conv2d(activation)", new Sequential(Conv2d.builder(3, 5, 3).padding("same").layout(layout).activation(act).build().setWeights(cw, cb)));
        linearModels.forEach((what, m) -> checkFusedAgainstUnfused(what + " " + act, m, x, new int[] {n, in}, linearExpected,
                Tolerance.forReduction(in).times(4), act));
        convModels.forEach((what, m) -> checkFusedAgainstUnfused(what + " " + act, m, cx, cv.inputDims(), convExpected,
                Tolerance.forReduction(cv.reduction()).times(4), act));
    }

    private void checkFusedAgainstUnfused(String what, Sequential model, float[] x, int[] shape, double[] expected,
                                          Tolerance tol, Activation act) {
        try (Sequential m = model.to(backend)) {
            m.fusion(FusionPolicy.AUTO);
            List<Sequential.Step> auto = m.plan(Shape.of(shape));
            float[] fused = m.predict(x, shape);
            m.fusion(FusionPolicy.NONE);
            List<Sequential.Step> none = m.plan(Shape.of(shape));
            float[] unfused = m.predict(x, shape);

            boolean identity = act.isIdentity();
            assertEquals(1, auto.size(), what + ": AUTO plan " + auto);
            assertEquals(identity && m.size() == 1 ? 1 : 2, none.size(), what + ": NONE plan " + none);
            assertEquals(!identity, auto.get(0).fused(), what + ": AUTO step fused");
            assertFalse(none.get(0).fused(), what + ": NONE step fused");
            tol.assertClose(what + " fused (AUTO) vs reference", fused, expected);
            tol.assertClose(what + " two launches (NONE) vs reference", unfused, expected);
            tol.assertClose(what + " fused vs two launches", fused, unfused);
        }
    }

    // ---- activation layers -----------------------------------------------------------------------

    static List<ActivationLayer> activationLayers() {
        return List.of(new ReLU(), new LeakyReLU(), new LeakyReLU(0.3f), new ELU(), new ELU(0.5f), new Sigmoid(), new Tanh(),
                new GELU(), new GELU("tanh"), new SiLU(), new ReLU6(), new SELU(), new Softplus(), new HardSigmoid(),
                new Swish(1.5f), new SELU(1.6f, 1.1f), new Softplus(2f, 5f), HardSigmoid.onnx(), new Hardswish(), new Mish(),
                new CELU(), new CELU(0.6f), new Softsign(), new Hardtanh(), new Hardtanh(-0.5f, 2f), new ThresholdedReLU(),
                new ThresholdedReLU(0.4f), new PReLU(), new PReLU(1, -0.2f));
    }

    /**
     * nn.PReLU(C) with PyTorch's weight layout: alone (NCHW, NHWC, [N, C]) and folded by Sequential
     * into the Linear (per output feature) or Conv2d (per output channel) before it, one launch,
     * equal to the two-launch plan and to the reference.
     */
    @Test
    void preluLayerPerChannelAloneAndFused() {
        int n = 3, in = 11, out = 6;
        float[] slopes = RandomData.uniform(7, out, -0.4f, 0.9f);
        float[] w = RandomData.uniform(8, out * in);
        float[] b = RandomData.uniform(9, out);
        float[] x = RandomData.uniform(10, n * in, -2f, 2f);
        double[] lin = NnReference.linear(NnReference.toDouble(x), n, in, out, w, b, Activation.identity());
        double[] expected = new double[lin.length];
        for (int i = 0; i < lin.length; i++) expected[i] = lin[i] > 0 ? lin[i] : slopes[i % out] * lin[i];
        PReLU prelu = new PReLU(out).setWeights(slopes);
        assertArrayEquals(slopes, prelu.weight());
        try (Sequential m = new Sequential(new Linear(in, out).setWeights(w, b), prelu).to(backend)) {
            List<Sequential.Step> plan = m.plan(Shape.of(n, in));
            assertEquals(1, plan.size(), "PReLU folds into the Linear: " + plan);
            assertEquals("gemm(transB, bias, prelu(6 slopes))", plan.get(0).op());
            float[] fused = m.predict(x, n, in);
            m.fusion(FusionPolicy.NONE);
            assertEquals(2, m.plan(Shape.of(n, in)).size());
            float[] unfused = m.predict(x, n, in);
            Tolerance tol = Tolerance.forReduction(in).times(4);
            tol.assertClose("Linear + PReLU fused", fused, expected);
            tol.assertClose("Linear + PReLU two launches", unfused, expected);
            // a new slope reaches the uploaded copy
            slopes[2] = 0.05f;
            prelu.setWeights(slopes);
            m.fusion(FusionPolicy.AUTO);
            float[] again = m.predict(x, n, in);
            for (int i = 0; i < lin.length; i++) expected[i] = lin[i] > 0 ? lin[i] : slopes[i % out] * lin[i];
            tol.assertClose("Linear + PReLU after setWeights", again, expected);
        }
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            NnReference.Conv cv = new NnReference.Conv(2, 3, 7, 6, 5, 3, 3, 1, 1, null, 1, 1, 1, layout);
            float[] cw = RandomData.uniform(11, cv.weightCount());
            float[] cb = RandomData.uniform(12, cv.k());
            float[] cx = RandomData.uniform(13, cv.inputCount(), -2f, 2f);
            float[] cs = RandomData.uniform(14, cv.k(), -0.4f, 0.9f);
            double[] conv = NnReference.conv(NnReference.toDouble(cx), cv, cw, cb, Activation.identity());
            int[] od = new int[] {2, 5, 7, 6};
            double[] ce = new double[conv.length];
            for (int i = 0; i < conv.length; i++) {
                int ch = layout == Layout.NCHW ? (i / (od[2] * od[3])) % 5 : i % 5;
                ce[i] = conv[i] > 0 ? conv[i] : cs[ch] * conv[i];
            }
            try (Sequential m = new Sequential(Conv2d.builder(3, 5, 3).padding("same").layout(layout).build().setWeights(cw, cb),
                    new PReLU(5).setWeights(cs)).to(backend)) {
                assertEquals(1, m.plan(Shape.of(cv.inputDims())).size());
                Tolerance tol = Tolerance.forReduction(cv.reduction()).times(4);
                tol.assertClose("Conv2d + PReLU fused " + layout, m.predict(cx, cv.inputDims()), ce);
                m.fusion(FusionPolicy.NONE);
                tol.assertClose("Conv2d + PReLU two launches " + layout, m.predict(cx, cv.inputDims()), ce);
            }
        }
        // alone, on an NCHW tensor: channel = dimension 1
        float[] x4 = RandomData.uniform(15, 2 * 3 * 4 * 5, -2f, 2f);
        float[] s3 = {0.1f, -0.2f, 0.3f};
        try (PReLU p = new PReLU(3).setWeights(s3).to(backend); Tensor t = backend.tensor(x4, Layout.NCHW, 2, 3, 4, 5);
             Tensor y = p.forward(t)) {
            double[] e = new double[x4.length];
            for (int i = 0; i < x4.length; i++) e[i] = x4[i] > 0 ? x4[i] : s3[(i / 20) % 3] * x4[i];
            Tolerance.elementwise().assertClose("PReLU(3) alone", y.toArray(), e);
        }
        assertThrows(IllegalArgumentException.class, () -> new PReLU(0));
        assertThrows(IllegalArgumentException.class, () -> new PReLU(3).setWeights(new float[2]));
        assertThrows(IllegalArgumentException.class, () -> new PReLU(3).outputShape(Shape.of(4, 5)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (Tensor t = backend.zeros(2, 3)) { new PReLU(3).forward(t); }
        });
        assertTrue(e.getMessage().contains("to("), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activationLayers")
    void activationLayerMatchesReference(ActivationLayer layer) {
        // Kinks (0, ±3, 6) and tails (±20) included, in a 3×13 shape
        float[] x = RandomData.uniform(RandomData.seedOf(layer, 1), 39, -8f, 8f);
        float[] kinks = {0f, -3f, 3f, 6f, -20f, 20f, 1e-3f, -1e-3f};
        System.arraycopy(kinks, 0, x, 0, kinks.length);
        double[] expected = NnReference.activation(NnReference.toDouble(x), layer.activation());
        try (Tensor tx = backend.tensor(x, 3, 13); Tensor y = layer.to(backend).forward(tx)) {
            Tolerance.elementwise().times(4).assertClose(layer.name(), y.toArray(), expected);
            Tolerance.assertUnchanged("input", x, tx.toArray());
        }
    }

    // ---- a small CNN, predict, memory ------------------------------------------------------------

    static List<Arguments> cnnCases() {
        List<Arguments> a = new ArrayList<>();
        for (Layout l : new Layout[] {Layout.NCHW, Layout.NHWC})
            for (FusionPolicy p : FusionPolicy.values()) a.add(Arguments.of(l, p));
        return a;
    }

    /** conv(relu built in) · conv · ReLU layer · Flatten · Linear · Sigmoid, from one double reference. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cnnCases")
    void smallCnnPredictMatchesReferenceWithoutLeaks(Layout layout, FusionPolicy policy) {
        int n = 2, h = 12, w = 11;
        NnReference.Conv c1 = new NnReference.Conv(n, 1, h, w, 4, 3, 3, 1, 1, new int[4], 1, 1, 1, layout);
        NnReference.Conv c2 = new NnReference.Conv(n, 4, c1.p(), c1.q(), 6, 3, 3, 2, 2, null, 1, 1, 1, layout);
        int features = 6 * c2.p() * c2.q();
        float[] w1 = RandomData.uniform(11, c1.weightCount()), b1 = RandomData.uniform(12, 4);
        float[] w2 = RandomData.uniform(13, c2.weightCount()), b2 = RandomData.uniform(14, 6);
        float[] wl = RandomData.uniform(15, 10 * features), bl = RandomData.uniform(16, 10);
        float[] x = RandomData.uniform(17, c1.inputCount());

        double[] r = NnReference.conv(NnReference.toDouble(x), c1, w1, b1, Activation.relu());
        r = NnReference.conv(r, c2, w2, b2, Activation.relu());
        double[] expected = NnReference.linear(r, n, features, 10, wl, bl, Activation.sigmoid()); // flatten = same order

        Sequential model = new Sequential(
                Conv2d.builder(1, 4, 3).layout(layout).activation("relu").build().setWeights(w1, b1),
                Conv2d.builder(4, 6, 3).stride(2).padding("same").layout(layout).build().setWeights(w2, b2),
                new ReLU(),
                new Flatten(),
                new Linear(features, 10).setWeights(wl, bl),
                new Sigmoid()).fusion(policy);
        LeakTracker leaks = new LeakTracker();
        model.tracker = leaks;
        int[] shape = layout == Layout.NCHW ? new int[] {n, 1, h, w} : new int[] {n, h, w, 1};
        try (Sequential m = model.to(backend)) {
            assertEquals(Shape.of(n, 10), m.outputShape(shape));
            float[] y = m.predict(x, shape);
            Tolerance tol = Tolerance.forReduction(9 + 36 + features).times(8);
            tol.assertClose("small CNN " + layout + " " + policy, y, expected);
            leaks.assertAllClosed(null);

            FloatBuffer buf = ByteBuffer.allocateDirect(4 * (x.length + 3)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            buf.position(3);
            buf.put(x).position(3);
            float[] yb = m.predict(buf, shape);
            assertEquals(3, buf.position(), "predict must not move the buffer's position");
            tol.assertClose("small CNN (FloatBuffer) " + layout + " " + policy, yb, expected);
            leaks.assertAllClosed(null);

            Tensor tx = backend.tensor(x, layout, shape);
            Tensor ty = m.forward(tx);
            tol.assertClose("small CNN (forward) " + layout + " " + policy, ty.toArray(), expected);
            assertFalse(tx.isClosed(), "forward must not close its input");
            Tolerance.assertUnchanged("forward's input", x, tx.toArray());
            tx.close();
            leaks.assertAllClosed(ty);
            ty.close();
            long launches = m.plan().stream().filter(s -> s.launch() >= 0).count();
            assertEquals(policy == FusionPolicy.AUTO ? 3 : 6, launches, m.describe(shape));
        }
    }

    @Test
    void shapesAreCheckedBeforeAnyTensorIsMade() {
        Sequential model = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new Flatten(), new Linear(4 * 8 * 8, 10));
        LeakTracker leaks = new LeakTracker();
        model.tracker = leaks;
        try (Sequential m = model.to(backend)) {
            // 12×12 input: the convolution gives 4×10×10 = 400 features, the Linear wants 256
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.predict(new float[2 * 144], 2, 1, 12, 12));
            assertTrue(e.getMessage().contains("layer #3 Linear(256 → 10)"), e.getMessage());
            assertTrue(e.getMessage().contains("expected input [N, 256], got [2, 400]"), e.getMessage());
            assertEquals(0, leaks.count(), "no tensor may be made before the shapes are checked");

            IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                    () -> m.predict(new float[2 * 3 * 100], 2, 3, 10, 10));
            assertTrue(c.getMessage().contains("layer #0 Conv2d(1 → 4, 3x3)"), c.getMessage());
            assertTrue(c.getMessage().contains("expected input [N, 1, H, W] (NCHW), got [2, 3, 10, 10]"), c.getMessage());

            IllegalArgumentException len = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[5], 2, 1, 10, 10));
            assertTrue(len.getMessage().contains("needs 200 floats, got 5"), len.getMessage());
            assertEquals(0, leaks.count());
        }
    }

    @Test
    void aFailingStepClosesEveryIntermediate() {
        Layer broken = new Layer() {
            @Override public String name() { return "Broken()"; }
            @Override public Shape outputShape(Shape input) { return input; }
            @Override public Tensor forward(Tensor input) { throw new IllegalStateException("planted failure"); }
            @Override public Layer to(dev.jkernels.Backend b) { return this; }
            @Override public void close() {}
        };
        Sequential model = new Sequential(new Linear(5, 4), new ReLU(), new Linear(4, 3), broken, new Linear(3, 2));
        LeakTracker leaks = new LeakTracker();
        model.tracker = leaks;
        try (Sequential m = model.to(backend); Tensor x = backend.tensor(RandomData.uniform(1, 10), 2, 5)) {
            model.fusion(FusionPolicy.NONE);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.forward(x));
            assertEquals("planted failure", e.getMessage());
            assertTrue(leaks.count() >= 2, "intermediates were made: " + leaks.count());
            leaks.assertAllClosed(null);
            assertFalse(x.isClosed());
        }
    }

    @Test
    void weightsMustBeOnTheInputsBackend() {
        Linear linear = new Linear(4, 3);
        try (Tensor x = backend.tensor(RandomData.uniform(2, 8), 2, 4)) {
            IllegalStateException notUploaded = assertThrows(IllegalStateException.class, () -> linear.forward(x));
            assertTrue(notUploaded.getMessage().contains("call to(" + backend.name() + ")"), notUploaded.getMessage());
            linear.to(backend);
            float[] before;
            try (Tensor y = linear.forward(x)) { before = y.toArray(); }
            // setWeights after the upload updates the backend's copy
            float[] w = RandomData.uniform(3, 12);
            linear.setWeights(w, new float[3]);
            double[] expected = NnReference.linear(NnReference.toDouble(x.toArray()), 2, 4, 3, w, new float[3], Activation.identity());
            try (Tensor y = linear.forward(x)) {
                Tolerance.forReduction(4).assertClose("after setWeights", y.toArray(), expected);
                assertFalse(Arrays.equals(before, y.toArray()));
            }
            linear.close();
            assertThrows(IllegalStateException.class, () -> linear.forward(x), "closed layer");
            linear.to(backend); // the host weights survive close
            try (Tensor y = linear.forward(x)) {
                Tolerance.forReduction(4).assertClose("after close and to", y.toArray(), expected);
            }
        } finally {
            linear.close();
        }
        Sequential notMoved = new Sequential(new ReLU());
        assertThrows(IllegalStateException.class, () -> notMoved.predict(new float[2], 1, 2));
    }

    @Test
    void flattenAloneCopiesAndKeepsItsInput() {
        float[] x = RandomData.uniform(21, 2 * 3 * 4 * 5);
        try (Tensor tx = backend.tensor(x, Layout.NHWC, 2, 3, 4, 5); Tensor y = new Flatten().forward(tx)) {
            assertArrayEquals(new int[] {2, 60}, y.dims());
            assertEquals(Layout.PLAIN, y.layout());
            assertArrayEquals(x, y.toArray());
            assertFalse(tx.isClosed());
            Tolerance.assertUnchanged("input", x, tx.toArray());
        }
    }

    @Test
    void activationOnlyModelsNeverWriteTheirInput() {
        float[] x = RandomData.uniform(31, 24, -3f, 3f);
        for (FusionPolicy p : FusionPolicy.values()) {
            try (Sequential m = new Sequential(new ReLU(), new Tanh(), new Sigmoid()).fusion(p).to(backend);
                 Tensor tx = backend.tensor(x, 4, 6); Tensor y = m.forward(tx)) {
                double[] expected = NnReference.activation(NnReference.activation(NnReference.activation(
                        NnReference.toDouble(x), Activation.relu()), Activation.tanh()), Activation.sigmoid());
                Tolerance.elementwise().times(4).assertClose("ReLU·Tanh·Sigmoid " + p, y.toArray(), expected);
                Tolerance.assertUnchanged("input", x, tx.toArray());
            }
        }
        try (Sequential empty = new Sequential().to(backend); Tensor tx = backend.tensor(x, 24); Tensor y = empty.forward(tx)) {
            assertArrayEquals(x, y.toArray());
            assertFalse(y == tx);
        }
    }

    @Test
    void nestedSequentialRunsThroughItsOwnPlan() {
        float[] w1 = RandomData.uniform(41, 6 * 5), b1 = RandomData.uniform(42, 6);
        float[] w2 = RandomData.uniform(43, 3 * 6), b2 = RandomData.uniform(44, 3);
        float[] x = RandomData.uniform(45, 4 * 5);
        double[] expected = NnReference.linear(NnReference.linear(NnReference.toDouble(x), 4, 5, 6, w1, b1, Activation.tanh()),
                4, 6, 3, w2, b2, Activation.identity());
        Sequential inner = new Sequential(new Linear(5, 6).setWeights(w1, b1), new Tanh());
        try (Sequential outer = new Sequential(inner, new Linear(6, 3).setWeights(w2, b2)).to(backend)) {
            assertEquals(Sequential.StepKind.LAYER, outer.plan().get(0).kind());
            Tolerance.forReduction(11).times(4).assertClose("nested", outer.predict(x, 4, 5), expected);
        }
        assertEquals(null, inner.backend(), "closing the outer model closes the inner one");
    }

    /** Records every tensor a forward pass makes, following memory moved by Flatten. */
    static final class LeakTracker implements Sequential.TensorTracker {
        private final Map<Tensor, Boolean> live = new IdentityHashMap<>();
        private int count;

        @Override public synchronized void created(Tensor t) { live.put(t, true); count++; }

        @Override public synchronized void moved(Tensor from, Tensor to) {
            assertTrue(live.remove(from) != null, "moved a tensor the tracker never saw");
            live.put(to, true);
        }

        synchronized int count() { return count; }

        /** Every tensor seen is closed, except {@code result} (the one handed to the caller), if given. */
        synchronized void assertAllClosed(Tensor result) {
            for (Tensor t : live.keySet()) {
                if (t == result) {
                    assertFalse(t.isClosed(), "the result must be open");
                    continue;
                }
                assertTrue(t.isClosed(), "leaked: " + t);
            }
        }
    }
}
