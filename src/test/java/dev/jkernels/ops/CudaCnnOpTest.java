package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** The CNN op tests on CUDA device 0. Skipped without a usable GPU, unless JKERNELS_REQUIRE_GPU=1. */
@Tag("gpu")
class CudaCnnOpTest extends AbstractCnnOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
