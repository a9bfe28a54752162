package dev.jkernels.ops;

import dev.jkernels.ConvAlgorithm;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * conv2d on one backend against the double-precision reference, over the grid stride (1, 2, 3) ×
 * padding (0, asymmetric, SAME, VALID) × dilation (1, 2) × groups (1, 2, depthwise) × bias × both
 * layouts, on odd sizes; plus shapes that stress the edges (1×1 filters, filters as large as the
 * input, a batch, many channels, a first layer with 1 or 3 channels).
 */
public abstract class AbstractConv2dOpTest extends BackendTestBase {

    /** The conv implementations every case runs on: AUTO here; kernel backends list every variant. */
    protected List<ConvAlgorithm> algorithms() { return List.of(ConvAlgorithm.AUTO); }

    /** The full cartesian grid, on small odd sizes (CPU/GPU); every 11th combination on the emulator. */
    List<ConvCase> gridCases() {
        List<ConvCase> cases = new ArrayList<>();
        int index = 0;
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            for (int stride : new int[] {1, 2, 3}) {
                for (int pad = 0; pad < 4; pad++) {
                    for (int dil : new int[] {1, 2}) {
                        for (int groupMode = 0; groupMode < 3; groupMode++) {
                            for (boolean bias : new boolean[] {false, true}) {
                                if (small() && index++ % 11 != 0) continue;
                                // groups: 1 (C=3, K=5), 2 (C=4, K=6), depthwise (C=K=5)
                                int c = groupMode == 0 ? 3 : groupMode == 1 ? 4 : 5;
                                int k = groupMode == 0 ? 5 : groupMode == 1 ? 6 : 5;
                                int g = groupMode == 0 ? 1 : groupMode == 1 ? 2 : 5;
                                ConvCase cc = ConvCase.of(2, c, 9, 11, k, 3, 3).groups(g).bias(bias).layout(layout)
                                        .stride(stride, stride).dilation(dil, dil);
                                cc = switch (pad) {
                                    case 0 -> cc.explicitPadding(0, 0, 0, 0);
                                    case 1 -> cc.explicitPadding(1, 2, 0, 1);
                                    case 2 -> cc.same();
                                    default -> cc.valid();
                                };
                                if (cc.hasOutput()) cases.add(cc);
                            }
                        }
                    }
                }
            }
        }
        return cases;
    }

    /** Edge shapes and a few realistic ones. */
    List<ConvCase> shapeCases() {
        List<ConvCase> cases = new ArrayList<>();
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            cases.add(ConvCase.of(1, 1, 1, 1, 1, 1, 1).layout(layout));                              // everything 1
            cases.add(ConvCase.of(1, 3, 7, 13, 7, 1, 1).layout(layout).bias(true));                  // 1x1 filter
            cases.add(ConvCase.of(1, 2, 5, 7, 3, 5, 7).layout(layout));                              // filter = input
            cases.add(ConvCase.of(1, 2, 5, 7, 3, 5, 7).layout(layout).same());                       // ... with SAME
            cases.add(ConvCase.of(3, 1, 13, 17, 4, 3, 3).layout(layout).same().bias(true));          // first layer C=1
            cases.add(ConvCase.of(1, 3, 8, 8, 2, 2, 2).layout(layout).stride(3, 3).explicitPadding(0, 1, 1, 0)); // stride > filter
            cases.add(ConvCase.of(2, 6, 11, 10, 6, 3, 5).layout(layout).stride(2, 1).dilation(1, 2)
                    .explicitPadding(2, 0, 3, 1).bias(true));                                        // anisotropic everything
            cases.add(ConvCase.of(1, 4, 10, 9, 8, 3, 3).layout(layout).groups(4).same().bias(true)); // depthwise, multiplier 2
            if (small()) {
                cases.add(ConvCase.of(1, 16, 15, 15, 17, 3, 3).layout(layout).same().bias(true));
            } else {
                cases.add(ConvCase.of(2, 3, 28, 28, 32, 3, 3).layout(layout).bias(true));            // 28x28x3 -> 26x26x32
                cases.add(ConvCase.of(1, 64, 17, 17, 65, 3, 3).layout(layout).same().bias(true));    // many channels, K not a tile multiple
                cases.add(ConvCase.of(1, 32, 31, 29, 32, 3, 3).layout(layout).groups(32).stride(2, 2).same()); // depthwise stride 2
                cases.add(ConvCase.of(1, 129, 9, 7, 31, 1, 1).layout(layout).bias(true));            // pointwise, odd C
                cases.add(ConvCase.of(1, 3, 65, 67, 16, 7, 7).layout(layout).stride(2, 2).same());  // stem conv
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gridCases")
    void gridMatchesReference(ConvCase cc) { check(cc); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapeCases")
    void shapesMatchReference(ConvCase cc) { check(cc); }

    /** Also checks the allocating form and that the inputs come back unchanged. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shapeCases")
    void allocatingFormMatchesReference(ConvCase cc) {
        float[] in = RandomData.uniform(RandomData.seedOf(cc, 11), cc.inputSize());
        float[] f = RandomData.uniform(RandomData.seedOf(cc, 12), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 13), cc.k()) : null;
        double[] expected = Reference.conv2d(cc, in, f, bias);
        try (TensorScope scope = new TensorScope()) {
            Tensor tin = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
            Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
            Tensor tb = bias == null ? null : scope.track(backend.tensor(bias, cc.k()));
            Tensor out = scope.track(backend.conv2d(cc.spec(), tin, tf, tb));
            assertArrayEquals(cc.outputDims(), out.dims(), "output shape");
            org.junit.jupiter.api.Assertions.assertEquals(cc.layout(), out.layout(), "output layout");
            tolerance(cc).assertClose("output " + cc, out.toArray(), expected);
            Tolerance.assertUnchanged("input", in, tin.toArray());
            Tolerance.assertUnchanged("filters", f, tf.toArray());
        }
    }

    private void check(ConvCase cc) {
        float[] in = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize());
        float[] f = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cc.k()) : null;
        double[] expected = Reference.conv2d(cc, in, f, bias);
        int outSize = expected.length;
        // a stale, non-zero output: every element must be overwritten
        float[] stale = RandomData.uniform(RandomData.seedOf(cc, 4), outSize, 50f, 60f);
        for (ConvAlgorithm algorithm : algorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor tin = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
                Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
                Tensor tb = bias == null ? null : scope.track(backend.tensor(bias, cc.k()));
                Tensor out = scope.track(backend.tensor(stale, cc.layout(), cc.outputDims()));
                backend.conv2d(cc.spec().toBuilder().algorithm(algorithm).build(), tin, tf, tb, out);
                backend.synchronize();
                tolerance(cc).assertClose("output " + cc + " " + algorithm, out.toArray(), expected);
            }
        }
    }

    protected Tolerance tolerance(ConvCase cc) {
        return Tolerance.forReduction(cc.reductionLength()).times(cc.bias() ? 2 : 1);
    }
}
