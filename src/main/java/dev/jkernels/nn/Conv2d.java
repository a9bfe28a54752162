package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * A 2-D convolution (cross-correlation), {@code y = act(conv(x, W) + b)}: PyTorch's
 * {@code nn.Conv2d(inC, outC, kernel, stride, padding, dilation, groups, bias)} and, with an
 * activation, Keras's {@code Conv2D(outC, kernel, activation=…)}.
 *
 * <p>Weight {@code [K, C/groups, R, S]} (PyTorch's layout, whatever the input layout), bias
 * {@code [K]}. Input {@code [N, C, H, W]} (NCHW, the default) or {@code [N, H, W, C]} (NHWC, Keras's
 * channels_last) as {@link Builder#layout} says; the output is in the same layout. Padding is
 * explicit, {@code "same"} or {@code "valid"} (TensorFlow's rules, see {@link Padding}).
 *
 * <p>The forward pass is one launch: {@code conv2d}, or {@code conv2dActivation} (the fused
 * kernel) when the layer has an activation.
 * <pre>{@code
 * Conv2d conv = Conv2d.builder(1, 32, 3).activation("relu").layout(Layout.NHWC).build(); // Conv2D(32, (3,3), activation='relu')
 * Conv2d c2 = Conv2d.builder(32, 64, 3).stride(2).padding(1).build();                    // nn.Conv2d(32, 64, 3, stride=2, padding=1)
 * }</pre>
 */
public final class Conv2d implements Layer {
    private final int inChannels, outChannels;
    private final int kernelH, kernelW;
    private final Conv2dSpec spec;      // stride, padding, dilation, groups, bias, layout
    private final Activation activation;
    private final Parameters params;

    /** {@code nn.Conv2d(inC, outC, kernel)}: stride 1, no padding, bias, NCHW, no activation. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(builder(inChannels, outChannels, kernelSize));
    }

    /** As above with a built-in activation (Keras's {@code activation=}), still NCHW. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, Activation activation) {
        this(builder(inChannels, outChannels, kernelSize).activation(activation));
    }

    private Conv2d(Builder b) {
        if (b.inChannels < 1) throw new IllegalArgumentException("Conv2d: in_channels must be >= 1, got " + b.inChannels);
        if (b.outChannels < 1) throw new IllegalArgumentException("Conv2d: out_channels must be >= 1, got " + b.outChannels);
        if (b.kernelH < 1 || b.kernelW < 1) {
            throw new IllegalArgumentException("Conv2d: kernel size must be >= 1, got " + b.kernelH + "x" + b.kernelW);
        }
        if (b.groups < 1) throw new IllegalArgumentException("Conv2d: groups must be >= 1, got " + b.groups);
        if (b.inChannels % b.groups != 0 || b.outChannels % b.groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels (" + b.inChannels + ") and out_channels ("
                    + b.outChannels + ") must both be divisible by groups (" + b.groups + ")");
        }
        if (b.activation == null) throw new IllegalArgumentException("Conv2d: activation must not be null (use Activation.identity())");
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernelH = b.kernelH;
        this.kernelW = b.kernelW;
        this.activation = b.activation;
        this.spec = Conv2dSpec.builder().stride(b.strideH, b.strideW).padding(b.padding)
                .dilation(b.dilationH, b.dilationW).groups(b.groups).bias(b.bias).layout(b.layout)
                .precision(b.precision).allowPrecisionFallback(b.precisionFallback).build();
        this.params = new Parameters(shortName(), new int[] {outChannels, inChannels / b.groups, kernelH, kernelW},
                outChannels, b.bias);
        initialize(Initializer.pytorchDefault(), Initializer.nextDefaultSeed());
    }

    /** A builder for {@code Conv2d(inC, outC, kernel×kernel)}: stride 1, valid padding, dilation 1, groups 1, bias, NCHW. */
    public static Builder builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder(inChannels, outChannels, kernelSize, kernelSize);
    }

    public static Builder builder(int inChannels, int outChannels, int kernelH, int kernelW) {
        return new Builder(inChannels, outChannels, kernelH, kernelW);
    }

    public int inChannels() { return inChannels; }
    public int outChannels() { return outChannels; }
    public int kernelH() { return kernelH; }
    public int kernelW() { return kernelW; }
    public int groups() { return spec.groups(); }
    public Layout layout() { return spec.layout(); }
    public boolean hasBias() { return params.hasBias(); }
    /** The built-in activation (identity when none). */
    public Activation activation() { return activation; }
    /** The convolution's spec (stride, padding, dilation, groups, bias, layout). */
    public Conv2dSpec spec() { return spec; }

    /** The precision asked for, or empty (the backend's conv default). */
    public java.util.Optional<dev.jkernels.Precision> precision() { return spec.precision(); }

    /** The weight's shape {@code [K, C/groups, R, S]}. */
    public Shape weightShape() { return Shape.of(params.weightShape()); }

    /** A copy of the weight, {@code [K, C/groups, R, S]} row-major. */
    public float[] weight() { return params.weight(); }

    /** A copy of the bias {@code [K]}, or null. */
    public float[] bias() { return params.bias(); }

    /**
     * Sets the weights from PyTorch's layout: {@code weight [K, C/groups, R, S]} row-major and
     * {@code bias [K]} (null when built without bias). Updates the uploaded copy too.
     */
    public Conv2d setWeights(float[] weight, float[] bias) {
        params.set(weight, bias, "[K, C/groups, R, S]");
        return this;
    }

    /**
     * Sets the weights from Keras's Conv2D layout: {@code kernel [R, S, C/groups, K]} row-major
     * ({@code layer.get_weights()[0].ravel()}) and {@code bias [K]}; the kernel is transposed.
     */
    public Conv2d setKerasWeights(float[] kernel, float[] bias) {
        if (kernel == null) throw new IllegalArgumentException(name() + ": kernel must not be null");
        return setWeights(KerasLayouts.conv2dKernelToPyTorch(kernel, kernelH, kernelW, inChannels / groups(), outChannels), bias);
    }

    /** Redraws the weights (and bias) with {@code init} from {@code seed}; reproducible. */
    public Conv2d initialize(Initializer init, long seed) {
        if (init == null) throw new IllegalArgumentException("Conv2d: initializer must not be null");
        int rs = kernelH * kernelW;
        synchronized (params) {
            params.checkUploadWritable();
            init.fill(params.weightArray(), params.biasArray(), inChannels / groups() * rs, outChannels * rs, seed);
            params.refreshUpload();
        }
        return this;
    }

    private String shortName() {
        return "Conv2d(" + inChannels + " → " + outChannels + ", " + kernelH + "x" + kernelW + ")";
    }

    @Override public String name() {
        StringBuilder sb = new StringBuilder("Conv2d(").append(inChannels).append(" → ").append(outChannels)
                .append(", ").append(kernelH).append('x').append(kernelW);
        if (spec.strideH() != 1 || spec.strideW() != 1) sb.append(", stride=").append(spec.strideH()).append('x').append(spec.strideW());
        if (!spec.padding().equals(Padding.valid())) sb.append(", padding=").append(spec.padding());
        if (spec.dilationH() != 1 || spec.dilationW() != 1) sb.append(", dilation=").append(spec.dilationH()).append('x').append(spec.dilationW());
        if (spec.groups() != 1) sb.append(", groups=").append(spec.groups());
        if (!hasBias()) sb.append(", bias=false");
        if (spec.layout() != Layout.NCHW) sb.append(", ").append(spec.layout());
        if (!activation.isIdentity()) sb.append(", ").append(activation);
        spec.precision().ifPresent(p -> sb.append(", ").append(p));
        return sb.append(')').toString();
    }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException("Conv2d: input shape must not be null");
        boolean nchw = spec.layout() == Layout.NCHW;
        String expected = nchw ? "[N, " + inChannels + ", H, W] (NCHW)" : "[N, H, W, " + inChannels + "] (NHWC)";
        if (input.rank() != 4 || input.dim(nchw ? 1 : 3) != inChannels) {
            throw new IllegalArgumentException("expected input " + expected + ", got " + input);
        }
        try {
            return Shape.of(spec.geometry(input, weightShape()).outputDims());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input " + input + " does not fit: " + e.getMessage(), e);
        }
    }

    @Override public Layout outputLayout(Layout input) {
        if (input != spec.layout()) {
            throw new IllegalArgumentException("expected input layout " + spec.layout() + ", got " + input
                    + (spec.layout() == Layout.NHWC ? " (this layer was built with layout(NHWC))"
                    : " (build the layer with layout(Layout.NHWC) for channels_last input)"));
        }
        return spec.layout();
    }

    @Override public Tensor forward(Tensor input) { return forwardWith(input, activation); }

    /**
     * One launch: {@code act(conv(x) + b)} with {@code act} instead of the built-in activation
     * ({@code conv2d} for identity, else the fused {@code conv2dActivation}). Used by {@link Sequential}.
     */
    Tensor forwardWith(Tensor input, Activation act) {
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        try {
            outputShape(input.shape());
            outputLayout(input.layout());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + ": " + e.getMessage(), e);
        }
        Backend b = input.backend();
        Tensor w = params.weightOn(b);
        Tensor bias = params.biasOn(b);
        return act.isIdentity() ? b.conv2d(spec, input, w, bias) : b.conv2dActivation(spec, act, input, w, bias);
    }

    /**
     * One launch: {@code act(conv(x) + b + residual)}, the residual add of a ResNet block in the
     * epilogue ({@code residual} null: {@link #forwardWith(Tensor, Activation)}). Used by {@link Sequential}.
     */
    Tensor forwardWith(Tensor input, Activation act, Tensor residual) {
        if (residual == null) return forwardWith(input, act);
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        try {
            outputShape(input.shape());
            outputLayout(input.layout());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + ": " + e.getMessage(), e);
        }
        Backend b = input.backend();
        return b.conv2dActivationResidual(spec, act, input, params.weightOn(b), params.biasOn(b), residual);
    }

    /** Changes whenever the host weights change (for {@link Sequential}'s folded copies). */
    long weightsVersion() { return params.version(); }

    @Override public Conv2d to(Backend backend) {
        params.to(backend);
        return this;
    }

    /** The backend holding the uploaded weights, or null. */
    public Backend backend() { return params.backend(); }

    @Override public void close() { params.close(); }

    @Override public String toString() { return name(); }

    /** Everything but the channel counts and kernel size, with PyTorch's defaults. */
    public static final class Builder {
        private final int inChannels, outChannels, kernelH, kernelW;
        private int strideH = 1, strideW = 1;
        private Padding padding = Padding.valid();
        private int dilationH = 1, dilationW = 1;
        private int groups = 1;
        private boolean bias = true;
        private Activation activation = Activation.identity();
        private Layout layout = Layout.NCHW;
        private dev.jkernels.Precision precision;
        private boolean precisionFallback;

        private Builder(int inChannels, int outChannels, int kernelH, int kernelW) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelH = kernelH;
            this.kernelW = kernelW;
        }

        public Builder stride(int s) { return stride(s, s); }
        public Builder stride(int h, int w) { strideH = h; strideW = w; return this; }
        /** {@code p} pixels on every side (PyTorch's {@code padding=p}). */
        public Builder padding(int p) { padding = Padding.symmetric(p); return this; }
        /** {@code ph} above and below, {@code pw} left and right (PyTorch's {@code padding=(ph, pw)}). */
        public Builder padding(int ph, int pw) { padding = Padding.symmetric(ph, pw); return this; }
        public Builder padding(Padding p) { padding = p; return this; }
        /** {@code "same"} or {@code "valid"} (Keras's {@code padding=}). */
        public Builder padding(String p) { padding = Padding.parse(p); return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder dilation(int h, int w) { dilationH = h; dilationW = w; return this; }
        public Builder groups(int g) { groups = g; return this; }
        public Builder bias(boolean b) { bias = b; return this; }
        public Builder activation(Activation a) { activation = a; return this; }
        /** By name: "relu", "gelu_tanh", "linear"… */
        public Builder activation(String a) { activation = Activation.parse(a); return this; }
        /** NCHW (default, PyTorch) or NHWC (Keras's channels_last). */
        public Builder layout(Layout l) { layout = l; return this; }
        /**
         * The conv's precision (docs/precision.md); null (the default) leaves it to the backend's conv
         * default, PyTorch's {@code torch.backends.cudnn.allow_tf32}.
         */
        public Builder precision(dev.jkernels.Precision p) { precision = p; return this; }
        /** Opt in to FP32 on a device without TF32 tensor cores (else a tensor-core precision fails there). */
        public Builder allowPrecisionFallback(boolean v) { precisionFallback = v; return this; }
        public Conv2d build() { return new Conv2d(this); }
    }
}
