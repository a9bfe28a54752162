package dev.jkernels.cpu;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Activation;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.spi.TensorStorage;

/** Pure-Java backend: parallel, cache-blocked; the reference for the others. (Being written.) */
public final class CpuBackend extends AbstractBackend {
    private final int threads;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    @Override public BackendKind kind() { return BackendKind.CPU; }
    @Override public String name() { return "cpu"; }
    @Override public String description() { return "cpu (" + threads + " threads)"; }

    @Override protected TensorStorage allocate(long count) { throw new IllegalStateException("CpuBackend: being written"); }
    @Override protected void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c) { throw new IllegalStateException("being written"); }
    @Override protected void runConv2d(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input, Tensor filters, Tensor bias, Tensor output) { throw new IllegalStateException("being written"); }
    @Override protected void runActivation(Activation activation, Tensor x, Tensor y) { throw new IllegalStateException("being written"); }
    @Override protected void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) { throw new IllegalStateException("being written"); }
}
