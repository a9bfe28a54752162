package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/** Fused conv+activation against conv then activation, on the emulator. */
class ConvFusedVsTwoLaunchEmulatedTest extends ConvFusedVsTwoLaunchTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
}
