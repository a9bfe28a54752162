package dev.jkernels;

/**
 * An element-wise activation: a kind and its parameters {@code a}, {@code b} (what each means is
 * the kind's: α, slope, min/max, β/threshold…), or, for PReLU, per-channel slopes. Immutable.
 *
 * <p>Parameters are explicit because the frameworks' defaults differ: LeakyReLU's α is 0.01 in
 * PyTorch, 0.2 in TF.js and the Keras function, 0.3 in the Keras layer; HardSigmoid is
 * clamp(x/6 + 1/2) in PyTorch and clamp(0.2·x + 0.5) in ONNX and Keras 2. The no-argument
 * factories ({@link #leakyRelu()}, {@link #hardSigmoid()}, {@link #softplus()}…) take PyTorch's
 * defaults; {@link #parse(String, Framework)} takes the framework's you name.
 *
 * <p>This is the Java definition of every activation; {@code cuda/include/jkernels/activation.cuh}
 * holds the CUDA one, and tests check that both agree on the list and on the values.
 *
 * <h2>NaN and infinities: one rule on every backend, fused or not</h2>
 * <ul>
 *   <li><b>Forward.</b> NaN in gives NaN out, for every kind. A finite x never gives NaN; ±Inf comes
 *   out only where the true value exceeds the float range (SELU near ±Float.MAX_VALUE). At x = ±∞
 *   the value is what PyTorch gives: the limit where its formula has one (ReLU(−∞) = 0,
 *   sigmoid(±∞) = 1 or 0, ELU(−∞) = −α, softplus(−∞) = 0, the clamps), NaN where PyTorch's
 *   formula is ∞·0 or ∞/∞ (GELU, GELU-tanh, SiLU/Swish, Mish and HardSwish at −∞; Softsign at ±∞).</li>
 *   <li><b>Backward</b>, dx = dy·f′(saved):
 *   <ol>
 *     <li>where f′ = 0 by definition (the flat pieces: ReLU x ≤ 0, ReLU6 and Hardtanh outside
 *     (min, max), HardSigmoid outside 0 &lt; αx+β &lt; 1 (decided exactly), HardSwish x &lt; −3, ThresholdedReLU
 *     x ≤ θ): dx = 0 exactly, whatever dy holds (NaN, ±Inf), as PyTorch;</li>
 *     <li>saved = NaN: dx = NaN for every kind but identity (dx = dy). PyTorch passes dy through
 *     there for the piecewise-linear kinds (0 for Hardsigmoid); we keep the NaN visible;</li>
 *     <li>elsewhere f′(saved) is evaluated first and then multiplied by dy, so NaN and ±Inf in dy
 *     propagate (±Inf·0 is NaN where a smooth f′ underflows to 0, as PyTorch), and |dy| near
 *     Float.MAX_VALUE stays finite where |f′| ≤ 1. For finite saved, f′ is finite: GELU-tanh's
 *     (1 − tanh²u)·du term is 0 once tanh u rounds to ±1 (PyTorch's float formula gives NaN from
 *     x ≈ 5e19 on, where x³ overflows).</li>
 *   </ol></li>
 * </ul>
 * Kinks take the left derivative, as PyTorch (ReLU′(0) = 0, LeakyReLU′(0) = α).
 */
public final class Activation {

    /** Which tensor {@link Backend#activationBackward} needs besides {@code dy}. */
    public enum BackwardInput {
        /** f′ is computed from the forward input x. */
        INPUT,
        /** f′ is computed from the forward output y = f(x) (so x may be overwritten in place). */
        OUTPUT
    }

