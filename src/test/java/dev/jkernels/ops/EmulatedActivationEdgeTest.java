package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

import java.util.List;

/**
 * The NaN/Inf rule, PyTorch's special values and per-channel PReLU on the emulated backend (the CUDA
 * functors and epilogues compiled for the CPU), through every GEMM and conv kernel variant.
 */
class EmulatedActivationEdgeTest extends AbstractActivationEdgeTest {
    @Override protected List<GemmAlgorithm> gemmAlgorithms() {
        return List.of(GemmAlgorithm.NAIVE, GemmAlgorithm.TILED, GemmAlgorithm.REGISTER_BLOCKED, GemmAlgorithm.WARP_TILED);
    }

    @Override protected List<ConvAlgorithm> convAlgorithms() { return List.of(ConvAlgorithm.DIRECT, ConvAlgorithm.IMPLICIT_GEMM); }

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
