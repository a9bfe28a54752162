package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

import java.util.List;

/** The NaN/Inf rule, PyTorch's special values and per-channel PReLU on CUDA device 0, every GEMM (cuBLAS too) and conv variant. */
@Tag("gpu")
class CudaActivationEdgeTest extends AbstractActivationEdgeTest {
    @Override protected List<GemmAlgorithm> gemmAlgorithms() { return java.util.Arrays.stream(GemmAlgorithm.values()).filter(a -> a.runs(dev.jkernels.Precision.FP32)).toList(); }

    @Override protected List<ConvAlgorithm> convAlgorithms() { return java.util.Arrays.stream(ConvAlgorithm.values()).filter(a -> a.runs(dev.jkernels.Precision.FP32)).toList(); }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }
}
