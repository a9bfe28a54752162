package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.ops.AbstractCnnOpTest;
import dev.jkernels.testing.TestBackends;

/** The CNN op tests (pooling, batch norm, softmax, binary, concat, residual conv) on the CPU backend. */
class CpuCnnOpTest extends AbstractCnnOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
