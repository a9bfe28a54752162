package dev.jkernels;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;

/**
 * The argument checks every backend shares, done once here so that each backend's compute code
 * only ever sees valid, open tensors of its own. Subclasses implement the {@code run…} methods.
 */
public abstract class AbstractBackend implements Backend {

    private volatile boolean closed;

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

    /** Called once by {@link #close()}. */
    protected void release() {}

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
            copyBetween(source, t);
        } catch (RuntimeException e) {
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
        copyBetween(src, dst);
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
        ensureOpen();
        return Tensor.ofStorage(this, allocate(s.elementCount()), s, layout);
    }

    // ---- ops -------------------------------------------------------------------------------------

    @Override public void gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias, Tensor c) {
        int[] mnk = checkGemm(spec, a, b, bias);
        checkTensor("c", c);
        expectShape("c", c, mnk[0], mnk[1]);
        noAlias("c", c, "a", a);
        noAlias("c", c, "b", b);
        noAlias("c", c, "bias", bias);
        runGemm(spec, mnk[0], mnk[1], mnk[2], a, b, bias, c);
    }

    @Override public Tensor gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias) {
        int[] mnk = checkGemm(spec, a, b, bias);
        if (spec.beta() != 0f) {
            throw new IllegalArgumentException("beta: must be 0 when no output tensor c is given, got " + spec.beta());
        }
        Tensor c = zeros(mnk[0], mnk[1]);
        return runOrClose(c, () -> runGemm(spec, mnk[0], mnk[1], mnk[2], a, b, bias, c));
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
        runConv2d(spec, g, activation, input, filters, bias, output);
    }

    @Override public Tensor conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters,
                                             Tensor bias) {
        Conv2dGeometry g = checkConv(spec, activation, input, filters, bias);
        Tensor out = zeros(spec.layout(), g.outputDims());
        return runOrClose(out, () -> runConv2d(spec, g, activation, input, filters, bias, out));
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
        runActivation(activation, x, y);
    }

    @Override public Tensor activation(Activation activation, Tensor x) {
        ensureOpen();
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        checkTensor("x", x);
        checkSlopes(activation, channels(x), "C, the channel dimension of x " + x.shape() + " " + x.layout());
        Tensor y = newTensor(x.shape(), x.layout());
        return runOrClose(y, () -> runActivation(activation, x, y));
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
        runActivationBackward(activation, saved, dy, dx);
    }

    @Override public void synchronize() { ensureOpen(); }

    @Override public final void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
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
            throw new IllegalArgumentException(name + ": tensor " + t.shape() + " belongs to backend "
                    + t.backend().name() + ", not " + name() + " (copy it with copyOf)");
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

    private static void noAlias(String name, Tensor out, String inName, Tensor in) {
        if (in != null && out == in) {
            throw new IllegalArgumentException(name + ": must not be the same tensor as " + inName
                    + " (this op cannot run in place)");
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
