package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

/**
 * The 8-thread test of {@link KernelBackendConcurrencyTest} on {@code Backends.cuda(0)}: every Java
 * thread makes the backend's context current for itself (JCuda's contexts are per OS thread), and
 * launches, copies and reads from all of them share one stream without a wrong result. On the
 * emulated CUDA driver the stream's work really runs on another thread, as on a GPU.
 */
@Tag("gpu")
class CudaConcurrencyTest extends KernelBackendConcurrencyTest {
    @Override protected Backend open() { return TestBackends.open(BackendKind.CUDA); }

    @Override protected long liveAllocations(Backend backend) { return launcher(backend).liveBuffers(); }

    static CudaLauncher launcher(Backend backend) { return (CudaLauncher) ((KernelBackend) backend).launcher(); }
}
