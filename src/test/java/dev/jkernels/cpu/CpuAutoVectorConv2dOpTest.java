package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.ops.AbstractConv2dOpTest;

/** The conv2d tests on the CPU backend's auto-vectorised GEMM core (see {@link CpuAutoVectorGemmOpTest}). */
class CpuAutoVectorConv2dOpTest extends AbstractConv2dOpTest {
    @Override protected Backend createBackend() { return new CpuBackend(2, false); }
}
