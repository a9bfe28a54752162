package dev.jkernels.cpu;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Activation;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Precision;
import dev.jkernels.Tensor;
import dev.jkernels.spi.TensorStorage;

/**
 * Pure-Java backend: tensors are {@code float[]} on the Java heap (at most 2^31−1 elements each),
 * ops run on the backend's own fork-join pool. GEMM and conv2d share one packed, cache-blocked GEMM
 * core; conv2d gathers its im2col rows on the fly and fuses bias and activation into the GEMM
 * epilogue.
 *
 * <p>The GEMM core comes in two forms. With {@code --add-modules jdk.incubator.vector} on the JVM
 * command line, a register-blocked Vector API micro-kernel ({@link VectorGemmKernel}, 3–4× faster on the
 * development machine: benchmarks/results/2026-11-28-cpu); without it, FMA loops written so that C2 auto-vectorises them ({@link GemmKernel}). The
 * system property {@code jkernels.cpu.vectorApi=false} forces the second. {@link #description()}
 * says which one runs.
 */
public final class CpuBackend extends AbstractBackend {
    /**
     * Element-wise work is split into chunks of this many elements (below it, it stays on the
     * calling thread): 1 MiB of floats, so a fork-join task (about a microsecond to hand out) does
     * tens of microseconds of vector work; at 32 Ki the hand-outs were a fifth of ReLU's time.
     */
    private static final int ELEMENTWISE_CHUNK = 1 << 18;
    /** Chunk boundaries sit at this index phase, where a large array's vectors are cache-line aligned ({@link ArrayAlignment}). */
    private static final int CHUNK_PHASE = ArrayAlignment.phase(64);

    /** Where element-wise chunk c of [0, n) starts: c·ELEMENTWISE_CHUNK moved up to the aligned phase, n past the last. */
    private static int chunkStart(int c, int n) {
        return c == 0 ? 0 : (int) Math.min(n, (long) c * ELEMENTWISE_CHUNK + CHUNK_PHASE);
    }

    /** Whether this JVM can run {@link VectorGemmKernel}: module resolved, not switched off, wide enough. */
    public static final boolean VECTOR_API_AVAILABLE;
    /** Why the Vector API is or is not used: "available", "module jdk.incubator.vector not present", … */
    static final String VECTOR_API_REASON;

    static {
        String reason = detectVectorApi();
        VECTOR_API_REASON = reason;
        VECTOR_API_AVAILABLE = reason.equals("available");
    }

    private final WorkerPool pool;
    /** Filters laid out for the conv kernels, kept while their tensors are unchanged. */
    private final FilterCache filterCache = new FilterCache();

