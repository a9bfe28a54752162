package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/** Every conv2d kernel configuration on the emulator, small shapes. */
class ConvVariantsEmulatedTest extends ConvVariantsTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
}
