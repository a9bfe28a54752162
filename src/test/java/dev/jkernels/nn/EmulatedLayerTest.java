package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The layer tests on the emulated backend (the CUDA kernels compiled for the CPU), small shapes.
 * Skipped when the build has no emulator, unless -Djkernels.requireEmulator=true.
 */
class EmulatedLayerTest extends AbstractLayerTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
}
