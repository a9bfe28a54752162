package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The CNN layer tests on the emulated backend. The ResNet-18-shaped stack runs at a quarter of
 * ResNet-18's widths (16…128 channels, 1×3×32×32): the same structure and every kernel path, within
 * the CI budget (the emulator runs every CUDA thread on the CPU).
 */
class EmulatedCnnLayerTest extends AbstractCnnLayerTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }
    @Override protected int resnetWidth() { return 16; }
}
