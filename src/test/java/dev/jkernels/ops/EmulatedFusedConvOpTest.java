package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The FusedConv op tests on the emulated backend (the CUDA kernels compiled for the CPU), on small
 * shapes. Skipped when the build has no emulator, unless -Djkernels.requireEmulator=true.
 */
class EmulatedFusedConvOpTest extends AbstractFusedConvOpTest {
    /** Every algorithm but DEPTHWISE and GEMM_1X1, whose kernels AUTO already runs where they apply (elsewhere they are AUTO). */
    @Override protected java.util.List<dev.jkernels.ConvAlgorithm> algorithms() {
        java.util.List<dev.jkernels.ConvAlgorithm> all = new java.util.ArrayList<>(java.util.Arrays.stream(dev.jkernels.ConvAlgorithm.values()).filter(a -> a.runs(dev.jkernels.Precision.FP32)).toList());
        all.removeAll(java.util.List.of(dev.jkernels.ConvAlgorithm.DEPTHWISE, dev.jkernels.ConvAlgorithm.GEMM_1X1));
        return all;
    }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
