package dev.jkernels.kernel;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Activation;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Precision;
import dev.jkernels.Tensor;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.nativeloader.CudaVerdict;
import dev.jkernels.spi.TensorStorage;

/**
 * The CUDA kernels behind the {@link dev.jkernels.Backend} API, through a {@link KernelLauncher}:
 * the GPU ({@link #cuda}) or the same kernels compiled for the CPU ({@link #emulated}). Every op
 * turns its (already validated) arguments into {@link KernelLaunch}es here, once, for both
 * launchers: so the emulator runs the exact grid, block, shared memory and argument list the GPU
 * gets. Thread-safe: launches from many threads go to one stream (CUDA) or one at a time (emulator).
 */
public final class KernelBackend extends AbstractBackend {
    private final KernelLauncher launcher;
    private final BackendKind kind;
    private final String name;
    private final ActivationKernels.Variant activationVariant = ActivationKernels.configuredVariant();

    private KernelBackend(KernelLauncher launcher, BackendKind kind, String name) {
        this.launcher = launcher;
        this.kind = kind;
        this.name = name;
        this.filterCache = new ConvFilterCache(launcher);
    }

    /**
     * The kernels on GPU {@code deviceIndex}.
     *
     * @throws IllegalStateException with the CUDA probe's reason when CUDA is not usable here
     */
    public static KernelBackend cuda(int deviceIndex) {
        CudaVerdict v = CudaProbe.verdict();
        if (!v.cudaUsable()) throw new IllegalStateException("CUDA backend unavailable: " + v.reason());
        return new KernelBackend(CudaLauncher.open(deviceIndex), BackendKind.CUDA, "cuda:" + deviceIndex);
    }

    /** The kernels on the CPU, in the mode {@link EmulatorMode#configured()} says (fibers by default). */
    public static KernelBackend emulated() { return emulated(EmulatorMode.configured()); }

    /** @throws IllegalStateException when this build has no emulator library for this platform */
    public static KernelBackend emulated(EmulatorMode mode) {
        return new KernelBackend(EmulatedLauncher.open(mode), BackendKind.EMULATED, "emulated");
    }

    /** The launcher, for benchmarks and tests that launch kernel variants by name. */
    public KernelLauncher launcher() { return launcher; }

    /**
     * Runs {@code op} and returns its time in milliseconds: CUDA events on this backend's stream
     * (kernel time), or the wall clock for the emulator. For the benchmark harness.
     */
    public double timeMillis(Runnable op) {
        enterOp();
        try {
            return launcher.timeMillis(op);
        } finally {
            exitOp();
        }
    }

    @Override public BackendKind kind() { return kind; }

    @Override public String name() { return name; }

    @Override public String description() { return name + ": " + launcher.description(); }

    /** The device buffer behind a checked tensor of this backend. */
    static DeviceBuffer buffer(Tensor t) { return ((DeviceStorage) t.storage()).buffer(); }

    @Override protected boolean owns(TensorStorage storage) {
        return storage instanceof DeviceStorage d && d.launcher() == launcher;
    }

    /** {@code count} floats in bytes, or an exception naming the count: never a wrapped-around size. */
    static long bytesOf(long count) {
        try {
            return Math.multiplyExact(count, (long) Float.BYTES);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a tensor of " + count + " floats needs more than 2^63-1 bytes", e);
        }
    }

    /**
     * The device buffer behind a tensor of a kernel backend, for benchmarks that launch kernels by
     * name ({@code dev.jkernels.bench.Sweep}).
     *
     * @throws IllegalArgumentException when the tensor is not on a kernel backend
     */
    public static DeviceBuffer deviceBuffer(Tensor t) {
        if (!(t.backend() instanceof KernelBackend) || !(t.storage() instanceof DeviceStorage)) {
            throw new IllegalArgumentException("tensor " + t.shape() + " is on " + t.backend().name() + ", not a kernel backend");
        }
        return buffer(t);
    }

    @Override protected TensorStorage allocate(long count) {
        DeviceBuffer b = launcher.allocate(bytesOf(count));
        try {
            launcher.zero(b, 0, count);
        } catch (RuntimeException e) {
            launcher.free(b);
            throw e;
        }
        return new DeviceStorage(launcher, b, count, filterCache::forget);
    }