    /**
     * Every activation, in the order of the CUDA X-macro {@code JK_ACTIVATIONS} (the code is the
     * index, and is what the kernels receive). {@code cudaName} is the suffix of the kernel names.
     * New kinds go at the end: the codes of the others must not move.
     */
    public enum Kind {
        /** f(x) = x. */
        IDENTITY("identity", BackwardInput.INPUT),
        /** max(x, 0). Backward from y: f′ = y &gt; 0 ? 1 : 0. */
        RELU("relu", BackwardInput.OUTPUT),
        /** x &gt; 0 ? x : a·x (a = negative slope). */
        LEAKY_RELU("leaky_relu", BackwardInput.INPUT, "alpha"),
        /** x &gt; 0 ? x : a·(eˣ − 1), with expm1 (a = α ≥ 0). */
        ELU("elu", BackwardInput.INPUT, "alpha"),
        /** 1 / (1 + e⁻ˣ). Backward from y: f′ = y·(1 − y). */
        SIGMOID("sigmoid", BackwardInput.OUTPUT),
        /** tanh(x). Backward from y: f′ = 1 − y². */
        TANH("tanh", BackwardInput.OUTPUT),
        /** 0.5·x·(1 + erf(x/√2)): PyTorch's and Keras's default GELU. */
        GELU("gelu", BackwardInput.INPUT),
        /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): PyTorch's {@code approximate='tanh'}. */
        GELU_TANH("gelu_tanh", BackwardInput.INPUT),
        /** Swish: x·σ(a·x) (a = β); SiLU is β = 1. */
        SILU("silu", BackwardInput.INPUT, "beta"),
        /** min(max(x, 0), 6): Hardtanh(0, 6). */
        RELU6("relu6", BackwardInput.INPUT),
        /** b·(x &gt; 0 ? x : a·(eˣ − 1)) (a = α, b = γ, the scale). */
        SELU("selu", BackwardInput.INPUT, "alpha", "gamma"),
        /** PyTorch's Softplus(β, threshold): β·x &gt; threshold ? x : log(1 + e^(βx))/β (a = β &gt; 0, b = threshold). */
        SOFTPLUS("softplus", BackwardInput.INPUT, "beta", "threshold"),
        /** clamp(a·x + b, 0, 1) (a = α, b = β): PyTorch (1/6, 1/2), ONNX and Keras 2 (0.2, 0.5). */
        HARD_SIGMOID("hard_sigmoid", BackwardInput.INPUT, "alpha", "beta"),
        /** x &gt; 0 ? x : s·x, s one shared slope (a) or one slope per channel ({@link #prelu(Tensor)}). */
        PRELU("prelu", BackwardInput.INPUT, "slope"),
        /** x·clamp(x + 3, 0, 6)/6 (PyTorch's Hardswish, Keras's hard_silu, ONNX's HardSwish). */
        HARDSWISH("hardswish", BackwardInput.INPUT),
        /** x·tanh(softplus(x)). */
        MISH("mish", BackwardInput.INPUT),
        /** x &gt; 0 ? x : a·(e^(x/a) − 1) (a = α &gt; 0). */
        CELU("celu", BackwardInput.INPUT, "alpha"),
        /** x / (1 + |x|). */
        SOFTSIGN("softsign", BackwardInput.INPUT),
        /** clamp(x, a, b) (a = min, b = max; ONNX's Clip). */
        HARDTANH("hardtanh", BackwardInput.INPUT, "min", "max"),
        /** x &gt; a ? x : 0 (a = θ; Keras's ThresholdedReLU, ONNX's ThresholdedRelu). */
        THRESHOLDED_RELU("thresholded_relu", BackwardInput.INPUT, "theta");

        private final String cudaName;
        private final BackwardInput backwardInput;
        private final String[] parameters;

        Kind(String cudaName, BackwardInput backwardInput, String... parameters) {
            this.cudaName = cudaName;
            this.backwardInput = backwardInput;
            this.parameters = parameters;
        }

        /** The suffix of this activation's kernel names, e.g. {@code jk_act_fwd_relu}. */
        public String cudaName() { return cudaName; }

        /** True when the kind reads parameter {@code a}. */
        public boolean hasAlpha() { return parameters.length > 0; }

        /** How many of {@code a}, {@code b} the kind reads (0, 1 or 2). */
        public int parameterCount() { return parameters.length; }

        /** The names of the kind's parameters, in the order {@code a}, {@code b}. */
        public String[] parameterNames() { return parameters.clone(); }

        public BackwardInput backwardInput() { return backwardInput; }

        /** The code passed to kernels: this kind's index in the X-macro list. */
        public int code() { return ordinal(); }

