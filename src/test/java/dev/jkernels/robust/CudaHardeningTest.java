package dev.jkernels.robust;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** The same findings on CUDA device 0 (there each was device-memory corruption). Skipped without a GPU unless required. */
@Tag("gpu")
class CudaHardeningTest extends AbstractHardeningTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }

    /** Past any GPU's memory: refused by the free-memory check before cuMemAlloc. */
    @Override protected int[] hugeGiB() { return new int[] {1024, 4096}; }
}