    @Override protected void copyBetween(Tensor src, Tensor dst) {
        buffer(dst).noteWrite();
        if (src.backend() == this) {
            launcher.copy(buffer(src), buffer(dst), src.size());
        } else {
            super.copyBetween(src, dst);
        }
    }

    @Override public void synchronize() {
        enterOp();  // a close waits: the stream is not destroyed under the wait
        try {
            launcher.synchronize();
        } finally {
            exitOp();
        }
    }

    @Override protected void release() {
        CublasGemm blas;
        synchronized (this) {
            blas = cublas;
            cublas = null;
        }
        try {
            try {
                filterCache.close();
            } finally {
                if (blas != null) blas.close();
            }
        } finally {
            launcher.close();
        }
    }

    // ---- GEMM and conv2d (GemmKernels, ConvKernels, CublasGemm) ---------------------------------

    /** The cuBLAS handle of this backend, created on the first CUBLAS gemm (CUDA only). */
    private CublasGemm cublas;

    private synchronized CublasGemm cublas(String op) {
        ensureOpen();
        if (!(launcher instanceof CudaLauncher cuda)) {
            throw new IllegalArgumentException(op + ": algorithm CUBLAS needs the CUDA backend; this backend is "
                    + name + " (the emulator runs only the hand-written kernels: NAIVE, TILED, REGISTER_BLOCKED, WARP_TILED, PIPELINED, TENSOR_CORE)");
        }
        if (cublas == null) cublas = CublasGemm.open(cuda);
        return cublas;
    }

