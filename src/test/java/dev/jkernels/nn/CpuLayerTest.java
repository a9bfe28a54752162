package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

/** The layer tests on the CPU backend. */
class CpuLayerTest extends AbstractLayerTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
