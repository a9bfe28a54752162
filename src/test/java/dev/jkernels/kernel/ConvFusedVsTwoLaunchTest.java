package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

/**
 * The fused path (one conv kernel with the activation in its epilogue: conv2dActivation) against
 * the two-launch path (the same conv kernel with the identity epilogue, then the activation
 * kernel), per conv algorithm, through the Backend API. Both must agree within FP32 rounding of the
 * activation (the pre-activation sums are the same kernel's), and both must match the reference.
 */
abstract class ConvFusedVsTwoLaunchTest extends BackendTestBase {

    record FusedCase(ConvAlgorithm algorithm, ConvCase conv) {
        @Override public String toString() { return algorithm + " " + conv; }
    }

    List<FusedCase> fusedCases() {
        List<FusedCase> out = new ArrayList<>();
        List<Activation> acts = List.of(Activation.relu(), Activation.gelu(), Activation.silu(), Activation.leakyRelu(0.2f),
                Activation.of(Activation.Kind.HARD_SIGMOID));
        for (ConvAlgorithm alg : ConvAlgorithm.values()) {
            if (!alg.runs(dev.jkernels.Precision.FP32)) continue;  // TENSOR_CORE: PrecisionGridTest
            int i = 0;
            for (Activation act : acts) {
                Layout layout = (i++ % 2 == 0) ? Layout.NCHW : Layout.NHWC;
                out.add(new FusedCase(alg, ConvCase.of(2, 6, 9, 8, 10, 3, 3).same().bias(true).layout(layout).activation(act)));
            }
            out.add(new FusedCase(alg, ConvCase.of(1, 8, 7, 7, 8, 3, 3).groups(8).same().bias(true)
                    .activation(Activation.relu())));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fusedCases")
    void fusedEqualsTwoLaunch(FusedCase fc) {
        ConvCase cc = fc.conv();
        Conv2dSpec spec = cc.spec().toBuilder().algorithm(fc.algorithm()).build();
        float[] input = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize());
        float[] filters = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = RandomData.uniform(RandomData.seedOf(cc, 3), cc.k());
        float[] fused, twoLaunch;
        try (TensorScope scope = new TensorScope()) {
            Tensor in = scope.track(backend.tensor(input, cc.layout(), cc.inputDims()));
            Tensor f = scope.track(backend.tensor(filters, cc.filterDims()));
            Tensor b = scope.track(backend.tensor(bias, cc.k()));
            fused = scope.track(backend.conv2dActivation(spec, cc.activation(), in, f, b)).toArray();
            Tensor conv = scope.track(backend.conv2d(spec, in, f, b));
            backend.activation(cc.activation(), conv, conv);
            backend.synchronize();
            twoLaunch = conv.toArray();
        }
        Tolerance.elementwise().times(4).assertClose("fused vs two-launch " + fc, fused, twoLaunch);
        Tolerance.forReduction(cc.reductionLength()).assertClose("fused vs reference " + fc, fused,
                Reference.conv2d(cc, input, filters, bias));
    }
}
