package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CNN layers (pooling, BatchNorm2d, Softmax, ResidualBlock) and Sequential's CNN fusion (BN folded
 * into the conv before it, the residual sum and activation in the epilogue of the block's last conv)
 * on one backend: a ResNet basic block, LeNet-5 and a ResNet-18-shaped stack, fused (AUTO) against
 * unfused (NONE) and both against the double-precision {@link NetReference}.
 */
public abstract class AbstractCnnLayerTest extends BackendTestBase {

    /** Random, non-trivial BN state, so folding is not the identity. */
    static void randomizeBatchNorms(Layer layer, long seed) {
        if (layer instanceof Sequential s) {
            for (int i = 0; i < s.size(); i++) randomizeBatchNorms(s.layer(i), seed * 31 + i);
        } else if (layer instanceof ResidualBlock rb) {
            randomizeBatchNorms(rb.mainPath(), seed * 7 + 1);
            if (rb.shortcut() != null) randomizeBatchNorms(rb.shortcut(), seed * 7 + 2);
        } else if (layer instanceof BatchNorm2d bn) {
            int c = bn.numFeatures();
            bn.setState(RandomData.uniform(seed, c, 0.5f, 1.5f), RandomData.uniform(seed + 1, c, -0.2f, 0.2f),
                    RandomData.uniform(seed + 2, c, -0.1f, 0.1f), RandomData.uniform(seed + 3, c, 0.5f, 1.5f));
        }
    }

