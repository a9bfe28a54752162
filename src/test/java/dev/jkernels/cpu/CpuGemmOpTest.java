package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractGemmOpTest;
import dev.jkernels.testing.TestBackends;

/** The Gemm op tests on the CPU backend, full-size grids. */
class CpuGemmOpTest extends AbstractGemmOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
