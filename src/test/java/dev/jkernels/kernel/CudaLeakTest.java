package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/**
 * The leak test of {@link EmulatorLeakTest} on {@code Backends.cuda(0)}: allocate/use/free cycles
 * leave the launcher's live buffers and the device memory in use ({@code cuMemGetInfo}) where they
 * were, and closing the backend frees what its tensors still hold. 10⁴ cycles on a GPU, 2·10³ on the
 * emulated CUDA driver (where every free waits for the stream, as cuMemFree does).
 */
@Tag("gpu")
class CudaLeakTest extends EmulatorLeakTest {
    @Override protected Backend open() { return TestBackends.open(BackendKind.CUDA); }

    @Override protected int cycles() { return CudaProbe.verdict().emulatedDriver() ? 2_000 : super.cycles(); }

    @Override protected long liveAllocations(Backend backend) { return CudaConcurrencyTest.launcher(backend).liveBuffers(); }

    @Override protected long liveBytes(Backend backend) { return CudaConcurrencyTest.launcher(backend).usedDeviceBytes(); }

    /** A GPU driver's own bookkeeping may move by a page or so; the emulated driver counts exactly. */
    @Override protected long liveBytesSlack() { return CudaProbe.verdict().emulatedDriver() ? 0 : 4L << 20; }

    @Override protected long liveAllocationsAfterClose(Backend backend) { return CudaConcurrencyTest.launcher(backend).liveBuffers(); }
}