    @Override protected void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c) {
        String op = "gemm M=" + m + " N=" + n + " K=" + k + " " + spec + " on " + name;
        buffer(c).noteWrite();
        DeviceBuffer biasBuffer = bias == null ? null : buffer(bias);
        Precision precision = TensorCores.effective(op, spec.precision().orElse(Precision.FP32), spec.allowsPrecisionFallback(),
                deviceProfile());
        if (spec.algorithm() == GemmAlgorithm.CUBLAS) {
            CublasGemm blas = cublas(op);
            blas.sgemm(spec, precision == Precision.TF32, m, n, k, buffer(a), buffer(b), buffer(c), op);
            if (GemmKernels.needsBiasActivationPass(spec)) {
                launcher.launch(GemmKernels.biasActivation(spec, m, n, biasBuffer, buffer(c), op + " (bias + activation after cuBLAS)"));
            }
            return;
        }
        GemmPlan plan = planGemm(algorithmFor(spec.algorithm(), precision), precision, m, n, k);
        runGemmPlan(plan, spec, buffer(a), buffer(b), buffer(c), GemmKernels.epilogue(spec, biasBuffer), op);
    }

    /** TENSOR_CORE falls back to AUTO's FP32 choice when the precision fell back to FP32 (asked for, on a device below 8.0). */
    private static GemmAlgorithm algorithmFor(GemmAlgorithm asked, Precision runs) {
        return asked == GemmAlgorithm.TENSOR_CORE && !runs.usesTensorCores() ? GemmAlgorithm.AUTO : asked;
    }

    /** Launches {@code plan} (with a split-K workspace when it splits). Also the 1x1 conv's GEMM. */
    private void runGemmPlan(GemmPlan plan, GemmSpec spec, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, EpilogueArgs ep,
                             String op) {
        if (plan.splitK() == 1) {
            for (KernelLaunch l : GemmKernels.launches(plan, spec, a, b, c, ep, null, op)) launcher.launch(l);
            return;
        }
        DeviceBuffer ws = launcher.allocate(plan.workspaceFloats() * Float.BYTES);
        try {
            for (KernelLaunch l : GemmKernels.launches(plan, spec, a, b, c, ep, ws, op)) launcher.launch(l);
        } finally {
            launcher.free(ws);  // the GPU's free waits for the launches that use it
        }
    }

    // ---- kernel selection: this backend's device and its kernels' footprints ----------------------

    private volatile DeviceProfile device;
    private final java.util.Map<GemmKernels.Config, KernelFootprint> footprints = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile MeasuredWinners winners;
    private volatile boolean winnersLoaded;

    /** The device the selection plans for: the GPU's attributes, or {@link DeviceProfile#nominal()} for the emulator. */
    public DeviceProfile deviceProfile() {
        DeviceProfile d = device;
        if (d == null) {
            d = launcher instanceof CudaLauncher cuda ? DeviceProfile.of(cuda) : DeviceProfile.nominal();
            device = d;
        }
        return d;
    }

    /**
     * A kernel's registers and shared memory: cuFuncGetAttribute on a GPU; for the emulator the
     * build's ptxas report (sm_90 lines) when the build has one, else the figures recorded in the Config.
     */
    KernelFootprint footprint(GemmKernels.Config c) {
        return footprints.computeIfAbsent(c, cfg -> {
            if (launcher instanceof CudaLauncher cuda) return cuda.footprint(cfg.kernelName());
            return PtxasReport.bundled().flatMap(r -> r.footprint(cfg.kernelName(), "sm_90")).orElse(cfg.nominalFootprint());
        });
    }

    /**
     * The plan of one given configuration and split-K factor on this backend's device (occupancy,
     * waves), for the sweep that measures every candidate; null when the kernel does not fit an SM.
     */
    public GemmPlan planGemm(GemmKernels.Config config, int splitK, int m, int n, int k) {
        if (splitK > 1 && !config.supportsSplitK()) throw new IllegalArgumentException(config.cudaName() + " has no split-K");
        return GemmSelection.evaluate(config, splitK, m, n, k, deviceProfile(), this::footprint, "forced (sweep)");
    }

    /** The plan this backend runs for an M x N x K FP32 GEMM of {@code algorithm} (for logs, tests and benchmarks). */
    public GemmPlan planGemm(GemmAlgorithm algorithm, int m, int n, int k) {
        return planGemm(algorithm, Precision.FP32, m, n, k);
    }

    /** The plan this backend runs for an M x N x K GEMM of {@code algorithm} in {@code precision}. */
    public GemmPlan planGemm(GemmAlgorithm algorithm, Precision precision, int m, int n, int k) {
        DeviceProfile d = deviceProfile();
        if (!winnersLoaded) {
            winners = MeasuredWinners.forFamily(d.family());
            winnersLoaded = true;
        }
        return GemmSelection.plan(algorithm, precision, m, n, k, d, this::footprint, winners);
    }

    /**
     * What this backend runs for a conv2d of {@code spec} (precision resolved) on {@code g}: the
     * precision that runs on this device and the kernel (for logs, tests and benchmarks).
     *
     * @throws IllegalStateException for a tensor-core precision on a device without, unless the spec allows the fallback
     */
    public ConvFastKernels.PrecisionSelection planConv(Conv2dSpec spec, Conv2dGeometry g, String op) {
        Precision precision = TensorCores.effective(op, spec.precision().orElse(Precision.FP32), spec.allowsPrecisionFallback(),
                deviceProfile());
        ConvAlgorithm algorithm = spec.algorithm() == ConvAlgorithm.TENSOR_CORE && !precision.usesTensorCores()
                ? ConvAlgorithm.AUTO : spec.algorithm();
        return ConvFastKernels.choose(algorithm, precision, g, ConvFastKernels.DEFAULT_SMS);
    }

    /** The filters transformed for the second-generation conv kernels, cached per filter buffer. */
    private final ConvFilterCache filterCache;

    /** For tests: transforms run and live entries of the filter cache. */
    long filterTransforms() { return filterCache.transforms(); }

    int filterCacheSize() { return filterCache.size(); }

    @Override protected void runConv2d(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input, Tensor filters,
                                       Tensor bias, Tensor output) {
        String op = "conv2d " + spec + " input " + input.shape() + " filters " + filters.shape() + " activation " + activation
                + " on " + name;
        DeviceBuffer biasBuffer = bias == null ? null : buffer(bias);
        buffer(output).noteWrite();
        runConvSelected(planConv(spec, g, op), g, buffer(input), buffer(filters), buffer(output),
                ConvKernels.epilogue(activation, biasBuffer), op);
    }

    /**
     * Runs what the conv selection chose, in its precision: a first-generation kernel, a
     * second-generation variant, or one of those on TF32-rounded copies of the input and filters
     * (freed after the launch; the filter cache never sees the copies, the SIMT paths that take
     * rounded inputs read their filters raw).
     */
    private void runConvSelected(ConvFastKernels.PrecisionSelection ps, Conv2dGeometry g, DeviceBuffer input,
                                 DeviceBuffer filters, DeviceBuffer output, EpilogueArgs ep, String op) {
        ConvFastKernels.Selection sel = ps.selection();
        String what = op + " [" + ps + "]";
        if (!ps.roundInputs()) {
            if (sel.legacy() != null) launcher.launch(ConvKernels.launch(sel.legacy(), g, input, filters, output, ep, what));
            else runConvVariant(sel.variant(), ps.precision(), g, input, filters, output, ep, what);
            return;
        }
        if (sel.variant() != null && sel.variant() != ConvFastKernels.Variant.DEPTHWISE) {
            throw new IllegalStateException(op + ": TF32-rounded inputs are only for the kernels that read raw filters, got " + sel);
        }
        long inCount = (long) g.n() * g.c() * g.h() * g.w();
        long fCount = (long) g.k() * g.channelsPerGroup() * g.r() * g.s();
        DeviceBuffer rin = launcher.allocate(bytesOf(inCount));
        try {
            DeviceBuffer rf = launcher.allocate(bytesOf(fCount));
            try {
                launcher.launch(TensorCores.round(input, rin, inCount, op + " (input to TF32)"));
                launcher.launch(TensorCores.round(filters, rf, fCount, op + " (filters to TF32)"));
                if (sel.legacy() != null) launcher.launch(ConvKernels.launch(sel.legacy(), g, rin, rf, output, ep, what));
                else runConvVariant(sel.variant(), Precision.FP32, g, rin, rf, output, ep, what);
            } finally {
                launcher.free(rf);  // the GPU's free waits for the launches that use it
            }
        } finally {
            launcher.free(rin);
        }
    }

    /**
     * The one launch of conv variant {@code v} (not GEMM_1X1) on these tensors, for the sweep to
     * time: the filters are transformed now (and cached); the launch stays valid while they are
     * neither rewritten nor closed. Identity epilogue with {@code bias}.
     */
    public KernelLaunch planConv(ConvFastKernels.Variant v, Conv2dGeometry g, Tensor input, Tensor filters, Tensor bias,
                                 Tensor output) {
        ensureOpen();
        String op = "conv2d " + v.cudaName() + " (planned)";
        EpilogueArgs ep = ConvKernels.epilogue(Activation.identity(), bias == null ? null : buffer(bias));
        if (v == ConvFastKernels.Variant.GEMM_1X1) throw new IllegalArgumentException("conv2d gemm_1x1 is a GEMM: plan it with planGemm");
        if (v == ConvFastKernels.Variant.DEPTHWISE) {
            return ConvFastKernels.launch(v, g, buffer(input), buffer(filters), buffer(output), ep, op);
        }
        String why = v.unsupportedReason(g);
        if (why != null) throw new IllegalArgumentException("conv2d " + v.cudaName() + ": " + why);
        ConvFilterCache.Form form = v == ConvFastKernels.Variant.WINOGRAD_2X2_3X3
                ? ConvFilterCache.Form.WINOGRAD : ConvFilterCache.gemmForm(g.layout());
        KernelLaunch[] out = new KernelLaunch[1];
        filterCache.run(buffer(filters), form, g, op,
                prepared -> out[0] = ConvFastKernels.launch(v, g, buffer(input), prepared, buffer(output), ep, op));
        return out[0];
    }

    /** conv2d + residual + activation in one launch: the residual goes into the conv's epilogue. */
    @Override protected void runConv2dResidual(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input,
                                               Tensor filters, Tensor bias, Tensor residual, Tensor output) {
        String op = "conv2d+residual " + spec + " input " + input.shape() + " filters " + filters.shape() + " activation "
                + activation + " on " + name;
        buffer(output).noteWrite();
        EpilogueArgs ep = ConvKernels.epilogue(activation, bias == null ? null : buffer(bias)).toBuilder()
                .residual(buffer(residual), 0).build();
        runConvSelected(planConv(spec, g, op), g, buffer(input), buffer(filters), buffer(output), ep, op);
    }

    /** Runs a second-generation conv variant (transforming and caching the filters as it needs). */
    void runConvVariant(ConvFastKernels.Variant v, Conv2dGeometry g, DeviceBuffer input, DeviceBuffer filters,
                        DeviceBuffer output, EpilogueArgs ep, String op) {
        runConvVariant(v, Precision.FP32, g, input, filters, output, ep, op);
    }

    /** As above; {@code precision} is the one GEMM_1X1 plans its GEMM in (the others compute in their own). */
    void runConvVariant(ConvFastKernels.Variant v, Precision precision, Conv2dGeometry g, DeviceBuffer input, DeviceBuffer filters,
                        DeviceBuffer output, EpilogueArgs ep, String op) {
        switch (v) {
            case GEMM_1X1 -> {
                ConvFastKernels.Gemm1x1 q = ConvFastKernels.gemm1x1(g, input, filters, ep);
                runGemmPlan(planGemm(GemmAlgorithm.AUTO, precision, q.m(), q.n(), q.k()), q.spec(), q.a(), q.b(), output,
                        q.epilogue(), op + " (1x1 as GEMM)");
            }
            case DEPTHWISE -> launcher.launch(ConvFastKernels.launch(v, g, input, filters, output, ep, op));
            default -> {
                String why = v.unsupportedReason(g);
                if (why != null) throw new IllegalArgumentException("conv2d " + v.cudaName() + ": " + why);
                ConvFilterCache.Form form = v == ConvFastKernels.Variant.WINOGRAD_2X2_3X3
                        ? ConvFilterCache.Form.WINOGRAD : ConvFilterCache.gemmForm(g.layout());
                filterCache.run(filters, form, g, op,
                        prepared -> launcher.launch(ConvFastKernels.launch(v, g, input, prepared, output, ep, op)));
            }
        }
    }

    @Override protected void runActivation(Activation activation, Tensor x, Tensor y) {
        String op = "activation " + activation + " forward on " + x.shape() + (x == y ? " (in place)" : "");
        buffer(y).noteWrite();
        if (activation.perChannel()) {
            launcher.launch(ActivationKernels.preluChannelsForward(buffer(x), buffer(y), x.size(), buffer(activation.slopes()),
                    channels(x), channelStride(x), op));
            return;
        }
        launcher.launch(ActivationKernels.forward(activation, activationVariant, buffer(x), buffer(y), x.size(), op));
    }

    @Override protected void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) {
        String op = "activation " + activation + " backward on " + saved.shape() + (dy == dx ? " (in place)" : "");
        buffer(dx).noteWrite();
        if (activation.perChannel()) {
            launcher.launch(ActivationKernels.preluChannelsBackward(buffer(saved), buffer(dy), buffer(dx), saved.size(),
                    buffer(activation.slopes()), channels(saved), channelStride(saved), op));
            return;
        }
        launcher.launch(ActivationKernels.backward(activation, activationVariant, buffer(saved), buffer(dy), buffer(dx),
                saved.size(), op));
    }

    // ---- CNN ops (CnnKernels) --------------------------------------------------------------------

    @Override protected void runPool2d(dev.jkernels.Pool2dSpec spec, dev.jkernels.Pool2dGeometry g, Tensor input,
                                       Tensor output) {
        launcher.launch(CnnKernels.pool2d(g, buffer(input), buffer(output), "pool2d " + spec + " input " + input.shape()
                + " on " + name));
    }

    @Override protected void runBatchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance,
                                          float epsilon, int channels, long inner, Tensor output) {
        launcher.launch(CnnKernels.batchNorm(buffer(input), buffer(output), gamma == null ? null : buffer(gamma),
                beta == null ? null : buffer(beta), buffer(mean), buffer(variance), epsilon, input.size(), inner, channels,
                "batchNorm input " + input.shape() + " " + input.layout() + " eps " + epsilon + " on " + name));
    }

    @Override protected void runSoftmax(Tensor x, long outer, int length, long inner, boolean log, Tensor y) {
        launcher.launch(CnnKernels.softmax(buffer(x), buffer(y), outer, length, inner, log,
                (log ? "logSoftmax " : "softmax ") + x.shape() + " as [" + outer + ", " + length + ", " + inner + "] on " + name));
    }

    @Override protected void runBinary(dev.jkernels.BinaryOp op, Tensor big, Tensor small, long inner, long smallLength,
                                       Tensor out) {
        launcher.launch(CnnKernels.binary(op, buffer(big), buffer(small), buffer(out), big.size(), inner, smallLength,
                op + " " + big.shape() + " with " + small.shape() + " on " + name));
    }

    @Override protected void runConcat(Tensor[] inputs, long outer, long[] rows, Tensor output) {
        long total = 0;
        for (long r : rows) total += r;
        long offset = 0;
        for (int i = 0; i < inputs.length; i++) {
            launcher.launch(CnnKernels.concatCopy(buffer(inputs[i]), buffer(output), outer, rows[i], total, offset,
                    "concat input " + i + " " + inputs[i].shape() + " into " + output.shape() + " on " + name));
            offset += rows[i];
        }
    }
}
