package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The Activation op tests on the emulated backend (the CUDA kernels compiled for the CPU), on small
 * shapes. Skipped when the build has no emulator, unless -Djkernels.requireEmulator=true.
 */
class EmulatedActivationOpTest extends AbstractActivationOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
