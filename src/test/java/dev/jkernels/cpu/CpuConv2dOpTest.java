package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractConv2dOpTest;
import dev.jkernels.testing.TestBackends;

/** The Conv2d op tests on the CPU backend, full-size grids. */
class CpuConv2dOpTest extends AbstractConv2dOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
