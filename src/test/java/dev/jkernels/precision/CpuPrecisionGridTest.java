package dev.jkernels.precision;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

/** The precision grid on the CPU backend: TF32 by exact input rounding, 3xTF32 as FP32. */
class CpuPrecisionGridTest extends AbstractPrecisionGridTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
