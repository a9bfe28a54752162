package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The Gemm op tests on the emulated backend (the CUDA kernels compiled for the CPU), on small
 * shapes. Skipped when the build has no emulator, unless -Djkernels.requireEmulator=true.
 */
class EmulatedGemmOpTest extends AbstractGemmOpTest {
    /** Every hand-written kernel (cuBLAS needs a GPU). */
    @Override protected java.util.List<dev.jkernels.GemmAlgorithm> algorithms() {
        return java.util.List.of(dev.jkernels.GemmAlgorithm.AUTO, dev.jkernels.GemmAlgorithm.NAIVE, dev.jkernels.GemmAlgorithm.TILED,
                dev.jkernels.GemmAlgorithm.REGISTER_BLOCKED, dev.jkernels.GemmAlgorithm.WARP_TILED);
    }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
