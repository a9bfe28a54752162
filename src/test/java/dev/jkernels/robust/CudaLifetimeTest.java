package dev.jkernels.robust;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;

/**
 * The close races on CUDA device 0: launches are asynchronous there, so a close must also wait for
 * the stream before cuMemFree. Skipped without a GPU unless required.
 */
@Tag("gpu")
class CudaLifetimeTest extends AbstractLifetimeTest {
    @Override protected BackendKind kind() { return BackendKind.CUDA; }
}
