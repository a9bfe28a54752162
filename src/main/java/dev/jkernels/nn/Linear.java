package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Precision;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * A fully connected layer, {@code y = act(x·Wᵀ + b)}: PyTorch's {@code nn.Linear(in, out)} and, with an
 * activation, Keras's {@code Dense(out, activation=…)}.
 *
 * <p>Input {@code [N, in]}, output {@code [N, out]}; weight {@code [out, in]} (PyTorch's layout),
 * bias {@code [out]}. The forward pass is one GEMM with {@code transB} and the bias + activation
 * epilogue, so a built-in activation costs no extra launch.
 *
 * <p>Weights start from {@link Initializer#pytorchDefault()} with a fresh seed per layer; pin them
 * with {@link #initialize(Initializer, long)} or set them with {@link #setWeights} /
 * {@link #setKerasWeights}.
 */
public final class Linear implements Layer {
    private final int inFeatures;
    private final int outFeatures;
    private final Activation activation;
    private final Parameters params;
    private volatile Precision precision;       // null: the backend's matmul default
    private volatile boolean precisionFallback;

    /** {@code nn.Linear(in, out)}: bias, no activation. */
    public Linear(int inFeatures, int outFeatures) { this(inFeatures, outFeatures, true, Activation.identity()); }

    /** {@code Dense(out, activation=…)} with {@code in} inputs: bias, the given activation. */
    public Linear(int inFeatures, int outFeatures, Activation activation) {
        this(inFeatures, outFeatures, true, activation);
    }

    /** As above with the activation by name: "relu", "gelu_tanh", "linear"… (see {@link Activation.Kind#parse}). */
    public Linear(int inFeatures, int outFeatures, String activation) {
        this(inFeatures, outFeatures, true, Activation.parse(activation));
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Activation activation) {
        if (inFeatures < 1) throw new IllegalArgumentException("Linear: in_features must be >= 1, got " + inFeatures);
        if (outFeatures < 1) throw new IllegalArgumentException("Linear: out_features must be >= 1, got " + outFeatures);
        if (activation == null) throw new IllegalArgumentException("Linear: activation must not be null (use Activation.identity())");
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.activation = activation;
        this.params = new Parameters("Linear(" + inFeatures + " → " + outFeatures + ")",
                new int[] {outFeatures, inFeatures}, outFeatures, bias);
        initialize(Initializer.pytorchDefault(), Initializer.nextDefaultSeed());
    }

    public int inFeatures() { return inFeatures; }

    public int outFeatures() { return outFeatures; }

    /**
     * Sets the GEMM's precision (docs/precision.md); null leaves it to the backend's matmul default
     * (PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}), as a new layer does.
     */
    public Linear precision(Precision p) {
        precision = p;
        return this;
    }

    /** The precision asked for, or empty (the backend's matmul default). */
    public java.util.Optional<Precision> precision() { return java.util.Optional.ofNullable(precision); }

    /** Opt in to FP32 on a device without TF32 tensor cores (else a tensor-core precision fails there). */
    public Linear allowPrecisionFallback(boolean v) {
        precisionFallback = v;
        return this;
    }

    /** The built-in activation (identity when none). */
    public Activation activation() { return activation; }

    public boolean hasBias() { return params.hasBias(); }

    /** A copy of the weight, {@code [out, in]} row-major. */
    public float[] weight() { return params.weight(); }

    /** A copy of the bias {@code [out]}, or null. */
    public float[] bias() { return params.bias(); }

    /** The weight's shape {@code [out, in]}. */
    public Shape weightShape() { return Shape.of(outFeatures, inFeatures); }

    /**
     * Sets the weights from PyTorch's layout: {@code weight [out, in]} row-major (what
     * {@code linear.weight.detach().numpy().ravel()} gives) and {@code bias [out]} (null when built
     * without bias). Updates the uploaded copy too.
     */
    public Linear setWeights(float[] weight, float[] bias) {
        params.set(weight, bias, "[out, in]");
        return this;
    }

    /**
     * Sets the weights from Keras's Dense layout: {@code kernel [in, out]} row-major
     * ({@code layer.get_weights()[0].ravel()}) and {@code bias [out]}; the kernel is transposed.
     */
    public Linear setKerasWeights(float[] kernel, float[] bias) {
        if (kernel == null) throw new IllegalArgumentException(name() + ": kernel must not be null");
        return setWeights(KerasLayouts.denseKernelToLinear(kernel, inFeatures, outFeatures), bias);
    }

    /** Redraws the weights (and bias) with {@code init} from {@code seed}; reproducible. */
    public Linear initialize(Initializer init, long seed) {
        if (init == null) throw new IllegalArgumentException("Linear: initializer must not be null");
        synchronized (params) {
            params.checkUploadWritable();
            init.fill(params.weightArray(), params.biasArray(), inFeatures, outFeatures, seed);
            params.refreshUpload();
        }
        return this;
    }

    @Override public String name() {
        return "Linear(" + inFeatures + " → " + outFeatures + (hasBias() ? "" : ", bias=false")
                + (activation.isIdentity() ? "" : ", " + activation) + (precision == null ? "" : ", " + precision) + ")";
    }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException("Linear: input shape must not be null");
        if (input.rank() != 2 || input.dim(1) != inFeatures) {
            throw new IllegalArgumentException("expected input [N, " + inFeatures + "], got " + input);
        }
        return Shape.of(input.dim(0), outFeatures);
    }

    @Override public Layout outputLayout(Layout input) { return Layout.PLAIN; }

    @Override public Tensor forward(Tensor input) { return forwardWith(input, activation); }

    /**
     * One GEMM launch: {@code act(x·Wᵀ + b)} with {@code act} in the epilogue instead of the built-in
     * activation. {@link Sequential}'s fusion uses this.
     */
    Tensor forwardWith(Tensor input, Activation act) {
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        try {
            outputShape(input.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + ": " + e.getMessage(), e);
        }
        Backend b = input.backend();
        return b.gemm(gemmSpec(act), input, params.weightOn(b), params.biasOn(b));
    }

    GemmSpec gemmSpec(Activation act) {
        return GemmSpec.builder().transB(true).bias(hasBias()).activation(act).precision(precision)
                .allowPrecisionFallback(precisionFallback).build();
    }

    @Override public Linear to(Backend backend) {
        params.to(backend);
        return this;
    }

    /** The backend holding the uploaded weights, or null. */
    public Backend backend() { return params.backend(); }

    @Override public void close() { params.close(); }

    @Override public String toString() { return name(); }
}
