package dev.jkernels.robust;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

class CpuHardeningTest extends AbstractHardeningTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
