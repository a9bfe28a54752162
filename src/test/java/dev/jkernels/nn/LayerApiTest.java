package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What needs no backend: shape inference and its messages, the fusion plan, describe(), construction checks. */
class LayerApiTest {

    @Test
    void seedShapes() {
        // Keras: Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)) → (None, 26, 26, 32)
        Conv2d keras = Conv2d.builder(1, 32, 3).activation("relu").layout(Layout.NHWC).build();
        assertEquals(Shape.of(1, 26, 26, 32), keras.outputShape(Shape.of(1, 28, 28, 1)));
        // PyTorch's NCHW equivalent
        assertEquals(Shape.of(1, 32, 26, 26), new Conv2d(1, 32, 3, Activation.relu()).outputShape(Shape.of(1, 1, 28, 28)));
        assertEquals(Shape.of(1, 5), new Linear(10, 5).outputShape(Shape.of(1, 10)));
        assertEquals(Shape.of(1, 5), new Sequential(new Linear(10, 5), new ReLU()).outputShape(1, 10));
    }

    @Test
    void convShapesFollowPaddingStrideDilation() {
        // PyTorch: floor((H + 2p − d(k−1) − 1)/s) + 1
        assertEquals(Shape.of(2, 8, 14, 14), Conv2d.builder(3, 8, 3).stride(2).padding(1).build().outputShape(Shape.of(2, 3, 28, 28)));
        assertEquals(Shape.of(2, 8, 24, 24), Conv2d.builder(3, 8, 3).dilation(2).build().outputShape(Shape.of(2, 3, 28, 28)));
        // TF SAME: ⌈in/stride⌉
        assertEquals(Shape.of(1, 10, 9, 4), Conv2d.builder(2, 4, 3, 5).stride(2, 3).padding("same").layout(Layout.NHWC).build()
                .outputShape(Shape.of(1, 19, 25, 2)));
        assertEquals(Shape.of(1, 6, 3, 5), Conv2d.builder(4, 6, 3).padding("valid").groups(2).build().outputShape(Shape.of(1, 4, 5, 7)));
        assertEquals(Shape.of(4, 60), new Flatten().outputShape(Shape.of(4, 3, 4, 5)));
    }