    /** For tests. */
    FilterCache filterCache() { return filterCache; }
    private final boolean vectorApi;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threads) { this(threads, true); }

    /**
     * @param threads worker threads (at least 1)
     * @param useVectorApi run the Vector API GEMM kernel when {@link #VECTOR_API_AVAILABLE}; false
     *     always runs the auto-vectorised one (tests use it to check both)
     */
    public CpuBackend(int threads, boolean useVectorApi) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.pool = new WorkerPool(threads);
        this.vectorApi = useVectorApi && VECTOR_API_AVAILABLE;
        warnOnceWithoutVectorApi();
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    /** No silent slow path: a JVM without the Vector API module is told, once, what it costs and how to fix it. */
    private static void warnOnceWithoutVectorApi() {
        if (VECTOR_API_AVAILABLE || !VECTOR_API_REASON.startsWith("module") || !WARNED.compareAndSet(false, true)) return;
        System.getLogger("dev.jkernels.cpu.CpuBackend").log(System.Logger.Level.WARNING,
                "jkernels: the CPU backend runs without the Vector API (" + VECTOR_API_REASON + "): add "
                        + "--add-modules=jdk.incubator.vector to the java command line. Without it GEMM and conv2d "
                        + "run 2.5-5x slower and the activations 20-200x slower (measured: benchmarks/results/2026-12-01-cpu).");
    }

    private static String detectVectorApi() {
        if (!Boolean.parseBoolean(System.getProperty("jkernels.cpu.vectorApi", "true"))) {
            return "switched off by -Djkernels.cpu.vectorApi=false";
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "module jdk.incubator.vector not present";
        }
        try {
            if (!VectorGemmKernel.supported()) return "vectors narrower than 4 floats on this CPU";
            VectorProfilePriming.prime();   // before any kernel runs: see its class comment
            return "available";
        } catch (LinkageError e) {
            return "module jdk.incubator.vector not usable: " + e;
        }
    }

    public int threads() { return pool.threads(); }

    /** True when this backend's GEMM and conv run on the Vector API kernel. */
    public boolean usesVectorApi() { return vectorApi; }

    @Override public BackendKind kind() { return BackendKind.CPU; }
    @Override public String name() { return "cpu"; }
    @Override public String description() {
        return "cpu (" + pool.threads() + " threads, Java " + Runtime.version() + ", GEMM: "
                + (vectorApi ? VectorGemmKernel.describe() : "auto-vectorised FMA loops") + ")";
    }

    private void multiply(int m, int n, int k, GemmKernel.RowBlockSource a, GemmKernel.RowSource b, GemmKernel.Epilogue e) {
        if (vectorApi) {
            VectorGemmKernel.multiply(m, n, k, a, b, e, pool);
        } else {
            GemmKernel.multiply(m, n, k, a, b, e, pool);
        }
    }

    @Override protected TensorStorage allocate(long count) { return HeapStorage.allocate(count, this); }

    @Override protected boolean owns(TensorStorage storage) { return storage instanceof HeapStorage h && h.owner() == this; }

    @Override protected void release() { pool.shutdown(); }

    /** A tensor's array, for reading. */
    private static float[] data(Tensor t) { return ((HeapStorage) t.storage()).array(); }

    /**
     * A tensor's array, for an op that writes it: every output goes through here, so that the
     * storage's version changes (what {@link FilterCache} checks before it reuses filters).
     */
    private static float[] written(Tensor t) {
        HeapStorage h = (HeapStorage) t.storage();
        h.modified();
        return h.array();
    }

    @Override
    protected void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c) {
        if (spec.activation().perChannel()) {
            // PReLU per output column: the GEMM's epilogue up to the bias, then the slopes in one pass
            // over C (the same order as the kernels' epilogue: activation last).
            runGemm(spec.toBuilder().activation(Activation.identity()).build(), m, n, k, a, b, bias, c);
            preluChannels(data(c), written(c), data(spec.activation().slopes()), 1);
            return;
        }
        if (spec.algorithm() == GemmAlgorithm.CUBLAS) {
            throw new IllegalArgumentException("spec: algorithm CUBLAS needs the CUDA backend, this is " + name());
        }
        float[] ad = tf32Inputs(spec.precision().orElse(Precision.FP32), data(a));
        float[] bd = tf32Inputs(spec.precision().orElse(Precision.FP32), data(b));
        // op(A)(i, p) and op(B)(p, j) as strided views of the row-major arrays.
        GemmKernel.Strided av = spec.transA() ? new GemmKernel.Strided(ad, 0, 1, m) : new GemmKernel.Strided(ad, 0, k, 1);
        GemmKernel.Strided bv = spec.transB() ? new GemmKernel.Strided(bd, 0, 1, k) : new GemmKernel.Strided(bd, 0, n, 1);
        GemmKernel.Epilogue e = new GemmKernel.Epilogue(written(c), 0, n, 1, spec.alpha(), spec.beta(),
                bias == null ? null : data(bias), 0, false, spec.activation(), vectorApi);
        if (n < 32 && m > n) {
            // Skinny C: the vector loop runs along j, so compute Cᵀ = op(B)ᵀ·op(A)ᵀ, which is long in j.
            multiply(n, m, k, bv.transposed(), av.transposed(), e.transposed());
        } else {
            multiply(m, n, k, av, bv, e);
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
        if (activation.perChannel()) {
            // PReLU per output channel: conv + bias, then the slopes in one pass over the output.
            runConv2d(spec, g, Activation.identity(), input, filters, bias, output);
            preluChannels(data(output), written(output), data(activation.slopes()), channelStride(output));
            return;
        }

        Precision precision = spec.precision().orElse(Precision.FP32);
        float[] in = tf32Inputs(precision, data(input)), w = tf32Inputs(precision, data(filters));
        float[] out = written(output), b = bias == null ? null : data(bias);
        if (vectorApi) {
            if (VectorDepthwiseKernel.applies(g)) {
                VectorDepthwiseKernel.conv(g, in, w, b, activation, out, pool);
            } else {
                // The filters' storage lets the kernel reuse their transposed layout while they are
                // unchanged (FilterCache); not when TF32 rounding made a copy of them.
                HeapStorage ws = (HeapStorage) filters.storage();
                VectorConvKernel.conv(g, in, w, b, activation, out, pool, w == ws.array() ? ws : null, filterCache);
            }
            return;
        }
        int kpg = g.filtersPerGroup(), crs = g.channelsPerGroup() * g.r() * g.s(), pq = g.p() * g.q();
        int jobs = g.n() * g.groups();
        boolean outerParallel = (long) kpg * pq * crs < GemmKernel.PARALLEL_MIN_FMAS * 4 && jobs > 1;
        java.util.function.IntConsumer job = t -> {
            int image = t / g.groups(), group = t % g.groups();
            GemmKernel.Strided filterRows = new GemmKernel.Strided(w, group * kpg * crs, crs, 1);
            GemmKernel.Epilogue e = g.layout() == Layout.NCHW
                    ? new GemmKernel.Epilogue(out, (image * g.k() + group * kpg) * pq, pq, 1, 1f, 0f, b, group * kpg, true, activation, vectorApi)
                    : new GemmKernel.Epilogue(out, image * pq * g.k() + group * kpg, 1, g.k(), 1f, 0f, b, group * kpg, true, activation, vectorApi);
            multiply(kpg, pq, crs, filterRows, new Im2colRows(in, g, image, group), e);
        };
        if (outerParallel) {
            pool.forEach(jobs, job);
        } else {
            for (int t = 0; t < jobs; t++) job.accept(t);
        }
    }

    /**
     * A copy between two heap tensors straight from array to array, chunk by chunk over the pool
     * (the generic path goes through a bounce buffer: two passes over memory, one thread; measured
     * 22 GB/s against 54 for one direct arraycopy over 4 M floats).
     */
    @Override
    protected void copyBetween(Tensor src, Tensor dst) {
        if (!(src.storage() instanceof HeapStorage from)) {
            super.copyBetween(src, dst);
            return;
        }
        float[] xs = from.array(), ys = written(dst);
        int n = (int) src.size(), chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
        if (chunks <= 1) {
            System.arraycopy(xs, 0, ys, 0, n);
        } else {
            pool.forEach(chunks, c -> {
                int start = chunkStart(c, n);
                System.arraycopy(xs, start, ys, start, chunkStart(c + 1, n) - start);
            });
        }
    }

    @Override
    protected void runActivation(Activation activation, Tensor x, Tensor y) {
        if (activation.perChannel()) {
            preluChannels(data(x), written(y), data(activation.slopes()), channelStride(x));
            return;
        }

        float[] xs = data(x), ys = written(y);
        // The chunk loop written out here rather than through chunked(): one call level less above
        // the vector loops, which C2 needs to inline the Vector API's chain (see VectorActivations.Kernel).
        int n = xs.length, chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
        if (chunks <= 1) {
            ActivationRanges.forward(activation, xs, ys, 0, n, vectorApi);
        } else {
            pool.forEach(chunks, c -> ActivationRanges.forward(activation, xs, ys, chunkStart(c, n), chunkStart(c + 1, n), vectorApi));
        }
    }

    @Override
    protected void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) {
        if (activation.perChannel()) {
            float[] xs = data(saved), gs = data(dy), outs = written(dx), sl = data(activation.slopes());
            long stride = channelStride(saved);
            chunked(xs.length, (from, to) -> {
                for (int i = from; i < to; i++) outs[i] = Activation.preluBackward(xs[i], gs[i], sl[(int) ((i / stride) % sl.length)]);
            });
            return;
        }

        float[] s = data(saved), g = data(dy), out = written(dx);
        int n = s.length, chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
        if (chunks <= 1) {
            ActivationRanges.backward(activation, s, g, out, 0, n, vectorApi);
        } else {
            pool.forEach(chunks, c -> ActivationRanges.backward(activation, s, g, out, chunkStart(c, n), chunkStart(c + 1, n), vectorApi));
        }
    }

    // ---- CNN ops (CpuPool2d, CpuNormalization, CpuElementwise) ------------------------------------

    @Override
    protected void runPool2d(dev.jkernels.Pool2dSpec spec, dev.jkernels.Pool2dGeometry g, Tensor input, Tensor output) {
        CpuPool2d.run(g, data(input), written(output), pool);
    }

    @Override
    protected void runBatchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon,
                                int channels, long inner, Tensor output) {
        CpuNormalization.batchNorm(data(input), written(output), gamma == null ? null : data(gamma),
                beta == null ? null : data(beta), data(mean), data(variance), epsilon, channels, inner, pool);
    }

    @Override
    protected void runSoftmax(Tensor x, long outer, int length, long inner, boolean log, Tensor y) {
        CpuNormalization.softmax(data(x), written(y), outer, length, inner, log, pool);
    }

    @Override
    protected void runBinary(dev.jkernels.BinaryOp op, Tensor big, Tensor small, long inner, long smallLength, Tensor out) {
        CpuElementwise.binary(op, data(big), data(small), inner, smallLength, written(out), pool);
    }

    @Override
    protected void runConcat(Tensor[] inputs, long outer, long[] rows, Tensor output) {
        float[][] arrays = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) arrays[i] = data(inputs[i]);
        CpuElementwise.concat(arrays, outer, rows, written(output), pool);
    }

    /**
     * The conv into the output, then {@code act(out + residual)} in one pass over it, chunk by chunk
     * (the sum and the activation while the chunk is in cache).
     */
    @Override
    protected void runConv2dResidual(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input,
                                     Tensor filters, Tensor bias, Tensor residual, Tensor output) {
        runConv2d(spec, g, Activation.identity(), input, filters, bias, output);
        float[] out = written(output), res = data(residual);
        chunked(out.length, (from, to) -> {
            for (int i = from; i < to; i++) out[i] += res[i];
            if (!activation.isIdentity()) ActivationRanges.forward(activation, out, out, from, to, vectorApi && !activation.perChannel());
        });
    }

    /**
     * The operand a GEMM or conv multiplies in {@code precision}: for TF32 a copy rounded exactly as
     * {@code __float_to_tf32} ({@link Tf32}), so the FP32 kernels then form the tensor cores' products;
     * for FP32 and FP32_3XTF32 the array itself. 3xTF32 (big·big + big·small + small·big) is an
     * approximation of the FP32 product that drops small·small, below FP32's own rounding: plain FP32
     * is what it approximates, and passes the same tolerance (docs/precision.md).
     */
    private float[] tf32Inputs(Precision precision, float[] x) {
        if (precision != Precision.TF32) return x;
        float[] r = new float[x.length];
        chunked(x.length, (from, to) -> Tf32.round(x, r, from, to));
        return r;
    }

    private interface RangeBody { void run(int from, int to); }

    /** PReLU with per-channel slopes: element i uses {@code slopes[(i / stride) % C]}; {@code y} may be {@code x}. */
    private void preluChannels(float[] x, float[] y, float[] slopes, long stride) {
        chunked(x.length, (from, to) -> {
            for (int i = from; i < to; i++) y[i] = Activation.prelu(x[i], slopes[(int) ((i / stride) % slopes.length)]);
        });
    }

    private void chunked(int n, RangeBody body) {
        int chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        pool.forEach(chunks, c -> body.run(c * ELEMENTWISE_CHUNK, Math.min(n, (c + 1) * ELEMENTWISE_CHUNK)));
    }
}
