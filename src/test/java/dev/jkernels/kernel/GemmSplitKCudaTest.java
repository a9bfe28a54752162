package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** Split-K and the long grid on CUDA device 0, the same cases as on the emulator. */
@Tag("gpu")
class GemmSplitKCudaTest extends GemmSplitKTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
