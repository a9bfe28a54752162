package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** The all-padding-window test of {@link AbstractConvNoSentinelTest} on the CUDA backend. */
@Tag("gpu")
class CudaConvNoSentinelTest extends AbstractConvNoSentinelTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