    /** |got − ref| ≤ rel·max|ref| + abs, everywhere: deep nets accumulate rounding across layers. */
    static void assertNetClose(String what, float[] got, double[] ref, double rel) {
        assertEquals(ref.length, got.length, what + ": length");
        double scale = 0;
        for (double v : ref) scale = Math.max(scale, Math.abs(v));
        double allowed = rel * scale + 1e-6;
        for (int i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - ref[i]) <= allowed)) {
                throw new AssertionFailedError(what + ": index " + i + " got " + got[i] + ", expected " + ref[i]
                        + " (allowed ±" + allowed + ", max |ref| " + scale + ")");
            }
        }
    }

    /** Runs {@code model} fused and unfused on this backend and checks both against the reference. */
    void checkFusedUnfused(String what, Sequential model, Layout layout, int[] inputDims, double rel) {
        float[] x = RandomData.uniform(what.hashCode(), Shape.of(inputDims).elementCountAsInt("x"), -1f, 1f);
        NetReference.Result ref = NetReference.forward(model, RandomData.toDouble(x), inputDims, layout);
        assertArrayEquals(ref.dims(), model.outputShape(inputDims).dims(), what + ": output shape");
        model.to(backend);
        try {
            float[] fused, unfused;
            try (Tensor in = backend.tensor(x, layout, inputDims)) {
                model.fusion(FusionPolicy.AUTO);
                try (Tensor y = model.forward(in)) { fused = y.toArray(); }
                model.fusion(FusionPolicy.NONE);
                try (Tensor y = model.forward(in)) { unfused = y.toArray(); }
                assertArrayEquals(x, in.toArray(), what + ": the input was modified");
            }
            assertNetClose(what + " fused vs reference", fused, ref.y(), rel);
            assertNetClose(what + " unfused vs reference", unfused, ref.y(), rel);
            assertNetClose(what + " fused vs unfused", fused, RandomData.toDouble(unfused), rel);
        } finally {
            model.fusion(FusionPolicy.AUTO);
            model.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"NCHW", "NHWC"})
    void resnetBasicBlocks(Layout layout) {
        ResidualBlock down = ResidualBlock.basic(8, 16, 2, layout), same = ResidualBlock.basic(16, 16, 1, layout);
        Sequential model = new Sequential(down, same);
        randomizeBatchNorms(model, 5);
        int[] dims = layout == Layout.NCHW ? new int[] {2, 8, 9, 9} : new int[] {2, 9, 9, 8};
        checkFusedUnfused("basic blocks " + layout, model, layout, dims, 2e-5);

        // The plans: AUTO folds every BN and puts the sum + ReLU into the last conv; NONE runs each op.
        assertEquals(3, down.launches(FusionPolicy.AUTO));   // projection conv+BN, conv+BN+ReLU, conv+BN+sum+ReLU
        assertEquals(2, same.launches(FusionPolicy.AUTO));
        assertEquals(9, down.launches(FusionPolicy.NONE));   // 2 shortcut + 5 main + add + ReLU
        assertEquals(7, same.launches(FusionPolicy.NONE));
        String d = model.describe(dims);
        assertTrue(d.contains("5 launches"), d);
        assertTrue(d.contains("[BN folded]"), d);
        assertTrue(d.contains("+ residual, relu in the epilogue"), d);
        String none = model.fusion(FusionPolicy.NONE).describe(dims);
        model.fusion(FusionPolicy.AUTO);
        assertTrue(none.contains("16 launches") && none.contains("add (main + shortcut)"), none);
    }

    @Test
    void batchNormIsFoldedOnceAndRefoldedWhenItChanges() {
        Conv2d conv = Conv2d.builder(3, 5, 3).padding(1).build();
        BatchNorm2d bn = new BatchNorm2d(5);
        Sequential model = new Sequential(conv, bn, new ReLU());
        randomizeBatchNorms(model, 9);
        List<Sequential.Step> plan = model.plan();
        assertEquals(1, plan.size(), plan.toString());
        assertEquals(bn, plan.get(0).foldedBatchNorm());
        assertEquals(Activation.relu(), plan.get(0).activation());
        checkFusedUnfused("conv+bn+relu", model, Layout.NCHW, new int[] {2, 3, 7, 6}, 1e-5);
        model.to(backend);
        try {
            Conv2d first = model.folded(conv, bn, backend);
            assertTrue(first == model.folded(conv, bn, backend), "the fold is made once");
            float[] w = first.weight();
            bn.setState(null, null, new float[5], new float[] {4, 4, 4, 4, 4});
            Conv2d second = model.folded(conv, bn, backend);
            assertTrue(first != second, "a changed BN is folded again");
            assertNotEquals(w[0], second.weight()[0]);
            checkFusedUnfused("conv+bn+relu after setState", model, Layout.NCHW, new int[] {1, 3, 5, 5}, 1e-5);
        } finally {
            model.close();
        }
        // Not folded: a conv with a built-in activation before the BN, or a BN of other channels.
        Sequential notFolded = new Sequential(Conv2d.builder(3, 5, 3).activation("relu").build(), new BatchNorm2d(5));
        assertEquals(2, notFolded.plan().size());
    }

    @Test
    void leNet5() {
        Sequential lenet = new Sequential(
                Conv2d.builder(1, 6, 5).padding(2).build(), new Tanh(), new AvgPool2d(2),
                new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(16 * 5 * 5, 120, "relu"), new Linear(120, 84, "relu"), new Linear(84, 10),
                new Softmax(1));
        checkFusedUnfused("LeNet-5", lenet, Layout.NCHW, new int[] {small() ? 1 : 3, 1, 28, 28}, 2e-5);
        String d = lenet.describe(1, 1, 28, 28);
        assertTrue(d.contains("conv2dActivation(tanh)") && d.contains("forward(MaxPool2d(2x2))"), d);
    }

    @Test
    void poolingLayersMatchTheirOps() {
        Layer[] layers = {new MaxPool2d(3, 2, 1), new AvgPool2d(3, 2, 1), new GlobalAvgPool2d(), new GlobalMaxPool2d(),
                new AdaptiveAvgPool2d(2, 3, Layout.NCHW),
                new MaxPool2d(Pool2dSpec.max(2, 3).stride(1, 2).dilation(2, 1).ceilMode(true).build()),
                new AvgPool2d(Pool2dSpec.avg(3).stride(2).paddingSame().countIncludePad(false).build()),
                new Softmax(1), new LogSoftmax(-1), new BatchNorm2d(4)};
        int[] dims = {2, 4, 9, 8};
        for (Layer l : layers) {
            Sequential m = new Sequential(l);
            randomizeBatchNorms(m, 3);
            checkFusedUnfused(l.name(), m, Layout.NCHW, dims, 1e-5);
        }
        assertEquals("MaxPool2d(3x3, stride=2x2, padding=[1,1,1,1])", layers[0].name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sequential(new MaxPool2d(3)).outputShape(1, 1, 2, 2));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).setState(null, null, new float[3], new float[] {1, -1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).setState(null, null, new float[4], new float[3]));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3, -1f));
    }

    /** ResNet-18's structure: stem conv7x7/2 + BN + ReLU + max pool 3x3/2, 4 stages of 2 basic blocks, GAP, Linear, softmax. */
    static Sequential resnet18(int width, int classes, Layout layout) {
        List<Layer> l = new ArrayList<>();
        l.add(Conv2d.builder(3, width, 7).stride(2).padding(3).bias(false).layout(layout).build());
        l.add(new BatchNorm2d(width, 1e-5f, layout));
        l.add(new ReLU());
        l.add(new MaxPool2d(Pool2dSpec.max(3).stride(2).padding(1).layout(layout).build()));
        int in = width;
        for (int stage = 0; stage < 4; stage++) {
            int out = width << stage;
            l.add(ResidualBlock.basic(in, out, stage == 0 ? 1 : 2, layout));
            l.add(ResidualBlock.basic(out, out, 1, layout));
            in = out;
        }
        l.add(new GlobalAvgPool2d(layout));
        l.add(new Flatten());
        l.add(new Linear(in, classes));
        l.add(new Softmax(-1));
        return new Sequential(l);
    }

    /** The width of the ResNet-18-shaped stack on this backend (64 is ResNet-18's). */
    protected int resnetWidth() { return 64; }

    @Tag("slow")
    @ParameterizedTest
    @EnumSource(value = Layout.class, names = {"NCHW", "NHWC"})
    void resnet18ShapedStack(Layout layout) {
        Sequential net = resnet18(resnetWidth(), 10, layout);
        randomizeBatchNorms(net, 17);
        int[] dims = layout == Layout.NCHW ? new int[] {1, 3, 32, 32} : new int[] {1, 32, 32, 3};
        checkFusedUnfused("ResNet-18-shaped " + layout, net, layout, dims, 1e-4);
        // stem conv + max pool + 8 blocks (2 launches each, 3 for the 3 downsampling ones) + GAP + Linear + softmax.
        String d = net.describe(dims);
        assertTrue(d.contains("24 launches"), d);
    }
}
