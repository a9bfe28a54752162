package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dGeometry;
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
 * Every second-generation conv2d variant ({@link ConvFastKernels.Variant}: the pipelined implicit
 * GEMM tiles, depthwise, Winograd F(2x2,3x3), 1x1 as GEMM), launched by name through the backend's
 * filter cache, against the double-precision reference: the conv grid of {@link ConvVariantsTest}
 * and odd sizes (1, primes, 65, 127, 129 in pixels, channels and reductions), both layouts, with
 * groups and dilation where the variant takes them, bias, a residual, and every activation in the
 * runtime epilogue. A variant that cannot take a shape is not run on it (its unsupportedReason is
 * unit-tested in ConvFastSelectionTest). The output starts as NaN, so an element not written fails.
 */
abstract class ConvFastVariantsTest extends BackendTestBase {

    record VariantCase(ConvFastKernels.Variant variant, ConvCase conv, boolean residual) {
        @Override public String toString() { return variant.cudaName() + " " + conv + (residual ? " +residual" : ""); }
    }

    static List<ConvCase> oddShapes() {
        return List.of(
                ConvCase.of(1, 3, 1, 1, 1, 1, 1),                                  // everything 1 (C = 3)
                ConvCase.of(1, 5, 13, 5, 129, 3, 3).same().bias(true),              // K = 129: a tail in every tile
                ConvCase.of(1, 7, 65, 2, 3, 1, 3).same(),                           // 130 pixels, K = 3
                ConvCase.of(1, 127, 3, 3, 65, 3, 3).bias(true),                     // reduction 1143, K = 65, one pixel
                ConvCase.of(2, 4, 127, 1, 5, 3, 1).stride(2, 1).same(),             // a 127-row column image
                ConvCase.of(1, 16, 11, 7, 24, 1, 1).bias(true),                     // 1x1, C % 4 == 0 (float4 NHWC)
                ConvCase.of(1, 65, 7, 9, 65, 3, 3).groups(65).same().bias(true),    // depthwise, 65 channels
                ConvCase.of(1, 13, 5, 5, 39, 3, 3).groups(13).dilation(2, 1).explicitPadding(2, 2, 1, 1), // multiplier 3
                ConvCase.of(1, 12, 9, 9, 12, 5, 5).groups(12).stride(2, 2).same(),  // depthwise 5x5 stride 2, C % 4 == 0
                ConvCase.of(1, 17, 11, 13, 33, 3, 3).same().bias(true));            // Winograd tails (odd P, Q)
    }

    List<VariantCase> variantCases() {
        List<VariantCase> out = new ArrayList<>();
        List<ConvCase> shapes = new ArrayList<>(ConvVariantsTest.shapes());
        shapes.addAll(oddShapes());
        for (ConvFastKernels.Variant v : ConvFastKernels.Variant.values()) {
            int i = 0;
            for (Layout layout : List.of(Layout.NCHW, Layout.NHWC)) {
                for (ConvCase cc : shapes) {
                    ConvCase c = cc.layout(layout);
                    if (supports(v, c)) out.add(new VariantCase(v, c, i++ % 3 == 1));
                }
            }
            for (Activation act : ActivationCatalog.all()) {
                // The tensor-core variants share the epilogue code with the SIMT ones: every 4th activation.
                if (v.precision() != dev.jkernels.Precision.FP32 && act.kind().ordinal() % 4 != 0) continue;
                Layout layout = act.kind().ordinal() % 2 == 0 ? Layout.NCHW : Layout.NHWC;
                int groups = v == ConvFastKernels.Variant.DEPTHWISE ? 4 : 1;
                int k = v == ConvFastKernels.Variant.DEPTHWISE ? 8 : 9;
                ConvCase c = ConvCase.of(2, 4, 7, 6, k, 3, 3).same().groups(groups).bias(true).layout(layout).activation(act);
                if (v == ConvFastKernels.Variant.GEMM_1X1) c = ConvCase.of(2, 4, 7, 6, 9, 1, 1).bias(true).layout(Layout.NHWC).activation(act);
                if (supports(v, c)) out.add(new VariantCase(v, c, act.kind().ordinal() % 3 == 0));
            }
        }
        return out;
    }

