package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractActivationEdgeTest;
import dev.jkernels.testing.TestBackends;

/** The NaN/Inf rule, PyTorch's special values and per-channel PReLU on the CPU backend. */
class CpuActivationEdgeTest extends AbstractActivationEdgeTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