    @Test
    void shapeErrorsNameExpectedAndActual() {
        IllegalArgumentException lin = assertThrows(IllegalArgumentException.class, () -> new Linear(10, 5).outputShape(Shape.of(3, 12)));
        assertEquals("expected input [N, 10], got [3, 12]", lin.getMessage());
        IllegalArgumentException conv = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.builder(3, 8, 3).layout(Layout.NHWC).build().outputShape(Shape.of(1, 3, 28, 28)));
        assertEquals("expected input [N, H, W, 3] (NHWC), got [1, 3, 28, 28]", conv.getMessage());
        IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
                () -> new Conv2d(1, 2, 5).outputShape(Shape.of(1, 1, 3, 3)));
        assertTrue(tooSmall.getMessage().contains("[1, 1, 3, 3]"), tooSmall.getMessage());

        Sequential m = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new Flatten(), new Linear(100, 10), new Sigmoid());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.outputShape(8, 1, 12, 12));
        assertEquals("Sequential: layer #3 Linear(100 → 10): expected input [N, 100], got [8, 400]; shapes so far: "
                + "input [8, 1, 12, 12] → #0 [8, 4, 10, 10] → #1 [8, 4, 10, 10] → #2 [8, 400]", e.getMessage());

        Sequential nhwc = new Sequential(Conv2d.builder(1, 4, 3).layout(Layout.NHWC).build());
        IllegalArgumentException layout = assertThrows(IllegalArgumentException.class, () -> nhwc.outputLayout(Layout.NCHW));
        assertTrue(layout.getMessage().startsWith("Sequential: layer #0 Conv2d(1 → 4, 3x3, NHWC): expected input layout NHWC, got NCHW"),
                layout.getMessage());
        IllegalArgumentException custom = assertThrows(IllegalArgumentException.class,
                () -> new Sequential(new Linear(3, 3), ActivationLayer.of("relu")).outputShape(2, 4));
        assertTrue(custom.getMessage().startsWith("Sequential: layer #0 Linear(3 → 3): expected input [N, 3], got [2, 4]"), custom.getMessage());
    }

    @Test
    void fusionPlanFollowsTheRules() {
        assertLaunches(new Sequential(new Linear(4, 3), new ReLU()), FusionPolicy.AUTO, "gemm(transB, bias, relu) #0+#1");
        assertLaunches(new Sequential(new Linear(4, 3), new ReLU()), FusionPolicy.NONE, "gemm(transB, bias) #0", "activation(relu) #1");
        assertLaunches(new Sequential(new Linear(4, 3, "relu")), FusionPolicy.AUTO, "gemm(transB, bias, relu) #0");
        assertLaunches(new Sequential(new Linear(4, 3, "relu")), FusionPolicy.NONE, "gemm(transB, bias) #0", "activation(relu) #0");
        // A layer with its own activation is not folded a second time
        assertLaunches(new Sequential(new Linear(4, 3, "relu"), new Sigmoid()), FusionPolicy.AUTO,
                "gemm(transB, bias, relu) #0", "activation(sigmoid) #1");
        // Only the activation directly after is folded
        assertLaunches(new Sequential(new Linear(4, 3, false, Activation.identity()), new ReLU(), new Tanh()), FusionPolicy.AUTO,
                "gemm(transB, relu) #0+#1", "activation(tanh) #2");
        assertLaunches(new Sequential(new ReLU(), new Linear(4, 3)), FusionPolicy.AUTO, "activation(relu) #0", "gemm(transB, bias) #1");
        assertLaunches(new Sequential(new Conv2d(1, 2, 3), new LeakyReLU(0.2f), new Flatten(), new Linear(2, 2), new GELU("tanh")),
                FusionPolicy.AUTO, "conv2dActivation(leaky_relu(0.2)) #0+#1", "reshape (no launch) #2", "gemm(transB, bias, gelu_tanh) #3+#4");
        assertLaunches(new Sequential(new Conv2d(1, 2, 3, Activation.elu()), new Flatten()), FusionPolicy.NONE,
                "conv2d #0", "activation(elu(1.0)) #0", "reshape (no launch) #1");
    }

    private static void assertLaunches(Sequential m, FusionPolicy p, String... expected) {
        List<Sequential.Step> steps = m.fusion(p).plan();
        String[] got = steps.stream().map(s -> {
            StringBuilder sb = new StringBuilder(s.op()).append(' ');
            for (int i = 0; i < s.layers().size(); i++) sb.append(i == 0 ? "#" : "+#").append(s.layers().get(i));
            return sb.toString();
        }).toArray(String[]::new);
        assertArrayEquals(expected, got, m.name() + " under " + p);
        int launch = 0;
        for (Sequential.Step s : steps) {
            if (s.kind() == Sequential.StepKind.RESHAPE) assertEquals(-1, s.launch());
            else assertEquals(launch++, s.launch());
        }
    }

    @Test
    void describeShowsFusionAndLaunchShapes() {
        Sequential m = new Sequential(new Conv2d(1, 32, 3), new ReLU(), new Flatten(), new Linear(32 * 26 * 26, 10, "relu"));
        String auto = m.describe(4, 1, 28, 28).replaceAll(" +", " ");
        assertTrue(auto.startsWith("Sequential: 4 layers, fusion AUTO, 2 launches, input [4, 1, 28, 28]\n"), auto);
        assertTrue(auto.contains("#0 Conv2d(1 → 32, 3x3) launch 0"), auto);
        assertTrue(auto.contains("launch 0, fused with #1 (relu in the epilogue)"), auto);
        assertTrue(auto.contains("launch 0, folded into #0"), auto);
        assertTrue(auto.contains("no launch (re-labels the intermediate)"), auto);
        assertTrue(auto.contains("launch 1, built-in relu fused into the epilogue"), auto);
        assertTrue(auto.contains("0 conv2dActivation(relu) #0+#1 x[4, 1, 28, 28] ⊛ W[32, 1, 3, 3] + b[32] → [4, 32, 26, 26]"), auto);
        assertTrue(auto.contains("1 gemm(transB, bias, relu) #3 x[4, 21632] · W[10, 21632]ᵀ + b[10] → [4, 10]"), auto);
        String none = m.fusion(FusionPolicy.NONE).describe().replaceAll(" +", " ");
        assertTrue(none.startsWith("Sequential: 4 layers, fusion NONE, 4 launches\n"), none);
        assertTrue(none.contains("launch 2, then launch 3 for its relu (not fused)"), none);
        assertTrue(none.contains("1 activation(relu) #1"), none);
        assertFalse(none.contains("fused with"), none);
    }

    @Test
    void constructionIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new Linear(5, 5, (Activation) null));
        IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(6, 4, 3).groups(4).build());
        assertTrue(g.getMessage().contains("divisible by groups (4)"), g.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(1, 1, 3).stride(0).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(1, 1, 3).padding("full").build());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> new Linear(10, 5).setWeights(new float[49], new float[5]));
        assertEquals("Linear(10 → 5): weight [out, in] [5, 10] needs 50 floats, got 49", w.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> new Linear(10, 5).setWeights(new float[50], new float[4]));
        assertEquals("Linear(10 → 5): bias expected shape [5], got [4]", b.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(10, 5, false, Activation.identity()).setWeights(new float[50], new float[5]));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(2, 4, 3).setWeights(new float[4 * 2 * 9], null));
        assertThrows(IllegalArgumentException.class, () -> new GELU("fast"));
        Linear shared = new Linear(2, 2);
        assertThrows(IllegalArgumentException.class, () -> new Sequential(shared, new ReLU(), shared));
        assertThrows(IllegalArgumentException.class, () -> new Sequential(new ReLU(), null));
    }

    @Test
    void layerNamesReadLikeTheFrameworks() {
        assertEquals("Linear(10 → 5)", new Linear(10, 5).name());
        assertEquals("Linear(10 → 5, bias=false, gelu_tanh)", new Linear(10, 5, false, Activation.geluTanh()).name());
        assertEquals("Conv2d(3 → 8, 3x3, stride=2x2, padding=same, dilation=2x2, groups=1, bias=false, NHWC, relu)".replace(", groups=1", ""),
                Conv2d.builder(3, 8, 3).stride(2).padding("same").dilation(2).bias(false).layout(Layout.NHWC).activation("relu").build().name());
        assertEquals("LeakyReLU(0.01)", new LeakyReLU().name());
        assertEquals("GELU(approximate=tanh)", new GELU("tanh").name());
        assertEquals(Activation.Kind.SILU, ActivationLayer.of("swish").activation().kind());
        assertEquals(Activation.Kind.GELU, new GELU().activation().kind());
        assertEquals(0.3f, new LeakyReLU(0.3f).activation().alpha());
        assertNull(new Linear(3, 3, false, Activation.identity()).bias());
    }
}
