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
    @Override protected java.util.List<dev.jkernels.ConvAlgorithm> algorithms() {
        return java.util.List.of(dev.jkernels.ConvAlgorithm.values());
    }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
