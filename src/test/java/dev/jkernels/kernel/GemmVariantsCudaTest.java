package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** Every GEMM kernel configuration on CUDA device 0, the same cases as on the emulator. */
@Tag("gpu")
class GemmVariantsCudaTest extends GemmVariantsTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }

    /** Full shapes on a GPU; the emulator's on the emulated CUDA driver. */
    @Override protected dev.jkernels.testing.Scale scale() { return TestBackends.cudaScale(); }
}
