package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.ops.AbstractGemmOpTest;

/**
 * The GEMM tests on the CPU backend's auto-vectorised kernel ({@link GemmKernel}), which runs
 * wherever the Vector API module is not resolved; {@link CpuGemmOpTest} covers the Vector API one
 * when the test JVM has it (the build adds it).
 */
class CpuAutoVectorGemmOpTest extends AbstractGemmOpTest {
    @Override protected Backend createBackend() { return new CpuBackend(2, false); }
}
