package dev.jkernels.cpu;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

/**
 * Each path of the CPU backend's Vector API conv2d against the double-precision reference, with the
 * fused bias and activation, in both layouts, on the shapes that reach its edges: the implicit path
 * for 1-4 input channels (stride phases, dilation, filters wider than the padding, several output
 * tiles per row, K not a multiple of 8; and layers with long rows, at stride 1 tiled across rows), the depthwise path (multipliers 1 and 2, strides 1 and 2,
 * channel counts with a vector tail), the packed-strip GEMM path (K over one 128-filter task, a
 * reduction over several 256-long slices, batch 1 with too few pixels for one task per thread, strips packed once per call), 1×1
 * stride-1 layers (B read in place: full strips, a tail strip, several slices, groups), and
 * NHWC with groups. 2 threads, so that every shape is split into tasks.
 */
class CpuConvPathsTest {
    private static CpuBackend backend;

    @BeforeAll static void open() { backend = new CpuBackend(2); }

    @AfterAll static void close() { backend.close(); }

    static List<ConvCase> cases() {
        List<ConvCase> cs = new ArrayList<>();
        Activation gelu = Activation.gelu(), relu = Activation.relu(), none = Activation.identity();
        for (Layout l : new Layout[] {Layout.NCHW, Layout.NHWC}) {
            // 1-4 input channels
            cs.add(ConvCase.of(2, 1, 28, 28, 13, 3, 3).layout(l).bias(true).activation(relu));
            cs.add(ConvCase.of(1, 3, 67, 71, 17, 7, 7).layout(l).stride(2, 2).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 4, 29, 97, 9, 3, 5).layout(l).stride(1, 3).dilation(2, 1).explicitPadding(3, 0, 4, 1));
            cs.add(ConvCase.of(1, 2, 5, 5, 1, 5, 5).layout(l).explicitPadding(0, 0, 9, 9).bias(true));
            // implicit path beyond first layers: rows of 24 and more
            cs.add(ConvCase.of(1, 20, 30, 26, 19, 3, 3).layout(l).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(2, 9, 26, 70, 11, 5, 3).layout(l).stride(1, 2).dilation(2, 1).same().bias(true));
            // stride 1 through the accumulator (C·R·S > 256): tiles back to back over a task's rows
            cs.add(ConvCase.of(3, 30, 23, 29, 19, 3, 3).layout(l).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(2, 13, 33, 61, 9, 5, 5).layout(l).dilation(1, 2).same().bias(true).activation(relu));
            // implicit path storing straight into the output (8-filter blocks, rows of at least half
            // the tiles' width, a last tile of at most one vector), its last row through the
            // accumulator, one-row tasks, short rows
            cs.add(ConvCase.of(3, 2, 20, 40, 24, 3, 3).layout(l).same().activation(gelu));
            cs.add(ConvCase.of(2, 1, 18, 16, 8, 3, 3).layout(l).same().bias(true).activation(gelu));   // one half tile per row
            cs.add(ConvCase.of(9, 2, 8, 20, 17, 3, 3).layout(l).same().bias(true).activation(gelu));   // whole images per task
            cs.add(ConvCase.of(1, 3, 3, 50, 16, 3, 3).layout(l).bias(true).activation(relu));
            cs.add(ConvCase.of(2, 3, 12, 9, 16, 3, 3).layout(l).bias(true));
            // depthwise
            cs.add(ConvCase.of(1, 37, 23, 45, 37, 3, 3).layout(l).groups(37).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(2, 17, 19, 19, 34, 3, 3).layout(l).groups(17).stride(2, 2).same().bias(true).activation(relu));
            cs.add(ConvCase.of(1, 16, 15, 70, 16, 5, 5).layout(l).groups(16).dilation(2, 2).same());
            // packed strips: K > 128, C·R·S > 256, few pixels at batch 1 (the first: filter vectors with AVX-512)
            cs.add(ConvCase.of(1, 65, 7, 7, 129, 3, 3).layout(l).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 65, 5, 4, 129, 3, 3).layout(l).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 5, 11, 13, 127, 1, 1).layout(l).bias(true));
            // strips packed once per call (K/groups > 128, few pixels): several slices, stride 2, groups, batch 2
            cs.add(ConvCase.of(1, 300, 5, 5, 136, 3, 3).layout(l).same().bias(true).activation(relu));
            cs.add(ConvCase.of(1, 33, 9, 11, 200, 3, 3).layout(l).stride(2, 2).same().activation(gelu));
            cs.add(ConvCase.of(2, 6, 5, 7, 262, 3, 3).layout(l).groups(2).bias(true));
            // filter vectors (NCHW, AVX-512): 7-pixel row tiles × 32 filters, the filters transposed
            // (a last block of 1 and of 8 filters, tap counts not a multiple of 16, two tiles per
            // row, batch 2, stride 2 down the rows with dilation, a 7-pixel tile over a 6-wide row)
            cs.add(ConvCase.of(2, 40, 14, 14, 40, 3, 3).layout(l).same().bias(true).activation(relu));
            cs.add(ConvCase.of(1, 21, 17, 7, 33, 5, 3).layout(l).stride(2, 1).dilation(2, 1).explicitPadding(3, 1, 1, 1).bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 30, 6, 6, 64, 3, 3).layout(l).same().activation(none));
            // 1×1 stride 1, B read in place: several 256-long slices, a tail strip, batch 2, groups
            cs.add(ConvCase.of(2, 515, 9, 15, 65, 1, 1).layout(l).bias(true).activation(gelu));
            cs.add(ConvCase.of(3, 6, 8, 8, 10, 1, 1).layout(l).groups(2).activation(relu));
            cs.add(ConvCase.of(1, 129, 8, 4, 17, 1, 1).layout(l));
            // filters packed as row panels (batch × pixels ≥ 256): groups, K/groups not a multiple of the tile rows
            cs.add(ConvCase.of(2, 12, 20, 20, 21, 3, 3).layout(l).groups(3).same().bias(true).activation(relu));
            cs.add(ConvCase.of(2, 9, 16, 16, 15, 1, 1).layout(l).groups(3).bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 40, 3, 3, 8, 3, 3).layout(l).same().activation(relu));
            cs.add(ConvCase.of(3, 12, 9, 9, 10, 3, 3).layout(l).groups(2).stride(2, 1).same().bias(true).activation(gelu));
            cs.add(ConvCase.of(1, 1, 1, 1, 1, 1, 1).layout(l).activation(none));
        }
        return cs;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(ConvCase cc) {
        check(cc, false);
    }

    /** One NaN in the input: NaN in exactly the outputs whose window holds it (the reference's NaNs), on every path. */
    static List<ConvCase> nanCases() {
        return cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nanCases")
    void nanInGivesNanOut(ConvCase cc) {
        check(cc, true);
    }

    /** The filter-vector cases above reach that path (where it exists: 32 vector registers of 16 lanes). */
    @org.junit.jupiter.api.Test
    void filterVectorCasesTakeThatPath() {
        org.junit.jupiter.api.Assumptions.assumeTrue(VectorConvKernel.MR == 8 && VectorGemmKernel.S.length() == 16,
                "no filter-vector path on this machine");
        List<ConvCase> fv = List.of(ConvCase.of(1, 65, 7, 7, 129, 3, 3).same(), ConvCase.of(2, 40, 14, 14, 40, 3, 3).same(),
                ConvCase.of(1, 21, 17, 7, 33, 5, 3).stride(2, 1).dilation(2, 1).explicitPadding(3, 1, 1, 1),
                ConvCase.of(1, 30, 6, 6, 64, 3, 3).same());
        for (ConvCase cc : fv) {
            dev.jkernels.Conv2dGeometry g = cc.spec().geometry(dev.jkernels.Shape.of(cc.inputDims()), dev.jkernels.Shape.of(cc.filterDims()));
            org.junit.jupiter.api.Assertions.assertTrue(!VectorConvKernel.implicitApplies(g) && VectorConvKernel.filterVectorApplies(g), cc.toString());
        }
        dev.jkernels.Conv2dGeometry strips = ConvCase.of(1, 65, 5, 4, 129, 3, 3).same().spec()
                .geometry(dev.jkernels.Shape.of(1, 65, 5, 4), dev.jkernels.Shape.of(129, 65, 3, 3));
        org.junit.jupiter.api.Assertions.assertFalse(VectorConvKernel.filterVectorApplies(strips));
    }

    private static void check(ConvCase cc, boolean nan) {
        float[] in = RandomData.uniform(RandomData.seedOf(cc, 1), cc.inputSize());
        if (nan) in[in.length / 3] = Float.NaN;
        float[] f = RandomData.uniform(RandomData.seedOf(cc, 2), cc.filterSize());
        float[] bias = cc.bias() ? RandomData.uniform(RandomData.seedOf(cc, 3), cc.k()) : null;
        double[] expected = Reference.conv2d(cc, in, f, bias);
        float[] stale = RandomData.uniform(RandomData.seedOf(cc, 4), expected.length, 50f, 60f);
        try (TensorScope scope = new TensorScope()) {
            Tensor tin = scope.track(backend.tensor(in, cc.layout(), cc.inputDims()));
            Tensor tf = scope.track(backend.tensor(f, cc.filterDims()));
            Tensor tb = bias == null ? null : scope.track(backend.tensor(bias, cc.k()));
            Tensor out = scope.track(backend.tensor(stale, cc.layout(), cc.outputDims()));
            Activation act = cc.activation() == null ? Activation.identity() : cc.activation();
            backend.conv2dActivation(cc.spec(), act, tin, tf, tb, out);
            Tolerance.forReduction(cc.reductionLength()).times(2).assertClose("output " + cc, out.toArray(), expected);
        }
    }
}
