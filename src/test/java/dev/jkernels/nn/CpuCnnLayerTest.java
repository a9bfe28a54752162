package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

/** The CNN layer tests on the CPU backend (the ResNet-18-shaped stack at ResNet-18's widths). */
class CpuCnnLayerTest extends AbstractCnnLayerTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
