package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every conv2d kernel configuration, launched by name, against the double-precision reference, in
 * NCHW and NHWC: stride, SAME and asymmetric explicit padding, dilation, groups (depthwise and
 * depthwise with a channel multiplier), 1x1 filters, more output channels than a tile (70, 33),
 * reductions that are not multiples of the tile depth, windows that hang over every border, bias,
 * and every activation in the fused epilogue. The output starts as NaN, so an element the kernel
 * does not write fails.
 */
abstract class ConvVariantsTest extends BackendTestBase {

    record VariantCase(ConvKernels.Config config, ConvCase conv) {
        @Override public String toString() { return config.cudaName() + " " + conv; }
    }

    static List<ConvCase> shapes() {
        return List.of(
                ConvCase.of(2, 3, 9, 11, 5, 3, 3).same().bias(true),
                ConvCase.of(1, 4, 8, 7, 6, 3, 2).stride(2, 1).explicitPadding(0, 2, 1, 0).dilation(1, 2).groups(2),
                ConvCase.of(2, 6, 7, 7, 6, 3, 3).stride(1, 2).explicitPadding(1, 1, 1, 1).dilation(2, 1).groups(6).bias(true),
                ConvCase.of(1, 4, 6, 6, 8, 3, 3).groups(4).same(),
                ConvCase.of(1, 16, 5, 5, 70, 1, 1).bias(true),
                ConvCase.of(1, 9, 12, 10, 12, 5, 3).stride(3, 2).explicitPadding(2, 1, 0, 3).groups(3).bias(true),
                ConvCase.of(3, 20, 6, 6, 40, 3, 3).same().groups(2).bias(true),
                ConvCase.of(2, 8, 13, 13, 33, 3, 3).stride(2, 2).same(),
                ConvCase.of(2, 3, 17, 17, 16, 3, 3).explicitPadding(1, 1, 1, 1).bias(true),
                ConvCase.of(1, 2, 2, 3, 3, 3, 3).explicitPadding(1, 1, 1, 1));
    }

    List<VariantCase> variantCases() {
        List<VariantCase> out = new ArrayList<>();
        for (ConvKernels.Config config : ConvKernels.Config.values()) {
            for (Layout layout : List.of(Layout.NCHW, Layout.NHWC)) {
                for (ConvCase cc : shapes()) out.add(new VariantCase(config, cc.layout(layout)));
            }
            for (Activation act : ActivationCatalog.all()) {
                Layout layout = act.kind().ordinal() % 2 == 0 ? Layout.NCHW : Layout.NHWC;
                out.add(new VariantCase(config, ConvCase.of(2, 4, 7, 6, 9, 3, 3).same().bias(true).layout(layout).activation(act)));
            }
        }
        return out;
    }

    /** Runs one configuration by name; the output starts as NaN. Returns the output. */
    float[] run(ConvKernels.Config config, ConvCase cc, float[] input, float[] filters, float[] bias) {
        KernelBackend kb = (KernelBackend) backend;
        Conv2dSpec spec = cc.spec();
        Conv2dGeometry g = spec.geometry(Shape.of(cc.inputDims()), Shape.of(cc.filterDims()));
        float[] nan = new float[(int) Shape.of(cc.outputDims()).elementCount()];
        Arrays.fill(nan, Float.NaN);
        try (TensorScope scope = new TensorScope()) {
            Tensor in = scope.track(kb.tensor(input, cc.layout(), cc.inputDims()));
            Tensor f = scope.track(kb.tensor(filters, cc.filterDims()));
            Tensor b = bias == null ? null : scope.track(kb.tensor(bias, cc.k()));
            Tensor out = scope.track(kb.tensor(nan, cc.layout(), cc.outputDims()));
            kb.launcher().launch(ConvKernels.launch(config, g, cc.activation(), KernelBackend.buffer(in), KernelBackend.buffer(f),
                    b == null ? null : KernelBackend.buffer(b), KernelBackend.buffer(out), "test " + config.cudaName() + " " + cc));
            kb.synchronize();
            Tolerance.assertUnchanged("input", input, in.toArray());
            Tolerance.assertUnchanged("filters", filters, f.toArray());
            return out.toArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variantCases")
    void variantMatchesReference(VariantCase vc) {
        ConvCase cc = vc.conv();
        float[] input = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize());
        float[] filters = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cc.k()) : null;
        double[] expected = Reference.conv2d(cc, input, filters, bias);
        float[] got = run(vc.config(), cc, input, filters, bias);
        Tolerance.forReduction(cc.reductionLength()).assertClose(vc.toString(), got, expected);
    }
}
