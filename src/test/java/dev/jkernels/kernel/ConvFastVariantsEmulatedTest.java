package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/** Every second-generation conv2d variant on the emulator. */
class ConvFastVariantsEmulatedTest extends ConvFastVariantsTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
}
