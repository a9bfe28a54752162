package dev.jkernels;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The argument checks every backend shares, done once here so that each backend's compute code
 * only ever sees valid, open tensors of its own. Subclasses implement the {@code run…} methods.
 *
 * <p>Every op holds its tensors and the backend until it returns ({@link OpUse}): a {@link #close()}
 * racing with ops waits for them to finish before {@link #release()} frees anything, and an op after
 * the close fails with {@link IllegalStateException}.
 */
public abstract class AbstractBackend implements Backend {

    private static final AtomicLong SERIAL = new AtomicLong();

    private volatile boolean closed;
    private int activeOps; // guarded by this
    /** Ops the current thread is inside (a close from there would wait for itself). */
    private final ThreadLocal<int[]> opDepth = ThreadLocal.withInitial(() -> new int[1]);
    private final long serial = SERIAL.incrementAndGet();

    // ---- what a backend implements ---------------------------------------------------------------

    /** Fresh zero-filled storage for {@code count} floats; may reject sizes it cannot hold. */
    protected abstract TensorStorage allocate(long count);

    /** All arguments checked; {@code m, n, k} as in {@link GemmSpec}; {@code bias} null unless the spec has one. */
    protected abstract void runGemm(GemmSpec spec, int m, int n, int k, Tensor a, Tensor b, Tensor bias, Tensor c);

    /** All arguments checked; {@code activation} is identity for plain {@link #conv2d}. */
    protected abstract void runConv2d(Conv2dSpec spec, Conv2dGeometry g, Activation activation,
                                      Tensor input, Tensor filters, Tensor bias, Tensor output);

    /** All arguments checked; {@code y} may be {@code x}. */
    protected abstract void runActivation(Activation activation, Tensor x, Tensor y);

    /** All arguments checked; {@code dx} may be {@code dy}. */
    protected abstract void runActivationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx);

    /** All arguments checked (docs/cnn-ops.md); the output is in the input's layout. */
    protected abstract void runPool2d(Pool2dSpec spec, Pool2dGeometry g, Tensor input, Tensor output);

    /**
     * All arguments checked; the input seen as {@code [outer, channels, inner]}; {@code gamma},
     * {@code beta} may be null; the variance is finite and ≥ 0; {@code output} may be {@code input}.
     */
    protected abstract void runBatchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance,
                                         float epsilon, int channels, long inner, Tensor output);

    /** All arguments checked; {@code x} seen as {@code [outer, length, inner]} along the axis; {@code y} may be {@code x}. */
    protected abstract void runSoftmax(Tensor x, long outer, int length, long inner, boolean log, Tensor y);

    /**
     * All arguments checked: {@code out[i] = big[i] ∘ small[(i / inner) % smallLength]} for every i
     * of {@code big}'s shape; {@code out} may be {@code big}.
     */
    protected abstract void runBinary(BinaryOp op, Tensor big, Tensor small, long inner, long smallLength, Tensor out);

    /**
     * All arguments checked: input i seen as {@code [outer, rows[i]]} goes to columns
     * {@code [offset_i, offset_i + rows[i])} of the output seen as {@code [outer, Σ rows]}.
     */
    protected abstract void runConcat(Tensor[] inputs, long outer, long[] rows, Tensor output);

    /**
     * All arguments checked; {@code residual} has the output's shape and is not the output. The
     * default is three passes (conv, add, activation); backends with a fused epilogue override it.
     */
    protected void runConv2dResidual(Conv2dSpec spec, Conv2dGeometry g, Activation activation, Tensor input,
                                     Tensor filters, Tensor bias, Tensor residual, Tensor output) {
        runConv2d(spec, g, Activation.identity(), input, filters, bias, output);
        runBinary(BinaryOp.ADD, output, residual, 1, output.size(), output);
        if (!activation.isIdentity()) runActivation(activation, output, output);
    }

    /** Called once by {@link #close()}, after every op in flight has returned. */
    protected void release() {}

    /**
     * Whether {@code storage} was allocated by this backend (so a tensor of this backend may wrap it).
     * Backends override it; the default accepts any.
     */
    protected boolean owns(TensorStorage storage) { return true; }

    final boolean ownsStorage(TensorStorage storage) { return owns(storage); }

    /** {@link #name()} and this instance's number: tells two backends of one kind apart in messages. */
    public final String identity() { return name() + " #" + serial; }

    /** Holds the backend open for one op; paired with {@link #exitOp()}. */
    protected final synchronized void enterOp() {
        if (closed) throw new IllegalStateException("backend " + name() + " is closed");
        activeOps++;
        opDepth.get()[0]++;
    }

    /** Ends what {@link #enterOp()} began; the last op to end lets a waiting {@link #close()} go on. */
    protected final synchronized void exitOp() {
        opDepth.get()[0]--;
        if (--activeOps == 0) notifyAll();
    }

    /** Holds this backend and {@code tensors} (name, tensor, name, tensor, …; null tensors skipped) for one op. */
    private OpUse use(Object... namesAndTensors) {
        OpUse u = new OpUse();
        try {
            u.backend(this);
            for (int i = 0; i < namesAndTensors.length; i += 2) u.tensor((String) namesAndTensors[i], (Tensor) namesAndTensors[i + 1]);
            return u;
        } catch (RuntimeException | Error e) {
            u.close();
            throw e;
        }
    }

    /** As {@link #use(Object...)} for concat: every input and the output. */
    private OpUse use(Tensor[] inputs, Tensor output) {
        Object[] pairs = new Object[2 * inputs.length + 2];
        for (int i = 0; i < inputs.length; i++) {
            pairs[2 * i] = "inputs[" + i + "]";
            pairs[2 * i + 1] = inputs[i];
        }
        pairs[2 * inputs.length] = "output";
        pairs[2 * inputs.length + 1] = output;
        return use(pairs);
    }

    // ---- tensors ---------------------------------------------------------------------------------

    @Override public Tensor tensor(float[] data, int... shape) {
        return tensor(data, layoutFor(shape), shape);
    }

    @Override public Tensor tensor(float[] data, Layout layout, int... shape) {
        if (data == null) throw new IllegalArgumentException("data must not be null");
        Shape s = Shape.of(shape);
        Tensor.checkLayout(s, layout);
        if (data.length != s.elementCount()) {
            throw new IllegalArgumentException("data: shape " + s + " needs " + s.elementCount()
                    + " floats, got " + data.length);
        }
        Tensor t = newTensor(s, layout);
        t.copyFrom(data);
        return t;
    }

    @Override public Tensor tensor(FloatBuffer data, int... shape) {
        return tensor(data, layoutFor(shape), shape);
    }

    @Override public Tensor tensor(FloatBuffer data, Layout layout, int... shape) {
        if (data == null) throw new IllegalArgumentException("data must not be null");
        Shape s = Shape.of(shape);
        Tensor.checkLayout(s, layout);
        if (data.remaining() != s.elementCount()) {
            throw new IllegalArgumentException("data: shape " + s + " needs " + s.elementCount()
                    + " floats remaining, got " + data.remaining());
        }
        Tensor t = newTensor(s, layout);
        t.copyFrom(data);
        return t;
    }

    @Override public Tensor zeros(int... shape) {
        return zeros(layoutFor(shape), shape);
    }

    @Override public Tensor zeros(Layout layout, int... shape) {
        Shape s = Shape.of(shape);
        Tensor.checkLayout(s, layout);
        return newTensor(s, layout);
    }

    @Override public Tensor copyOf(Tensor source) {
        if (source == null) throw new IllegalArgumentException("source must not be null");
        source.ensureOpen("source");
        Tensor t = newTensor(source.shape(), source.layout());
        try {
            try (OpUse u = use("source", source, "copy", t)) {
                copyBetween(source, t);
            }
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    @Override public void copy(Tensor src, Tensor dst) {
        ensureOpen();
        if (src == null) throw new IllegalArgumentException("src must not be null");
        src.ensureOpen("src");
        checkTensor("dst", dst);
        if (!dst.shape().equals(src.shape())) {
            throw new IllegalArgumentException("dst: expected shape " + src.shape() + " (as src), got " + dst.shape());
        }
        noAlias("dst", dst, "src", src);
        try (OpUse u = use("src", src, "dst", dst)) {
            copyBetween(src, dst);
        }
    }

    /**
     * Copies {@code src} (any backend) into {@code dst} (this backend), through the host in chunks.
     * Backends override it for faster same-backend copies.
     */
    protected void copyBetween(Tensor src, Tensor dst) {
        long n = src.size();
        int chunk = (int) Math.min(n, 1 << 20);
        float[] buf = new float[chunk];
        for (long off = 0; off < n; off += chunk) {
            int len = (int) Math.min(chunk, n - off);
            src.storage().read(off, buf, 0, len);
            dst.storage().write(off, buf, 0, len);
        }
    }

    private static Layout layoutFor(int[] shape) {
        return Layout.defaultFor(shape == null ? 0 : shape.length);
    }

    private Tensor newTensor(Shape s, Layout layout) {
        try (OpUse u = use()) {
            TensorStorage storage = allocate(s.elementCount());
            try {
                return Tensor.ofStorage(this, storage, s, layout);
            } catch (RuntimeException | Error e) {
                storage.free();
                throw e;
            }
        }
    }

    // ---- precision defaults (docs/precision.md) ----------------------------------------------------

    private volatile Precision matmulPrecision = Precision.configuredMatmul();
    private volatile Precision convPrecision = Precision.configuredConv();
    private final boolean precisionFallback = Precision.configuredFallback();

    @Override public Precision defaultMatmulPrecision() { return matmulPrecision; }

    @Override public Precision defaultConvPrecision() { return convPrecision; }

    @Override public void setDefaultMatmulPrecision(Precision precision) {
        if (precision == null) throw new IllegalArgumentException("matmul precision must not be null");
        matmulPrecision = precision;
    }

    @Override public void setDefaultConvPrecision(Precision precision) {
        if (precision == null) throw new IllegalArgumentException("conv precision must not be null");
        convPrecision = precision;
    }

    /**
     * {@code spec} with its precision resolved (the backend's matmul default when unset) and the
     * fallback opt-in of the setting folded in: what {@link #runGemm} receives.
     *
     * @throws IllegalArgumentException when the spec's algorithm cannot run the default precision
     */
    protected final GemmSpec resolvePrecision(GemmSpec spec) {
        Precision p = spec.precision().orElse(matmulPrecision);
        if (!spec.algorithm().runs(p)) {
            throw new IllegalArgumentException("gemm: algorithm " + spec.algorithm() + " cannot run precision " + p
                    + ", the matmul default of " + name() + " (" + Precision.MATMUL_PROPERTY + " / " + Precision.MATMUL_ENV
                    + " / setDefaultMatmulPrecision); set precision(" + spec.algorithm().precisions().get(0)
                    + ") on the spec, or use AUTO");
        }
        boolean fallback = spec.allowsPrecisionFallback() || precisionFallback;
        if (spec.precision().isPresent() && fallback == spec.allowsPrecisionFallback()) return spec;
        return spec.toBuilder().precision(p).allowPrecisionFallback(fallback).build();
    }

    /** As {@link #resolvePrecision(GemmSpec)} for a convolution, with the conv default. */
    protected final Conv2dSpec resolvePrecision(Conv2dSpec spec) {
        Precision p = spec.precision().orElse(convPrecision);
        if (!spec.algorithm().runs(p)) {
            throw new IllegalArgumentException("conv2d: algorithm " + spec.algorithm() + " cannot run precision " + p
                    + ", the conv default of " + name() + " (" + Precision.CONV_PROPERTY + " / " + Precision.CONV_ENV
                    + " / setDefaultConvPrecision); set precision(" + spec.algorithm().precisions().get(0)
                    + ") on the spec, or use AUTO");
        }
        boolean fallback = spec.allowsPrecisionFallback() || precisionFallback;
        if (spec.precision().isPresent() && fallback == spec.allowsPrecisionFallback()) return spec;
        return spec.toBuilder().precision(p).allowPrecisionFallback(fallback).build();
    }

    // ---- ops -------------------------------------------------------------------------------------

    @Override public void gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias, Tensor c) {
        int[] mnk = checkGemm(spec, a, b, bias);
        checkTensor("c", c);
        expectShape("c", c, mnk[0], mnk[1]);
        noAlias("c", c, "a", a);
        noAlias("c", c, "b", b);
        noAlias("c", c, "bias", bias);
        try (OpUse u = use("a", a, "b", b, "bias", bias, "c", c, "slopes", spec.activation().slopes())) {
            runGemm(resolvePrecision(spec), mnk[0], mnk[1], mnk[2], a, b, bias, c);
        }
    }

    @Override public Tensor gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias) {
        int[] mnk = checkGemm(spec, a, b, bias);
        if (spec.beta() != 0f) {
            throw new IllegalArgumentException("beta: must be 0 when no output tensor c is given, got " + spec.beta());
        }
        Tensor c = zeros(mnk[0], mnk[1]);
        return runOrClose(c, () -> {
            try (OpUse u = use("a", a, "b", b, "bias", bias, "c", c, "slopes", spec.activation().slopes())) {
                runGemm(resolvePrecision(spec), mnk[0], mnk[1], mnk[2], a, b, bias, c);
            }
        });
    }

    /** Checks everything but c; returns {M, N, K}. */
    private int[] checkGemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias) {
        ensureOpen();
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        checkTensor("a", a);
        checkTensor("b", b);
        expectRank("a", a, 2, spec.transA() ? "[K, M]" : "[M, K]");
        expectRank("b", b, 2, spec.transB() ? "[N, K]" : "[K, N]");
        int m = spec.transA() ? a.dim(1) : a.dim(0);
        int k = spec.transA() ? a.dim(0) : a.dim(1);
        int kb = spec.transB() ? b.dim(1) : b.dim(0);
        int n = spec.transB() ? b.dim(0) : b.dim(1);
        if (kb != k) {
            throw new IllegalArgumentException("b: expected shape " + Shape.of(spec.shapeB(k, n))
                    + " to match K=" + k + " of a " + a.shape() + (spec.transA() ? " (transposed)" : "")
                    + ", got " + b.shape() + (spec.transB() ? " (transposed)" : ""));
        }
        checkBias(spec.hasBias(), bias, n, "N");
        checkSlopes(spec.activation(), n, "N, one per output column");
        return new int[] {m, n, k};
    }

    @Override public void conv2d(Conv2dSpec spec, Tensor input, Tensor filters, Tensor bias, Tensor output) {
        conv2dActivation(spec, Activation.identity(), input, filters, bias, output);
    }

    @Override public Tensor conv2d(Conv2dSpec spec, Tensor input, Tensor filters, Tensor bias) {
        return conv2dActivation(spec, Activation.identity(), input, filters, bias);
    }

    @Override public void conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters,
                                           Tensor bias, Tensor output) {
        Conv2dGeometry g = checkConv(spec, activation, input, filters, bias);
        checkTensor("output", output);
        if (!output.shape().sameAs(g.outputDims()) || output.layout() != spec.layout()) {
            throw new IllegalArgumentException("output: expected shape " + Shape.of(g.outputDims()) + " " + spec.layout()
                    + ", got " + output.shape() + " " + output.layout());
        }
        noAlias("output", output, "input", input);
        noAlias("output", output, "filters", filters);
        noAlias("output", output, "bias", bias);
        try (OpUse u = use("input", input, "filters", filters, "bias", bias, "output", output, "slopes", activation.slopes())) {
            runConv2d(resolvePrecision(spec), g, activation, input, filters, bias, output);
        }
    }

    @Override public Tensor conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters,
                                             Tensor bias) {
        Conv2dGeometry g = checkConv(spec, activation, input, filters, bias);
        Tensor out = zeros(spec.layout(), g.outputDims());
        return runOrClose(out, () -> {
            try (OpUse u = use("input", input, "filters", filters, "bias", bias, "output", out, "slopes", activation.slopes())) {
                runConv2d(resolvePrecision(spec), g, activation, input, filters, bias, out);
            }
        });
    }

    private Conv2dGeometry checkConv(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters, Tensor bias) {
        ensureOpen();
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (activation == null) throw new IllegalArgumentException("activation must not be null (use Activation.identity())");
        checkTensor("input", input);
        checkTensor("filters", filters);
        if (input.rank() == 4 && input.layout() != spec.layout()) {
            throw new IllegalArgumentException("input: spec expects layout " + spec.layout() + ", tensor " + input.shape()
                    + " is " + input.layout());
        }
        Conv2dGeometry g = spec.geometry(input.shape(), filters.shape());
        checkBias(spec.hasBias(), bias, g.k(), "K");
        checkSlopes(activation, g.k(), "K, one per output channel");
        Shape.of(g.outputDims()); // rejects an output whose element count overflows
        return g;
    }

    @Override public void activation(Activation activation, Tensor x, Tensor y) {
        ensureOpen();
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        checkTensor("x", x);
        checkTensor("y", y);
        sameShape("y", y, "x", x);
        checkSlopes(activation, channels(x), "C, the channel dimension of x " + x.shape() + " " + x.layout());
        try (OpUse u = use("x", x, "y", y, "slopes", activation.slopes())) {
            runActivation(activation, x, y);
        }
    }

    @Override public Tensor activation(Activation activation, Tensor x) {
        ensureOpen();
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        checkTensor("x", x);
        checkSlopes(activation, channels(x), "C, the channel dimension of x " + x.shape() + " " + x.layout());
        Tensor y = newTensor(x.shape(), x.layout());
        return runOrClose(y, () -> {
            try (OpUse u = use("x", x, "y", y, "slopes", activation.slopes())) {
                runActivation(activation, x, y);
            }
        });
    }

    @Override public void activationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx) {
        ensureOpen();
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        checkTensor("saved", saved);
        checkTensor("dy", dy);
        checkTensor("dx", dx);
        sameShape("dy", dy, "saved", saved);
        sameShape("dx", dx, "saved", saved);
        noAlias("dx", dx, "saved", saved);
        checkSlopes(activation, channels(saved), "C, the channel dimension of saved " + saved.shape() + " " + saved.layout());
        try (OpUse u = use("saved", saved, "dy", dy, "dx", dx, "slopes", activation.slopes())) {
            runActivationBackward(activation, saved, dy, dx);
        }
    }

    // ---- CNN ops (docs/cnn-ops.md) ----------------------------------------------------------------

    @Override public void conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters,
                                           Tensor bias, Tensor residual, Tensor output) {
        if (residual == null) {
            conv2dActivation(spec, activation, input, filters, bias, output);
            return;
        }
        Conv2dGeometry g = checkConv(spec, activation, input, filters, bias);
        checkTensor("output", output);
        if (!output.shape().sameAs(g.outputDims()) || output.layout() != spec.layout()) {
            throw new IllegalArgumentException("output: expected shape " + Shape.of(g.outputDims()) + " " + spec.layout()
                    + ", got " + output.shape() + " " + output.layout());
        }
        checkResidual(spec, g, residual);
        noAlias("output", output, "input", input);
        noAlias("output", output, "filters", filters);
        noAlias("output", output, "bias", bias);
        noAlias("output", output, "residual", residual);
        try (OpUse u = use("input", input, "filters", filters, "bias", bias, "residual", residual, "output", output, "slopes", activation.slopes())) {
            runConv2dResidual(resolvePrecision(spec), g, activation, input, filters, bias, residual, output);
        }
    }

    @Override public Tensor conv2dActivationResidual(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters,
                                                     Tensor bias, Tensor residual) {
        if (residual == null) return conv2dActivation(spec, activation, input, filters, bias);
        Conv2dGeometry g = checkConv(spec, activation, input, filters, bias);
        checkResidual(spec, g, residual);
        Tensor out = zeros(spec.layout(), g.outputDims());
        return runOrClose(out, () -> {
            try (OpUse u = use("input", input, "filters", filters, "bias", bias, "residual", residual, "output", out, "slopes", activation.slopes())) {
                runConv2dResidual(resolvePrecision(spec), g, activation, input, filters, bias, residual, out);
            }
        });
    }

    private void checkResidual(Conv2dSpec spec, Conv2dGeometry g, Tensor residual) {
        checkTensor("residual", residual);
        if (!residual.shape().sameAs(g.outputDims()) || residual.layout() != spec.layout()) {
            throw new IllegalArgumentException("residual: expected the output's shape " + Shape.of(g.outputDims()) + " "
                    + spec.layout() + ", got " + residual.shape() + " " + residual.layout());
        }
    }

    @Override public void pool2d(Pool2dSpec spec, Tensor input, Tensor output) {
        Pool2dGeometry g = checkPool(spec, input);
        checkTensor("output", output);
        if (!output.shape().sameAs(g.outputDims()) || output.layout() != spec.layout()) {
            throw new IllegalArgumentException("output: expected shape " + Shape.of(g.outputDims()) + " " + spec.layout()
                    + ", got " + output.shape() + " " + output.layout());
        }
        noAlias("output", output, "input", input);
        try (OpUse u = use("input", input, "output", output)) {
            runPool2d(spec, g, input, output);
        }
    }

    @Override public Tensor pool2d(Pool2dSpec spec, Tensor input) {
        Pool2dGeometry g = checkPool(spec, input);
        Tensor out = zeros(spec.layout(), g.outputDims());
        return runOrClose(out, () -> {
            try (OpUse u = use("input", input, "output", out)) {
                runPool2d(spec, g, input, out);
            }
        });
    }

    private Pool2dGeometry checkPool(Pool2dSpec spec, Tensor input) {
        ensureOpen();
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        checkTensor("input", input);
        if (input.rank() == 4 && input.layout() != spec.layout()) {
            throw new IllegalArgumentException("input: spec expects layout " + spec.layout() + ", tensor " + input.shape()
                    + " is " + input.layout());
        }
        Pool2dGeometry g = spec.geometry(input.shape());
        Shape.of(g.outputDims());
        return g;
    }

    @Override public void batchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon,
                                    Tensor output) {
        int c = checkBatchNorm(input, gamma, beta, mean, variance, epsilon);
        checkTensor("output", output);
        sameShape("output", output, "input", input);
        noAlias("output", output, "gamma", gamma);
        noAlias("output", output, "beta", beta);
        noAlias("output", output, "mean", mean);
        noAlias("output", output, "variance", variance);
        try (OpUse u = use("input", input, "gamma", gamma, "beta", beta, "mean", mean, "variance", variance, "output", output)) {
            runBatchNorm(input, gamma, beta, mean, variance, epsilon, c, channelInner(input), output);
        }
    }

    @Override public Tensor batchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon) {
        int c = checkBatchNorm(input, gamma, beta, mean, variance, epsilon);
        Tensor out = newTensor(input.shape(), input.layout());
        return runOrClose(out, () -> {
            try (OpUse u = use("input", input, "gamma", gamma, "beta", beta, "mean", mean, "variance", variance, "output", out)) {
                runBatchNorm(input, gamma, beta, mean, variance, epsilon, c, channelInner(input), out);
            }
        });
    }

    /** The channel axis of a tensor: 3 for NHWC, else 1. */
    private static int channelAxis(Tensor t) { return t.layout() == Layout.NHWC ? 3 : 1; }

    private static long channelInner(Tensor t) {
        long inner = 1;
        for (int d = channelAxis(t) + 1; d < t.rank(); d++) inner *= t.dim(d);
        return inner;
    }

    private int checkBatchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon) {
        ensureOpen();
        checkTensor("input", input);
        if (input.rank() < 2) {
            throw new IllegalArgumentException("input: expected rank >= 2 ([N, C, ...], or NHWC [N, H, W, C]), got " + input.shape());
        }
        int c = input.dim(channelAxis(input));
        if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon: must be finite and >= 0, got " + epsilon);
        }
        if (gamma != null) checkChannelVector("gamma", gamma, c, input);
        if (beta != null) checkChannelVector("beta", beta, c, input);
        if (mean == null) throw new IllegalArgumentException("mean must not be null (expected shape [" + c + "])");
        if (variance == null) throw new IllegalArgumentException("variance must not be null (expected shape [" + c + "])");
        checkChannelVector("mean", mean, c, input);
        checkChannelVector("variance", variance, c, input);
        float[] v = variance.toArray();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0) || Float.isInfinite(v[i])) {
                throw new IllegalArgumentException("variance: every value must be finite and >= 0, got " + v[i] + " at channel " + i);
            }
            if (v[i] + epsilon <= 0f) {
                throw new IllegalArgumentException("variance: variance + epsilon must be > 0, got " + v[i] + " + " + epsilon
                        + " at channel " + i);
            }
        }
        return c;
    }

    private void checkChannelVector(String name, Tensor t, int c, Tensor input) {
        checkTensor(name, t);
        if (!t.shape().sameAs(c)) {
            throw new IllegalArgumentException(name + ": expected shape [" + c + "] (the channels of input " + input.shape()
                    + " " + input.layout() + "), got " + t.shape());
        }
    }

    @Override public void softmax(Tensor x, int axis, Tensor y) { softmaxInto(x, axis, y, false); }

    @Override public Tensor softmax(Tensor x, int axis) { return softmaxNew(x, axis, false); }

    @Override public void logSoftmax(Tensor x, int axis, Tensor y) { softmaxInto(x, axis, y, true); }

    @Override public Tensor logSoftmax(Tensor x, int axis) { return softmaxNew(x, axis, true); }

    private void softmaxInto(Tensor x, int axis, Tensor y, boolean log) {
        ensureOpen();
        checkTensor("x", x);
        int a = normalizeAxis("axis", axis, x);
        checkTensor("y", y);
        sameShape("y", y, "x", x);
        long[] oli = outerLengthInner(x, a);
        try (OpUse u = use("x", x, "y", y)) {
            runSoftmax(x, oli[0], (int) oli[1], oli[2], log, y);
        }
    }

    private Tensor softmaxNew(Tensor x, int axis, boolean log) {
        ensureOpen();
        checkTensor("x", x);
        int a = normalizeAxis("axis", axis, x);
        long[] oli = outerLengthInner(x, a);
        Tensor y = newTensor(x.shape(), x.layout());
        return runOrClose(y, () -> {
            try (OpUse u = use("x", x, "y", y)) {
                runSoftmax(x, oli[0], (int) oli[1], oli[2], log, y);
            }
        });
    }

    private static int normalizeAxis(String name, int axis, Tensor t) {
        int r = t.rank();
        if (axis < -r || axis >= r) {
            throw new IllegalArgumentException(name + ": expected an axis in [" + (-r) + ", " + (r - 1) + "] for shape "
                    + t.shape() + ", got " + axis);
        }
        return axis < 0 ? axis + r : axis;
    }

    private static long[] outerLengthInner(Tensor t, int axis) {
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= t.dim(d);
        for (int d = axis + 1; d < t.rank(); d++) inner *= t.dim(d);
        return new long[] {outer, t.dim(axis), inner};
    }

    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        Broadcast bc = checkBinary(op, a, b);
        checkTensor("out", out);
        if (!out.shape().equals(bc.big.shape())) {
            throw new IllegalArgumentException("out: expected shape " + bc.big.shape() + " (the broadcast of a " + a.shape()
                    + " and b " + b.shape() + "), got " + out.shape());
        }
        try (OpUse u = use("a", a, "b", b, "out", out)) {
            runBinary(op, bc.big, bc.small, bc.inner, bc.smallLength, out);
        }
    }

    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Broadcast bc = checkBinary(op, a, b);
        Tensor out = newTensor(bc.big.shape(), bc.big.layout());
        return runOrClose(out, () -> {
            try (OpUse u = use("a", a, "b", b, "out", out)) {
                runBinary(op, bc.big, bc.small, bc.inner, bc.smallLength, out);
            }
        });
    }

    private record Broadcast(Tensor big, Tensor small, long inner, long smallLength) {}

    private Broadcast checkBinary(BinaryOp op, Tensor a, Tensor b) {
        ensureOpen();
        if (op == null) throw new IllegalArgumentException("op must not be null");
        checkTensor("a", a);
        checkTensor("b", b);
        if (a.shape().equals(b.shape())) return new Broadcast(a, b, 1, a.size());
        long[] ab = broadcastInto(b.shape(), a.shape());
        if (ab != null) return new Broadcast(a, b, ab[0], ab[1]);
        long[] ba = broadcastInto(a.shape(), b.shape());
        if (ba != null) return new Broadcast(b, a, ba[0], ba[1]);
        throw new IllegalArgumentException("b: shape " + b.shape() + " and a's shape " + a.shape() + " do not broadcast: one"
                + " operand must broadcast into the other, its dimensions other than 1 forming one run equal to the other's"
                + " (aligned from the right), e.g. [C], [C, 1, 1] or [1, C, 1, 1] against [N, C, H, W]");
    }

    /** {inner, smallLength} when {@code small} broadcasts into {@code big} as one contiguous run, else null. */
    private static long[] broadcastInto(Shape small, Shape big) {
        int r = big.rank(), off = r - small.rank();
        if (off < 0) return null;
        int lo = -1, hi = -1;
        for (int d = 0; d < small.rank(); d++) {
            if (small.dim(d) != 1) {
                if (lo < 0) lo = d + off;
                hi = d + off;
            }
        }
        if (lo < 0) return new long[] {1, 1};
        long len = 1;
        for (int d = lo; d <= hi; d++) {
            if (small.dim(d - off) != big.dim(d)) return null;
            len *= big.dim(d);
        }
        long inner = 1;
        for (int d = hi + 1; d < r; d++) inner *= big.dim(d);
        return new long[] {inner, len};
    }

    @Override public void concat(int axis, Tensor[] inputs, Tensor output) {
        Shape out = checkConcat(axis, inputs);
        checkTensor("output", output);
        Layout layout = inputs[0].layout();
        if (!output.shape().equals(out) || output.layout() != layout) {
            throw new IllegalArgumentException("output: expected shape " + out + " " + layout + ", got " + output.shape()
                    + " " + output.layout());
        }
        for (int i = 0; i < inputs.length; i++) noAlias("output", output, "inputs[" + i + "]", inputs[i]);
        int a = normalizeAxis("axis", axis, inputs[0]);
        try (OpUse u = use(inputs, output)) {
            runConcat(inputs, outerLengthInner(output, a)[0], concatRows(inputs, a), output);
        }
    }

    @Override public Tensor concat(int axis, Tensor... inputs) {
        Shape out = checkConcat(axis, inputs);
        int a = normalizeAxis("axis", axis, inputs[0]);
        Tensor t = newTensor(out, inputs[0].layout());
        return runOrClose(t, () -> {
            try (OpUse u = use(inputs, t)) {
                runConcat(inputs, outerLengthInner(t, a)[0], concatRows(inputs, a), t);
            }
        });
    }

    private static long[] concatRows(Tensor[] inputs, int axis) {
        long[] rows = new long[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            long[] oli = outerLengthInner(inputs[i], axis);
            rows[i] = oli[1] * oli[2];
        }
        return rows;
    }

    private Shape checkConcat(int axis, Tensor[] inputs) {
        ensureOpen();
        if (inputs == null || inputs.length == 0) throw new IllegalArgumentException("inputs: at least one tensor expected");
        for (int i = 0; i < inputs.length; i++) checkTensor("inputs[" + i + "]", inputs[i]);
        Tensor first = inputs[0];
        int a = normalizeAxis("axis", axis, first);
        int[] dims = first.dims();
        long total = 0;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            boolean fits = t.rank() == first.rank() && t.layout() == first.layout();
            for (int d = 0; fits && d < dims.length; d++) fits = d == a || t.dim(d) == dims[d];
            if (!fits) {
                int[] want = dims.clone();
                if (t.rank() == dims.length) want[a] = t.dim(a);
                throw new IllegalArgumentException("inputs[" + i + "]: expected shape " + Shape.of(want) + " " + first.layout()
                        + " (as inputs[0] " + first.shape() + " " + first.layout() + " except along axis " + a + "), got "
                        + t.shape() + " " + t.layout());
            }
            total += t.dim(a);
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("inputs: the concatenated axis " + a + " holds " + total + " > 2^31-1");
        dims[a] = (int) total;
        return Shape.of(dims);
    }

    @Override public void synchronize() { ensureOpen(); }

    /**
     * Closes the backend: new ops fail with {@link IllegalStateException}; ops in flight (on other
     * threads) are waited for before any resource is released. Idempotent.
     *
     * @throws IllegalStateException when called from inside an op of this backend (it would wait for itself)
     */
    @Override public final void close() {
        synchronized (this) {
            if (closed) return;
            if (opDepth.get()[0] > 0) {
                throw new IllegalStateException("close: backend " + identity() + " is in use by an op on this thread"
                        + " (a close from inside it would wait for itself)");
            }
            closed = true;
            boolean interrupted = false;
            while (activeOps > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // releasing under a running op would free its memory: keep waiting
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        release();
    }

    public boolean isClosed() { return closed; }

    // ---- checks ----------------------------------------------------------------------------------

    protected final void ensureOpen() {
        if (closed) throw new IllegalStateException("backend " + name() + " is closed");
    }

    /** Non-null, open, and owned by this backend. */
    protected final void checkTensor(String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(name + " must not be null");
        t.ensureOpen(name);
        if (t.backend() != this) {
            Backend other = t.backend();
            String otherName = other instanceof AbstractBackend ab ? ab.identity() : other.name();
            throw new IllegalArgumentException(name + ": tensor " + t.shape() + " belongs to backend "
                    + otherName + ", not this backend " + identity() + " (copy it with copyOf)");
        }
    }

    /**
     * The channel count PReLU's per-channel slopes index for an element-wise op on {@code x}: dimension
     * 1 of a PLAIN or NCHW tensor of rank ≥ 2 (as PyTorch's nn.PReLU), the last of an NHWC one, 1 for rank 1.
     */
    public static int channels(Tensor x) {
        if (x.rank() < 2) return 1;
        return x.layout() == Layout.NHWC ? x.dim(x.rank() - 1) : x.dim(1);
    }

    /** Elements between consecutive channels of {@code x} (see {@link #channels}): the product of the dims after the channel. */
    public static long channelStride(Tensor x) {
        if (x.rank() < 2 || x.layout() == Layout.NHWC) return 1;
        long s = 1;
        for (int i = 2; i < x.rank(); i++) s *= x.dim(i);
        return s;
    }

    /** PReLU's per-channel slopes: open, on this backend, shape [channels]. */
    private void checkSlopes(Activation activation, int channels, String what) {
        if (activation == null || !activation.perChannel()) return;
        Tensor s = activation.slopes();
        checkTensor("prelu slopes", s);
        if (!s.shape().sameAs(channels)) {
            throw new IllegalArgumentException("prelu slopes: expected shape [" + channels + "] (" + what + "), got " + s.shape());
        }
    }

    private void checkBias(boolean wanted, Tensor bias, int length, String what) {
        if (!wanted) {
            if (bias != null) {
                throw new IllegalArgumentException("bias: the spec has no bias, but a bias tensor " + bias.shape()
                        + " was given (build the spec with bias(true))");
            }
            return;
        }
        if (bias == null) throw new IllegalArgumentException("bias: the spec has a bias, expected shape [" + length + "], got null");
        checkTensor("bias", bias);
        if (!bias.shape().sameAs(length)) {
            throw new IllegalArgumentException("bias: expected shape [" + length + "] (" + what + "), got " + bias.shape());
        }
    }

    private static void expectRank(String name, Tensor t, int rank, String expected) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(name + ": expected a " + rank + "-D shape " + expected + ", got " + t.shape());
        }
    }

    private static void expectShape(String name, Tensor t, int... dims) {
        if (!t.shape().sameAs(dims)) {
            throw new IllegalArgumentException(name + ": expected shape " + Shape.of(dims) + ", got " + t.shape());
        }
    }

    private static void sameShape(String name, Tensor t, String otherName, Tensor other) {
        if (!t.shape().equals(other.shape())) {
            throw new IllegalArgumentException(name + ": expected shape " + other.shape() + " (as " + otherName
                    + "), got " + t.shape());
        }
    }

    /** Aliasing by memory: the same tensor, a view of it, or overlapping storage, whatever the objects. */
    private static void noAlias(String name, Tensor out, String inName, Tensor in) {
        if (in == null) return;
        if (out == in) {
            throw new IllegalArgumentException(name + ": must not be the same tensor as " + inName
                    + " (this op cannot run in place)");
        }
        if (out.sharesMemoryWith(in)) {
            throw new IllegalArgumentException(name + ": must not be the same tensor as " + inName + " nor share its memory"
                    + " (a view of the same storage: " + out.shape() + " and " + in.shape() + "); this op cannot run in place");
        }
    }

    private static Tensor runOrClose(Tensor out, Runnable op) {
        try {
            op.run();
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    @Override public String toString() { return description(); }
}
