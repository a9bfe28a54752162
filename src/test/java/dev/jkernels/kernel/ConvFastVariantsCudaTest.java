package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;
import dev.jkernels.testing.TestBackends;

/** Every second-generation conv2d variant on CUDA device 0, the same cases as on the emulator. */
@Tag("gpu")
class ConvFastVariantsCudaTest extends ConvFastVariantsTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
