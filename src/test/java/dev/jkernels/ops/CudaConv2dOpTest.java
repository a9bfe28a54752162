package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/** The Conv2d op tests on CUDA device 0. Skipped without a usable GPU, unless JKERNELS_REQUIRE_GPU=1. */
@Tag("gpu")
class CudaConv2dOpTest extends AbstractConv2dOpTest {
    @Override protected java.util.List<dev.jkernels.ConvAlgorithm> algorithms() {
        return java.util.Arrays.stream(dev.jkernels.ConvAlgorithm.values()).filter(a -> a.runs(dev.jkernels.Precision.FP32)).toList();
    }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }

    /** Full shapes on a GPU; the emulator's on the emulated CUDA driver. */
    @Override protected dev.jkernels.testing.Scale scale() { return TestBackends.cudaScale(); }
}
