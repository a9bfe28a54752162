package dev.jkernels.robust;

import dev.jkernels.BackendKind;

class CpuLifetimeTest extends AbstractLifetimeTest {
    @Override protected BackendKind kind() { return BackendKind.CPU; }
}
