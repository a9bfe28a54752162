package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractActivationOpTest;
import dev.jkernels.testing.TestBackends;

/** The Activation op tests on the CPU backend, full-size grids. */
class CpuActivationOpTest extends AbstractActivationOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
