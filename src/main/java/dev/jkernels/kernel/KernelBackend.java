package dev.jkernels.kernel;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Activation;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.spi.TensorStorage;

/** The CUDA kernels through a {@code KernelLauncher}: CUDA or emulated. (Being written.) */
public final class KernelBackend extends AbstractBackend {
    private KernelBackend() {}

    public static KernelBackend cuda(int deviceIndex) { throw new IllegalStateException("CUDA backend: being written"); }

    public static KernelBackend emulated() { throw new IllegalStateException("emulated backend: being written"); }

    /**
     * Runs {@code op} and returns its time in milliseconds: CUDA events on this backend's stream
     * (kernel time), or the wall clock for the emulator. For the benchmark harness.
     */
    public double timeMillis(Runnable op) { throw new IllegalStateException("being written"); }

    @Override public BackendKind kind() { return BackendKind.EMULATED; }
    @Override public String name() { return "emulated"; }
    @Override public String description() { return "emulated"; }

    @Override protected TensorStorage allocate(long count) { throw new IllegalStateException("being written"); }
    @Override protected void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c) { throw new IllegalStateException("being written"); }
    @Override protected void runConv2d(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input, Tensor filters, Tensor bias, Tensor output) { throw new IllegalStateException("being written"); }
    @Override protected void runActivation(Activation activation, Tensor x, Tensor y) { throw new IllegalStateException("being written"); }
    @Override protected void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) { throw new IllegalStateException("being written"); }
}
