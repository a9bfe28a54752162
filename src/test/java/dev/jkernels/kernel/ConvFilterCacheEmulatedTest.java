package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The transformed filters are made once per weight change: a second conv with the same filters
 * runs no transform; a host write into the filter tensor, or an op writing it, makes the next conv
 * re-transform (and compute with the new weights); closing the filter tensor frees its entries, and
 * the emulator's live allocations come back to where they were.
 */
class ConvFilterCacheEmulatedTest extends BackendTestBase {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }

    @Test
    void transformsOncePerWeightChange() {
        KernelBackend kb = (KernelBackend) backend;
        ConvCase cc = ConvCase.of(2, 8, 9, 7, 16, 3, 3).same().bias(true).layout(Layout.NHWC);
        Conv2dSpec spec = cc.spec().toBuilder().algorithm(ConvAlgorithm.IMPLICIT_GEMM_PIPELINED).build();
        float[] input = RandomData.uniform(1, cc.inputSize());
        float[] w1 = RandomData.uniform(2, cc.filterSize());
        float[] w2 = RandomData.uniform(3, cc.filterSize());
        float[] bias = RandomData.uniform(4, cc.k());
        long liveBefore = EmulatedLauncher.liveAllocations();
        long t0 = kb.filterTransforms();
        Tolerance tol = Tolerance.forReduction(cc.reductionLength());
        try (Tensor in = kb.tensor(input, Layout.NHWC, cc.inputDims()); Tensor f = kb.tensor(w1, cc.filterDims());
             Tensor b = kb.tensor(bias, cc.k())) {
            try (Tensor out = kb.conv2d(spec, in, f, b)) {
                tol.assertClose("first conv", out.toArray(), Reference.conv2d(cc, input, w1, bias));
            }
            assertEquals(t0 + 1, kb.filterTransforms(), "the first conv transforms the filters");
            try (Tensor out = kb.conv2d(spec, in, f, b)) {
                tol.assertClose("second conv", out.toArray(), Reference.conv2d(cc, input, w1, bias));
            }
            assertEquals(t0 + 1, kb.filterTransforms(), "the second conv reuses them");
            assertEquals(1, kb.filterCacheSize());

            f.copyFrom(w2);  // new weights through the host
            try (Tensor out = kb.conv2d(spec, in, f, b)) {
                tol.assertClose("after copyFrom", out.toArray(), Reference.conv2d(cc, input, w2, bias));
            }
            assertEquals(t0 + 2, kb.filterTransforms(), "a host write invalidates the entry");
            assertEquals(1, kb.filterCacheSize(), "the stale entry was replaced, not kept");

            try (Tensor src = kb.tensor(w1, cc.filterDims())) {
                kb.copy(src, f);  // new weights through a device copy
            }
            try (Tensor out = kb.conv2d(spec, in, f, b)) {
                tol.assertClose("after copy", out.toArray(), Reference.conv2d(cc, input, w1, bias));
            }
            assertEquals(t0 + 3, kb.filterTransforms(), "a device write invalidates the entry");

            ConvCase ccNchw = cc.layout(Layout.NCHW);
            Conv2dSpec nchw = ccNchw.spec().toBuilder().algorithm(ConvAlgorithm.WINOGRAD).build();
            try (Tensor inNchw = kb.tensor(input, ccNchw.inputDims()); Tensor out = kb.conv2d(nchw, inNchw, f, b)) {
                tol.assertClose("Winograd", out.toArray(), Reference.conv2d(ccNchw, input, w1, bias));
                assertEquals(2, kb.filterCacheSize(), "one entry per form (GEMM B for NHWC, Winograd)");
            }
        }
        assertEquals(0, kb.filterCacheSize(), "closing the filters frees their entries");
        assertEquals(liveBefore, EmulatedLauncher.liveAllocations(), "live emulator allocations");
    }
}
