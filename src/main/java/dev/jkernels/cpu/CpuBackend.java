package dev.jkernels.cpu;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Activation;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.spi.TensorStorage;

/**
 * Pure-Java backend: tensors are {@code float[]} on the Java heap (at most 2^31−1 elements each),
 * ops run on the backend's own fork-join pool. GEMM and conv2d share {@link GemmKernel} (packed,
 * cache-blocked, FMA loops that C2 vectorises); conv2d gathers its im2col rows on the fly and fuses
 * bias and activation into the GEMM epilogue. It is the reference the other backends are compared
 * with in benchmarks, and is checked itself against FP64 loops in the tests.
 */
public final class CpuBackend extends AbstractBackend {
    /** Element-wise work below this many elements stays on the calling thread. */
    private static final int ELEMENTWISE_CHUNK = 1 << 15;

    private final WorkerPool pool;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.pool = new WorkerPool(threads);
    }

    public int threads() { return pool.threads(); }

    @Override public BackendKind kind() { return BackendKind.CPU; }
    @Override public String name() { return "cpu"; }
    @Override public String description() { return "cpu (" + pool.threads() + " threads, Java " + Runtime.version() + ")"; }

    @Override protected TensorStorage allocate(long count) { return HeapStorage.allocate(count); }

    @Override protected void release() { pool.shutdown(); }

    private static float[] data(Tensor t) { return ((HeapStorage) t.storage()).array(); }

    @Override
    protected void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c) {
        if (spec.algorithm() == GemmAlgorithm.CUBLAS) {
            throw new IllegalArgumentException("spec: algorithm CUBLAS needs the CUDA backend, this is " + name());
        }
        // op(A)(i, p) and op(B)(p, j) as strided views of the row-major arrays.
        GemmKernel.Strided av = spec.transA() ? new GemmKernel.Strided(data(a), 0, 1, m) : new GemmKernel.Strided(data(a), 0, k, 1);
        GemmKernel.Strided bv = spec.transB() ? new GemmKernel.Strided(data(b), 0, 1, k) : new GemmKernel.Strided(data(b), 0, n, 1);
        GemmKernel.Epilogue e = new GemmKernel.Epilogue(data(c), 0, n, 1, spec.alpha(), spec.beta(),
                bias == null ? null : data(bias), 0, false, spec.activation());
        if (n < 32 && m > n) {
            // Skinny C: the vector loop runs along j, so compute Cᵀ = op(B)ᵀ·op(A)ᵀ, which is long in j.
            GemmKernel.multiply(n, m, k, bv.transposed(), av.transposed(), e.transposed(), pool);
        } else {
            GemmKernel.multiply(m, n, k, av, bv, e, pool);
        }
    }

    /**
     * Per image and group, one GEMM: filters [K/groups, C/groups·R·S] × im2col [C/groups·R·S, P·Q],
     * stored straight into the NCHW or NHWC output with bias (per output channel) and activation
     * fused. Small GEMMs run one per task, in parallel over images and groups; large ones run one
     * after another, each parallel inside.
     */
    @Override
    protected void runConv2d(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input, Tensor filters,
                             Tensor bias, Tensor output) {
        float[] in = data(input), w = data(filters), out = data(output), b = bias == null ? null : data(bias);
        int kpg = g.filtersPerGroup(), crs = g.channelsPerGroup() * g.r() * g.s(), pq = g.p() * g.q();
        int jobs = g.n() * g.groups();
        boolean outerParallel = (long) kpg * pq * crs < GemmKernel.PARALLEL_MIN_FMAS * 4 && jobs > 1;
        java.util.function.IntConsumer job = t -> {
            int image = t / g.groups(), group = t % g.groups();
            GemmKernel.Strided filterRows = new GemmKernel.Strided(w, group * kpg * crs, crs, 1);
            GemmKernel.Epilogue e = g.layout() == Layout.NCHW
                    ? new GemmKernel.Epilogue(out, (image * g.k() + group * kpg) * pq, pq, 1, 1f, 0f, b, group * kpg, true, activation)
                    : new GemmKernel.Epilogue(out, image * pq * g.k() + group * kpg, 1, g.k(), 1f, 0f, b, group * kpg, true, activation);
            GemmKernel.multiply(kpg, pq, crs, filterRows, new Im2colRows(in, g, image, group), e, pool);
        };
        if (outerParallel) {
            pool.forEach(jobs, job);
        } else {
            for (int t = 0; t < jobs; t++) job.accept(t);
        }
    }

    @Override
    protected void runActivation(Activation activation, Tensor x, Tensor y) {
        float[] xs = data(x), ys = data(y);
        chunked(xs.length, (from, to) -> {
            for (int i = from; i < to; i++) ys[i] = activation.apply(xs[i]);
        });
    }

    @Override
    protected void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) {
        float[] s = data(saved), g = data(dy), out = data(dx);
        chunked(s.length, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = activation.backward(s[i], g[i]);
        });
    }

    private interface RangeBody { void run(int from, int to); }

    private void chunked(int n, RangeBody body) {
        int chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        pool.forEach(chunks, c -> body.run(c * ELEMENTWISE_CHUNK, Math.min(n, (c + 1) * ELEMENTWISE_CHUNK)));
    }
}
