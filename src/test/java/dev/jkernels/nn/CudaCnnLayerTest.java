package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** The CNN layer tests on CUDA device 0. */
@Tag("gpu")
class CudaCnnLayerTest extends AbstractCnnLayerTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
