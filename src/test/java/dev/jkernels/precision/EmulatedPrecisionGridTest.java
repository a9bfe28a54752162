package dev.jkernels.precision;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;

/**
 * The precision grid on the emulator (nominal sm_90): the tensor-core GEMM and conv kernels, the
 * 1x1-as-GEMM on the tensor cores, and the TF32-rounded FP32 paths (depthwise, few channels).
 */
class EmulatedPrecisionGridTest extends AbstractPrecisionGridTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }
}
