package dev.jkernels.bench.jmh;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.nativeloader.CudaVerdict;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the per-backend benchmarks share: the backend named by {@code @Param backend}, random
 * non-zero inputs made once per trial, and a scope that closes every tensor at the end.
 *
 * <p>Why every GPU-facing benchmark method calls {@link Backend#synchronize()} inside the measured
 * method: a CUDA launch returns as soon as the kernel is queued, so without it JMH would time the
 * queueing (microseconds, whatever the kernel does) until the queue fills and then a random
 * mixture. With it, each invocation is one op from launch to completion: the end-to-end time a
 * caller of the Java API sees, launch overhead included. (Kernel time alone is what the harness's
 * CUDA events measure.) On the CPU backend ops are synchronous and synchronize is a no-op.
 */
public abstract class BackendState {
    private Backend backend;
    private TensorScope scope;

    /** The backend this trial runs on (the concrete class's {@code @Param backend}). */
    protected abstract String backendName();

    protected final Backend backend() { return backend; }

    protected final void open() {
        backend = create(backendName());
        scope = new TensorScope();
    }

    protected final void close() {
        try {
            if (scope != null) scope.close();
        } finally {
            if (backend != null) backend.close();
        }
    }

    /** A tensor of {@code shape} holding uniform random values in [−1, 1), never all zeros. */
    protected final Tensor random(long seed, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        float[] data = new float[Math.toIntExact(n)];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < data.length; i++) data[i] = (float) (2 * r.nextDouble() - 1);
        return scope.track(backend.tensor(data, shape));
    }

    protected final Tensor zeros(int... shape) { return scope.track(backend.zeros(shape)); }

    /**
     * The backend, or an exception saying plainly why it cannot run here (JMH reports it for this
     * parameter and goes on with the others; {@link JmhMain} leaves unavailable backends out).
     */
    static Backend create(String name) {
        CudaVerdict v = CudaProbe.verdict();
        return switch (name) {
            case "cpu" -> Backends.cpu();
            case "cuda" -> {
                if (!v.cudaUsable()) throw new IllegalStateException("backend=cuda is not usable here: " + v.reason());
                yield Backends.cuda(0);
            }
            case "emulated" -> {
                if (!v.emulatorUsable()) throw new IllegalStateException("backend=emulated is not usable here: " + v.emulatorReason());
                yield Backends.emulated();
            }
            default -> throw new IllegalArgumentException("backend: expected cpu, emulated or cuda, got " + name);
        };
    }

    /** The backends usable in this process, and why each other one is not. */
    static List<String> available(List<String> whyNot) {
        CudaVerdict v = CudaProbe.verdict();
        List<String> ok = new ArrayList<>(List.of("cpu"));
        if (v.emulatorUsable()) ok.add("emulated");
        else whyNot.add("emulated: " + v.emulatorReason());
        if (v.cudaUsable()) ok.add("cuda");
        else whyNot.add("cuda: " + v.reason());
        return ok;
    }

    /** Whether this is a GPU backend (for the javadoc's claim that synchronize matters only there). */
    protected final boolean isGpu() { return backend.kind() == BackendKind.CUDA; }
}