        /**
         * Looks a kind up by any spelling {@link ActivationNames} knows (Keras, PyTorch, ONNX, the
         * CUDA names), case-insensitively: "relu", "GELU_TANH", "LeakyRelu", "hard_swish"…
         */
        public static Kind parse(String name) { return ActivationNames.kind(name); }
    }

    /** Which framework's parameter defaults a name stands for in {@link #parse(String, Framework)}. */
    public enum Framework {
        /** PyTorch's module and functional names and defaults (LeakyReLU 0.01, Hardsigmoid (1/6, 1/2), Softplus (1, 20)). */
        PYTORCH,
        /**
         * Keras's activation strings and layer names: the functions' defaults for the snake_case
         * names ({@code 'leaky_relu'}: 0.2), the layers' for the class names ({@code LeakyReLU}: 0.3);
         * {@code hard_sigmoid} (0.2, 0.5) as Keras 2 and tf.keras; {@code softplus} exactly log(1 + eˣ).
         */
        KERAS,
        /** ONNX operator names and attribute defaults (LeakyRelu 0.01, HardSigmoid (0.2, 0.5), Softplus log(1 + eˣ), Clip unbounded). */
        ONNX
    }

    public static final double SELU_ALPHA = 1.6732632423543772;
    public static final double SELU_SCALE = 1.0507009873554805;
    /** PyTorch's default LeakyReLU slope. */
    public static final float LEAKY_RELU_DEFAULT_ALPHA = 0.01f;
    /** PyTorch's PReLU initial slope. */
    public static final float PRELU_DEFAULT_SLOPE = 0.25f;

    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double GELU_TANH_C = 0.044715;
    private static final double INV_SQRT_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private final Kind kind;
    private final float a;
    private final float b;
    private final Tensor slopes;
    /** SELU's α and γ for the double-precision definition: the exact constants when a and b are their float roundings. */
    private final double seluAlpha, seluGamma;

    private Activation(Kind kind, float a, float b, Tensor slopes) {
        this.kind = kind;
        this.a = a;
        this.b = b;
        this.slopes = slopes;
        this.seluAlpha = a == (float) SELU_ALPHA ? SELU_ALPHA : a;
        this.seluGamma = b == (float) SELU_SCALE ? SELU_SCALE : b;
    }

    // ---- construction ----------------------------------------------------------------------------

    /** The kind's own defaults for {@code a} and {@code b} (PyTorch's where frameworks differ). */
    static float[] defaults(Kind kind) {
        switch (kind) {
            case LEAKY_RELU: return new float[] {LEAKY_RELU_DEFAULT_ALPHA, 0f};
            case ELU: case SILU: case CELU: case THRESHOLDED_RELU: return new float[] {1f, 0f};
            case SELU: return new float[] {(float) SELU_ALPHA, (float) SELU_SCALE};
            case SOFTPLUS: return new float[] {1f, 20f};
            case HARD_SIGMOID: return new float[] {1f / 6f, 0.5f};
            case PRELU: return new float[] {PRELU_DEFAULT_SLOPE, 0f};
            case HARDTANH: return new float[] {-1f, 1f};
            default: return new float[] {0f, 0f};
        }
    }

    /**
     * An activation of {@code kind} with parameters {@code a} and {@code b} (see {@link Kind}); the
     * ones the kind does not read are dropped. Checked: no NaN; finite except Hardtanh's bounds
     * (±∞ allowed: ONNX's unbounded Clip) and Softplus's threshold (+∞: never linear); ELU α ≥ 0,
     * CELU α &gt; 0, Softplus β &gt; 0, SELU γ &gt; 0, Hardtanh min ≤ max.
     */
    public static Activation of(Kind kind, float a, float b) {
        if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
        String[] names = kind.parameters;
        if (names.length < 1) a = 0f;
        if (names.length < 2) b = 0f;
        for (int i = 0; i < names.length; i++) {
            float v = i == 0 ? a : b;
            if (Float.isNaN(v)) throw bad(kind, names[i], v, "must not be NaN");
            boolean infOk = kind == Kind.HARDTANH || (kind == Kind.SOFTPLUS && i == 1);
            if (!infOk && Float.isInfinite(v)) throw bad(kind, names[i], v, "must be finite");
        }
        switch (kind) {
            case ELU: if (a < 0) throw bad(kind, "alpha", a, "must be >= 0"); break;
            case CELU: if (!(a > 0)) throw bad(kind, "alpha", a, "must be > 0 (it divides x)"); break;
            case SOFTPLUS: if (!(a > 0)) throw bad(kind, "beta", a, "must be > 0"); break;
            case SELU: if (!(b > 0)) throw bad(kind, "gamma", b, "must be > 0"); break;
            case HARDTANH:
                if (a > b) throw new IllegalArgumentException(kind.cudaName + ": min must be <= max, got min " + a + ", max " + b);
                break;
            default: break;
        }
        return new Activation(kind, a, b, null);
    }

    private static IllegalArgumentException bad(Kind kind, String name, float v, String why) {
        return new IllegalArgumentException(kind.cudaName + ": " + name + " " + why + ", got " + v);
    }

    /** An activation of {@code kind} with {@code a} and the kind's default {@code b}. */
    public static Activation of(Kind kind, float a) {
        if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
        return of(kind, a, defaults(kind)[1]);
    }

    /** An activation of {@code kind} with its defaults (PyTorch's where frameworks differ). */
    public static Activation of(Kind kind) {
        if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
        float[] d = defaults(kind);
        return of(kind, d[0], d[1]);
    }

    /** Parses any known spelling ("relu", "LeakyReLU", "hard_sigmoid"…) with the kind's own (PyTorch's) defaults. */
    public static Activation parse(String name) { return of(Kind.parse(name)); }

    /**
     * Parses a name as {@code framework} spells it, with that framework's defaults: Keras
     * ({@code 'relu'}, {@code 'hard_sigmoid'}, {@code 'swish'}, {@code LeakyReLU}…), PyTorch
     * ({@code ReLU}, {@code LeakyReLU}, {@code Hardswish}…), ONNX ({@code LeakyRelu},
     * {@code HardSigmoid}, {@code Clip}…). An unknown name gives an IllegalArgumentException listing
     * the accepted ones.
     */
    public static Activation parse(String name, Framework framework) { return ActivationNames.parse(name, framework); }

    public static Activation identity() { return of(Kind.IDENTITY); }
    public static Activation relu() { return of(Kind.RELU); }
    /** LeakyReLU with PyTorch's α = 0.01. */
    public static Activation leakyRelu() { return of(Kind.LEAKY_RELU); }
    public static Activation leakyRelu(float alpha) { return of(Kind.LEAKY_RELU, alpha); }
    public static Activation elu() { return of(Kind.ELU); }
    public static Activation elu(float alpha) { return of(Kind.ELU, alpha); }
    public static Activation sigmoid() { return of(Kind.SIGMOID); }
    public static Activation tanh() { return of(Kind.TANH); }
    /** Exact GELU (erf). */
    public static Activation gelu() { return of(Kind.GELU); }
    public static Activation geluTanh() { return of(Kind.GELU_TANH); }
    /** SiLU: Swish with β = 1. */
    public static Activation silu() { return of(Kind.SILU); }
    /** Swish: x·σ(β·x). */
    public static Activation swish(float beta) { return of(Kind.SILU, beta); }
    public static Activation relu6() { return of(Kind.RELU6); }
    /** SELU with the standard α and scale γ. */
    public static Activation selu() { return of(Kind.SELU); }
    public static Activation selu(float alpha, float gamma) { return of(Kind.SELU, alpha, gamma); }
    /** PyTorch's default Softplus: β = 1, threshold 20. */
    public static Activation softplus() { return of(Kind.SOFTPLUS); }
    public static Activation softplus(float beta, float threshold) { return of(Kind.SOFTPLUS, beta, threshold); }
    /** PyTorch's Hardsigmoid: clamp(x/6 + 1/2, 0, 1). */
    public static Activation hardSigmoid() { return of(Kind.HARD_SIGMOID); }
    /** ONNX's and Keras 2's HardSigmoid: clamp(0.2·x + 0.5, 0, 1). */
    public static Activation hardSigmoidOnnx() { return of(Kind.HARD_SIGMOID, 0.2f, 0.5f); }
    public static Activation hardSigmoid(float alpha, float beta) { return of(Kind.HARD_SIGMOID, alpha, beta); }
    /** PReLU with one shared slope, PyTorch's initial 0.25. */
    public static Activation prelu() { return of(Kind.PRELU); }
    /** PReLU with one shared slope. */
    public static Activation prelu(float slope) { return of(Kind.PRELU, slope); }

    /**
     * PReLU with one slope per channel: {@code slopes} is a 1-D tensor {@code [C]} on the backend
     * the op runs on (PyTorch's {@code nn.PReLU(C).weight}). The channel is dimension 1 of a
     * PLAIN or NCHW input (the feature of a {@code [N, C]} input, the column of a GEMM), the last
     * of an NHWC input, the output channel of a convolution. The slopes are read when the op runs.
     */
    public static Activation prelu(Tensor slopes) {
        if (slopes == null) throw new IllegalArgumentException("prelu: slopes must not be null");
        slopes.ensureOpen("slopes");
        if (slopes.rank() != 1) throw new IllegalArgumentException("prelu: slopes: expected shape [C], got " + slopes.shape());
        return new Activation(Kind.PRELU, 0f, 0f, slopes);
    }

    public static Activation hardswish() { return of(Kind.HARDSWISH); }
    public static Activation mish() { return of(Kind.MISH); }
    public static Activation celu() { return of(Kind.CELU); }
    public static Activation celu(float alpha) { return of(Kind.CELU, alpha); }
    public static Activation softsign() { return of(Kind.SOFTSIGN); }
    /** Hardtanh(−1, 1). */
    public static Activation hardtanh() { return of(Kind.HARDTANH); }
    /** Hardtanh(min, max), ONNX's Clip(min, max); ReLU6 is Hardtanh(0, 6). */
    public static Activation hardtanh(float min, float max) { return of(Kind.HARDTANH, min, max); }
    /** ThresholdedReLU with θ = 1 (Keras's and ONNX's default). */
    public static Activation thresholdedRelu() { return of(Kind.THRESHOLDED_RELU); }
    public static Activation thresholdedRelu(float theta) { return of(Kind.THRESHOLDED_RELU, theta); }

    // ---- accessors -------------------------------------------------------------------------------

    public Kind kind() { return kind; }

    /** The first parameter (α, slope, β, min, θ as the kind says); 0 for kinds without. */
    public float a() { return a; }

    /** The second parameter (γ, threshold, β, max as the kind says); 0 for kinds without. */
    public float b() { return b; }

    /** Same as {@link #a()}. */
    public float alpha() { return a; }

    /** PReLU's per-channel slopes, or null (then {@link #a()} is the shared slope). */
    public Tensor slopes() { return slopes; }

    /** True for PReLU with a slopes tensor. */
    public boolean perChannel() { return slopes != null; }

    public boolean isIdentity() { return kind == Kind.IDENTITY; }

    // ---- the definition, in double ---------------------------------------------------------------

    /**
     * f(x), evaluated in double precision (PReLU: with the shared slope {@code a}; use
     * {@link #prelu(double, double)} for a channel's slope).
     */
    public double apply(double x) {
        switch (kind) {
            case IDENTITY: return x;
            case RELU: return x < 0 ? 0.0 : x; // NaN and −0 pass through, as PyTorch
            case LEAKY_RELU: case PRELU: return x > 0 ? x : a * x;
            case ELU: return x > 0 ? x : a * Math.expm1(x);
            case SIGMOID: return sigmoid(x);
            case TANH: return Math.tanh(x);
            case GELU: return 0.5 * x * (1.0 + erf(x * INV_SQRT_2));
            case GELU_TANH: return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)));
            case SILU: return x * sigmoid(a * x);
            case RELU6: return clamp(x, 0.0, 6.0);
            case SELU: return seluGamma * (x > 0 ? x : seluAlpha * Math.expm1(x));
            case SOFTPLUS: {
                double bx = a * x;
                return bx > b ? x : softplusOver(x, bx);
            }
            case HARD_SIGMOID: return clamp(a * x + b, 0.0, 1.0);
            case HARDSWISH: return x * clamp(x + 3.0, 0.0, 6.0) / 6.0;
            case MISH: return x * Math.tanh(softplus(x));
            case CELU: return x > 0 ? x : a * Math.expm1(x / a);
            case SOFTSIGN: return x / (1.0 + Math.abs(x));
            case HARDTANH: return clamp(x, a, b);
            case THRESHOLDED_RELU: return x <= a ? 0.0 : x;
            default: throw new AssertionError(kind);
        }
    }

    /**
     * f′ at the point the kind's {@link BackwardInput} describes: {@code saved} is x for INPUT
     * kinds and y = f(x) for OUTPUT kinds. Kinks take the left derivative, as PyTorch does. NaN
     * for a NaN {@code saved} (identity: 1).
     */
    public double derivative(double saved) {
        double x = saved;
        switch (kind) {
            case IDENTITY: return 1.0;
            case RELU: return saved > 0 ? 1.0 : saved <= 0 ? 0.0 : saved;
            case LEAKY_RELU: case PRELU: return x > 0 ? 1.0 : x <= 0 ? a : x;
            case ELU: return x > 0 ? 1.0 : a * Math.exp(x);
            case SIGMOID: return saved * (1.0 - saved);
            case TANH: return 1.0 - saved * saved;
            case GELU: {
                double pdf = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
                return 0.5 * (1.0 + erf(x * INV_SQRT_2)) + x * pdf;
            }
            case GELU_TANH: {
                double u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
                double t = Math.tanh(u);
                double sech2 = 1.0 - t * t;
                double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x * x);
                return 0.5 * (1.0 + t) + (sech2 == 0 ? 0.0 : 0.5 * x * sech2 * du);
            }
            case SILU: {
                // s + a·x·s·(1 − s), the second term 0 once s·(1 − s) is (its limit at ±∞)
                double s = sigmoid(a * x);
                double p = s * (1.0 - s);
                return s + (p == 0 ? 0.0 : a * x * p);
            }
            case RELU6: return x > 0 && x < 6 ? 1.0 : Double.isNaN(x) ? x : 0.0;
            case SELU: return seluGamma * (x > 0 ? 1.0 : seluAlpha * Math.exp(x));
            case SOFTPLUS: {
                double bx = a * x;
                return bx > b ? 1.0 : sigmoid(bx);
            }
            case HARD_SIGMOID: {
                double v = (double) a * x + b; // for a float x: a·x exact in double, so the mask is exact
                return v > 0 && v < 1 ? a : Double.isNaN(v) ? v : 0.0;
            }
            case HARDSWISH: return x < -3 ? 0.0 : x <= 3 ? x / 3.0 + 0.5 : Double.isNaN(x) ? x : 1.0;
            case MISH: {
                double tsp = Math.tanh(softplus(x));
                return tsp + x * sigmoid(x) * (1.0 - tsp * tsp);
            }
            case CELU: return x > 0 ? 1.0 : Math.exp(x / a);
            case SOFTSIGN: {
                double d = 1.0 + Math.abs(x);
                return 1.0 / (d * d);
            }
            case HARDTANH: return x > a && x < b ? 1.0 : Double.isNaN(x) ? x : 0.0;
            case THRESHOLDED_RELU: return x > a ? 1.0 : Double.isNaN(x) ? x : 0.0;
            default: throw new AssertionError(kind);
        }
    }

    /** PReLU with slope {@code s}: x &gt; 0 ? x : s·x (NaN passes). */
    public static double prelu(double x, double s) { return x > 0 ? x : s * x; }

    // ---- the float forms the CPU backend runs ------------------------------------------------------

    /**
     * f(x) rounded to float. Thresholds that depend on arithmetic (HardSigmoid's a·x + b, Softplus's
     * β·x) are decided in float exactly as the CUDA functors decide them (fma, one rounding), so the
     * backends agree at the saturation points; the smooth part is evaluated in double.
     */
    public float apply(float x) {
        switch (kind) {
            case RELU: return x < 0f ? 0f : x;
            case LEAKY_RELU: case PRELU: return x > 0f ? x : a * x;
            case RELU6: return clampf(x, 0f, 6f);
            case HARDTANH: return clampf(x, a, b);
            case THRESHOLDED_RELU: return x <= a ? 0f : x;
            case HARD_SIGMOID: return clampf(Math.fma(a, x, b), 0f, 1f);
            case SOFTPLUS: {
                float bx = a * x; // the switch to x decided in float, as the CUDA functor does
                return bx > b ? x : (float) softplusOver(x, (double) a * x);
            }
            default: return (float) apply((double) x);
        }
    }

    /** dx = dy · f′(saved), rounded to float, under the rule in the class comment. */
    public float backward(float saved, float dy) {
        float x = saved;
        switch (kind) {
            case IDENTITY: return dy;
            case RELU: return x > 0f ? dy : x <= 0f ? 0f : x;
            case LEAKY_RELU: case PRELU: return x > 0f ? dy : x <= 0f ? a * dy : x;
            case RELU6: return x > 0f && x < 6f ? dy : x != x ? x : 0f;
            case HARDTANH: return x > a && x < b ? dy : x != x ? x : 0f;
            case THRESHOLDED_RELU: return x > a ? dy : x != x ? x : 0f;
            case HARD_SIGMOID: {
                // the mask from a·x + b in double (a·x is exact there): the same decision as PyTorch's
                // x > −3 && x < 3 for (1/6, 1/2), and as the CUDA functor, which decides in double too
                double v = (double) a * x + b;
                return v > 0 && v < 1 ? a * dy : v != v ? x : 0f;
            }
            case HARDSWISH:
                if (x < -3f) return 0f;
                return (float) (dy * derivative((double) x));
            case SOFTPLUS: {
                float bx = a * x;
                if (bx > b) return dy;
                return (float) (dy * sigmoid((double) bx));
            }
            default: return (float) (dy * derivative((double) saved));
        }
    }

    /** PReLU forward with slope {@code s}, in float. */
    public static float prelu(float x, float s) { return x > 0f ? x : s * x; }

    /** PReLU backward with slope {@code s}, in float: NaN for a NaN x. */
    public static float preluBackward(float x, float dy, float s) { return x > 0f ? dy : x <= 0f ? s * dy : x; }

    /**
     * The array form: {@code y[i] = apply(x[i])} for {@code from <= i < to}; {@code y} may be {@code x}.
     * The same values as the scalar form, with the kind chosen once per range so that the JIT can
     * vectorise the piecewise-linear kinds.
     */
    public void apply(float[] x, float[] y, int from, int to) {
        switch (kind) {
            case IDENTITY:
                if (x != y) System.arraycopy(x, from, y, from, to - from);
                return;
            case RELU:
                for (int i = from; i < to; i++) { float v = x[i]; y[i] = v < 0f ? 0f : v; }
                return;
            case LEAKY_RELU:
            case PRELU: {
                float s = a;
                for (int i = from; i < to; i++) { float v = x[i]; y[i] = v > 0f ? v : s * v; }
                return;
            }
            case RELU6:
                for (int i = from; i < to; i++) y[i] = clampf(x[i], 0f, 6f);
                return;
            case HARDTANH: {
                float lo = a, hi = b;
                for (int i = from; i < to; i++) y[i] = clampf(x[i], lo, hi);
                return;
            }
            default:
                for (int i = from; i < to; i++) y[i] = apply(x[i]);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** clamp that keeps NaN (the comparisons are false for it): the form every backend uses. */
    private static double clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

    private static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

    /** log(1 + e^(a·x))/a for {@code bx} = a·x, as x + log1p(e^−bx)/a when bx &gt; 0: no overflow anywhere. */
    private double softplusOver(double x, double bx) {
        return bx > 0 ? x + Math.log1p(Math.exp(-bx)) / a : Math.log1p(Math.exp(bx)) / a;
    }

    /** log(1 + eˣ) as max(x, 0) + log1p(e^−|x|): never overflows; NaN passes. */
    private static double softplus(double x) { return (x > 0 ? x : 0.0) + Math.log1p(Math.exp(-Math.abs(x))); }

    private static double sigmoid(double x) {
        // Split by sign so exp never overflows: no NaN or Inf at ±90 or beyond.
        if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    /**
     * erf to about 1e-15 relative (Java has none): a series near 0, the continued-fraction form of
     * erfc beyond. Used by GELU.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // Maclaurin series: erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = sum * 1.1283791670955126;
        } else if (ax > 6.0) {
            r = 1.0;
        } else {
            // erfc x = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated bottom-up.
            double f = ax;
            for (int n = 60; n >= 1; n--) f = ax + (n / 2.0) / f;
            r = 1.0 - Math.exp(-ax * ax) / (f * 1.7724538509055159);
        }
        return x < 0 ? -r : r;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Activation act && act.kind == kind && Float.compare(act.a, a) == 0
                && Float.compare(act.b, b) == 0 && act.slopes == slopes;
    }

    @Override public int hashCode() {
        return (kind.hashCode() * 31 + Float.hashCode(a)) * 31 + Float.hashCode(b) + System.identityHashCode(slopes);
    }

    @Override public String toString() {
        if (slopes != null) return "prelu(" + slopes.dim(0) + " slopes)";
        switch (kind.parameters.length) {
            case 0: return kind.cudaName;
            case 1: return kind.cudaName + "(" + a + ")";
            default: return kind.cudaName + "(" + a + ", " + b + ")";
        }
    }
}
