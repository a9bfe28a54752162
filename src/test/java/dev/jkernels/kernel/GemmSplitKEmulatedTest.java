package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/** Split-K and the long grid on the emulator (the .cu kernels compiled for the CPU). */
class GemmSplitKEmulatedTest extends GemmSplitKTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
}