    static Conv2dGeometry geometry(ConvCase cc) {
        return cc.spec().geometry(Shape.of(cc.inputDims()), Shape.of(cc.filterDims()));
    }

    static boolean supports(ConvFastKernels.Variant v, ConvCase cc) {
        if (v == ConvFastKernels.Variant.GEMM_1X1 && cc.layout() == Layout.NCHW && cc.bias()) return false;
        return v.unsupportedReason(geometry(cc)) == null;
    }

    /** The reference with a residual added before the activation. */
    static double[] reference(ConvCase cc, float[] input, float[] filters, float[] bias, float[] residual) {
        double[] linear = Reference.conv2d(cc.activation(Activation.identity()), input, filters, bias);
        double[] out = new double[linear.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Reference.activation(cc.activation(), linear[i] + (residual != null ? residual[i] : 0.0));
        }
        return out;
    }

    /** Runs {@code v} on {@code cc}; the output starts as NaN. */
    float[] run(ConvFastKernels.Variant v, ConvCase cc, float[] input, float[] filters, float[] bias, float[] residual) {
        KernelBackend kb = (KernelBackend) backend;
        Conv2dGeometry g = geometry(cc);
        org.junit.jupiter.api.Assumptions.assumeTrue(v.precision() == dev.jkernels.Precision.FP32 || TensorCores.supported(kb.deviceProfile()),
                () -> v + ": no TF32 tensor cores on " + kb.deviceProfile());
        float[] nan = new float[(int) Shape.of(cc.outputDims()).elementCount()];
        Arrays.fill(nan, Float.NaN);
        try (TensorScope scope = new TensorScope()) {
            Tensor in = scope.track(kb.tensor(input, cc.layout(), cc.inputDims()));
            Tensor f = scope.track(kb.tensor(filters, cc.filterDims()));
            Tensor b = bias == null ? null : scope.track(kb.tensor(bias, cc.k()));
            Tensor res = residual == null ? null : scope.track(kb.tensor(residual, cc.layout(), cc.outputDims()));
            Tensor out = scope.track(kb.tensor(nan, cc.layout(), cc.outputDims()));
            EpilogueArgs.Builder ep = EpilogueArgs.builder().activation(cc.activation());
            if (b != null) ep.bias(KernelBackend.buffer(b));
            if (res != null) ep.residual(KernelBackend.buffer(res), 0);
            kb.runConvVariant(v, g, KernelBackend.buffer(in), KernelBackend.buffer(f), KernelBackend.buffer(out), ep.build(),
                    "test " + v.cudaName() + " " + cc);
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
        float[] residual = vc.residual()
                ? RandomData.uniform(RandomData.seedOf(cc, 4), (int) Shape.of(cc.outputDims()).elementCount()) : null;
        // TF32 variants: the reference on TF32-rounded input and filters, to the strict FP32 tolerance (the
        // kernels round exactly as __float_to_tf32 and accumulate in FP32); 3xTF32 and FP32: the exact reference.
        boolean tf32 = vc.variant().precision() == dev.jkernels.Precision.TF32;
        double[] expected = reference(cc, tf32 ? rounded(input) : input, tf32 ? rounded(filters) : filters, bias, residual);
        float[] got = run(vc.variant(), cc, input, filters, bias, residual);
        Tolerance.forReduction(cc.reductionLength()).assertClose(vc.toString(), got, expected);
    }

    static float[] rounded(float[] x) {
        float[] y = new float[x.length];
        dev.jkernels.cpu.Tf32.round(x, y, 0, x.length);
        return y;
    }
}
