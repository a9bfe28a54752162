package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractFusedConvOpTest;
import dev.jkernels.testing.TestBackends;

/** The FusedConv op tests on the CPU backend, full-size grids. */
class CpuFusedConvOpTest extends AbstractFusedConvOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
