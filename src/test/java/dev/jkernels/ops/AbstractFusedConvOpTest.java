package dev.jkernels.ops;

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
 * The fused path {@code conv2dActivation} against the two-launch path ({@code conv2d}, then
 * {@code activation}) on the same backend, and both against the reference: every activation, both
 * layouts, with and without bias, grouped and strided shapes.
 */
public abstract class AbstractFusedConvOpTest extends BackendTestBase {

    /** The conv implementations the fused path runs on: AUTO here; kernel backends list every variant. */
    protected List<ConvAlgorithm> algorithms() { return List.of(ConvAlgorithm.AUTO); }

    List<ConvCase> fusedCases() {
        List<ConvCase> bases = new ArrayList<>();
        bases.add(ConvCase.of(2, 3, 9, 11, 5, 3, 3).same().bias(true));
        bases.add(ConvCase.of(1, 4, 10, 7, 6, 3, 3).groups(2).stride(2, 2).explicitPadding(1, 2, 0, 1));
        if (!small()) {
            bases.add(ConvCase.of(1, 16, 13, 13, 33, 3, 3).same().bias(true).dilation(2, 2));
            bases.add(ConvCase.of(1, 1, 28, 28, 32, 3, 3).bias(true)); // first layer: the fused case that matters most
        }
        List<ConvCase> cases = new ArrayList<>();
        for (Activation act : ActivationCatalog.all()) {
            for (int i = 0; i < bases.size(); i++) {
                for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
                    if (small() && ((i + layout.ordinal()) % 2 == 1)) continue; // emulator: half the combinations
                    cases.add(bases.get(i).layout(layout).activation(act));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fusedCases")
    void fusedEqualsTwoLaunchAndReference(ConvCase cc) {
        float[] in = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize(), -2f, 2f);
        float[] f = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cc.k()) : null;
        double[] expected = Reference.conv2d(cc, in, f, bias);
        Activation act = cc.activation();
        for (ConvAlgorithm algorithm : algorithms()) {
            Conv2dSpec spec = cc.spec().toBuilder().algorithm(algorithm).build();
            try (TensorScope scope = new TensorScope()) {
                Tensor tin = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
                Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
                Tensor tb = bias == null ? null : scope.track(backend.tensor(bias, cc.k()));
                Tensor fused = scope.track(backend.tensor(RandomData.uniform(5, expected.length, 70f, 80f), cc.layout(), cc.outputDims()));
                backend.conv2dActivation(spec, act, tin, tf, tb, fused);
                Tensor conv = scope.track(backend.conv2d(spec, tin, tf, tb));
                Tensor twoLaunch = scope.track(backend.activation(act, conv));
                Tensor fusedAllocated = scope.track(backend.conv2dActivation(spec, act, tin, tf, tb));
                backend.synchronize();

                // 2·: the activation's slope (≤ 1.76 for SELU) scales the conv's rounding
                Tolerance ref = Tolerance.forReduction(cc.reductionLength()).times(2 * (cc.bias() ? 2 : 1));
                float[] fusedOut = fused.toArray();
                ref.assertClose("fused vs reference " + cc + " " + algorithm, fusedOut, expected);
                ref.assertClose("two-launch vs reference " + cc + " " + algorithm, twoLaunch.toArray(), expected);
                ref.assertClose("fused vs two-launch " + cc + " " + algorithm, fusedOut, twoLaunch.toArray());
                ref.assertClose("fused (allocating) vs reference " + cc + " " + algorithm, fusedAllocated.toArray(), expected);
            }
        }
    }
}
