package dev.jkernels;

import java.util.Locale;

/**
 * An element-wise activation: a kind and, for the parametrised kinds, its α. Immutable.
 *
 * <p>Parameters are explicit because the frameworks' defaults differ: LeakyReLU's α is 0.01 in
 * PyTorch, 0.2 in TF.js and the Keras function, 0.3 in the Keras layer. {@link #leakyRelu()} takes
 * PyTorch's 0.01; {@link #leakyRelu(float)} takes yours. {@link #elu()} takes α = 1 (everyone's).
 *
 * <p>This is the Java definition of every activation; {@code cuda/include/jkernels/activation.cuh}
 * holds the CUDA one, and a test checks that both agree on the list and on the values.
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
     */
    public enum Kind {
        /** f(x) = x. */
        IDENTITY("identity", false, BackwardInput.INPUT),
        /** max(x, 0). Backward from y: f′ = y &gt; 0 ? 1 : 0. */
        RELU("relu", false, BackwardInput.OUTPUT),
        /** x &gt; 0 ? x : α·x. */
        LEAKY_RELU("leaky_relu", true, BackwardInput.INPUT),
        /** x &gt; 0 ? x : α·(eˣ − 1), with expm1. */
        ELU("elu", true, BackwardInput.INPUT),
        /** 1 / (1 + e⁻ˣ). Backward from y: f′ = y·(1 − y). */
        SIGMOID("sigmoid", false, BackwardInput.OUTPUT),
        /** tanh(x). Backward from y: f′ = 1 − y². */
        TANH("tanh", false, BackwardInput.OUTPUT),
        /** 0.5·x·(1 + erf(x/√2)): PyTorch's and Keras's default GELU. */
        GELU("gelu", false, BackwardInput.INPUT),
        /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): PyTorch's {@code approximate='tanh'}. */
        GELU_TANH("gelu_tanh", false, BackwardInput.INPUT),
        /** x·σ(x), also called swish. */
        SILU("silu", false, BackwardInput.INPUT),
        /** min(max(x, 0), 6). */
        RELU6("relu6", false, BackwardInput.INPUT),
        /** scale·(x &gt; 0 ? x : α·(eˣ − 1)) with the standard α and scale. */
        SELU("selu", false, BackwardInput.INPUT),
        /** log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so it never overflows. */
        SOFTPLUS("softplus", false, BackwardInput.INPUT),
        /** clamp(x/6 + 1/2, 0, 1) (PyTorch's Hardsigmoid; not older Keras's 0.2·x + 0.5). */
        HARD_SIGMOID("hard_sigmoid", false, BackwardInput.INPUT);

        private final String cudaName;
        private final boolean hasAlpha;
        private final BackwardInput backwardInput;

        Kind(String cudaName, boolean hasAlpha, BackwardInput backwardInput) {
            this.cudaName = cudaName;
            this.hasAlpha = hasAlpha;
            this.backwardInput = backwardInput;
        }

        /** The suffix of this activation's kernel names, e.g. {@code jk_act_fwd_relu}. */
        public String cudaName() { return cudaName; }

        public boolean hasAlpha() { return hasAlpha; }

        public BackwardInput backwardInput() { return backwardInput; }

        /** The code passed to kernels: this kind's index in the X-macro list. */
        public int code() { return ordinal(); }

        /** Looks a kind up by its CUDA name or enum name, case-insensitively ("relu", "GELU_TANH"). */
        public static Kind parse(String name) {
            if (name == null) throw new IllegalArgumentException("activation: name must not be null (use \"linear\" for none)");
            String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
            for (Kind k : values()) if (k.cudaName.equals(n)) return k;
            if (n.equals("swish")) return SILU;
            if (n.equals("linear") || n.equals("none")) return IDENTITY;
            throw new IllegalArgumentException("activation: unknown name '" + name + "'");
        }
    }

    public static final double SELU_ALPHA = 1.6732632423543772;
    public static final double SELU_SCALE = 1.0507009873554805;
    /** PyTorch's default LeakyReLU slope. */
    public static final float LEAKY_RELU_DEFAULT_ALPHA = 0.01f;

    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double GELU_TANH_C = 0.044715;
    private static final double INV_SQRT_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private final Kind kind;
    private final float alpha;

    private Activation(Kind kind, float alpha) {
        this.kind = kind;
        this.alpha = alpha;
    }

    /** An activation of {@code kind}; {@code alpha} is used only by LeakyReLU and ELU, and must be finite. */
    public static Activation of(Kind kind, float alpha) {
        if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
        if (!Float.isFinite(alpha)) throw new IllegalArgumentException("activation alpha must be finite, got " + alpha);
        if (kind == Kind.ELU && alpha < 0) {
            throw new IllegalArgumentException("ELU alpha must be >= 0, got " + alpha);
        }
        return new Activation(kind, kind.hasAlpha ? alpha : 0f);
    }

    /** An activation of {@code kind} with its default α (0.01 for LeakyReLU, 1 for ELU). */
    public static Activation of(Kind kind) {
        if (kind == null) throw new IllegalArgumentException("activation kind must not be null");
        return of(kind, kind == Kind.LEAKY_RELU ? LEAKY_RELU_DEFAULT_ALPHA : kind == Kind.ELU ? 1f : 0f);
    }

    /** Parses "relu", "leaky_relu", "gelu_tanh", … with default α. */
    public static Activation parse(String name) { return of(Kind.parse(name)); }

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
    public static Activation silu() { return of(Kind.SILU); }
    public static Activation relu6() { return of(Kind.RELU6); }
    public static Activation selu() { return of(Kind.SELU); }
    public static Activation softplus() { return of(Kind.SOFTPLUS); }
    public static Activation hardSigmoid() { return of(Kind.HARD_SIGMOID); }

    public Kind kind() { return kind; }

    public float alpha() { return alpha; }

    public boolean isIdentity() { return kind == Kind.IDENTITY; }

    /** f(x), evaluated in double precision. */
    public double apply(double x) {
        switch (kind) {
            case IDENTITY: return x;
            case RELU: return x > 0 ? x : 0.0;
            case LEAKY_RELU: return x > 0 ? x : alpha * x;
            case ELU: return x > 0 ? x : alpha * Math.expm1(x);
            case SIGMOID: return sigmoid(x);
            case TANH: return Math.tanh(x);
            case GELU: return 0.5 * x * (1.0 + erf(x * INV_SQRT_2));
            case GELU_TANH: return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)));
            case SILU: return x * sigmoid(x);
            case RELU6: return Math.min(Math.max(x, 0.0), 6.0);
            case SELU: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
            case SOFTPLUS: return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
            case HARD_SIGMOID: return Math.min(Math.max(x / 6.0 + 0.5, 0.0), 1.0);
            default: throw new AssertionError(kind);
        }
    }

    /** f(x) rounded to float. */
    public float apply(float x) { return (float) apply((double) x); }

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
                for (int i = from; i < to; i++) { float v = x[i]; y[i] = v > 0f ? v : 0f; }
                return;
            case LEAKY_RELU: {
                float a = alpha;
                for (int i = from; i < to; i++) { float v = x[i]; y[i] = v > 0f ? v : a * v; }
                return;
            }
            case RELU6:
                for (int i = from; i < to; i++) y[i] = Math.min(Math.max(x[i], 0f), 6f);
                return;
            default:
                for (int i = from; i < to; i++) y[i] = apply(x[i]);
        }
    }

    /**
     * f′ at the point the kind's {@link BackwardInput} describes: {@code saved} is x for INPUT
     * kinds and y = f(x) for OUTPUT kinds. At kinks (0 for ReLU, 0 and 6 for ReLU6, ±3 for
     * hard-sigmoid) the derivative is taken from the left, as PyTorch does (f′(0) = 0 for ReLU).
     */
    public double derivative(double saved) {
        double x = saved;
        switch (kind) {
            case IDENTITY: return 1.0;
            case RELU: return saved > 0 ? 1.0 : 0.0;
            case LEAKY_RELU: return x > 0 ? 1.0 : alpha;
            case ELU: return x > 0 ? 1.0 : alpha * Math.exp(x);
            case SIGMOID: return saved * (1.0 - saved);
            case TANH: return 1.0 - saved * saved;
            case GELU: return 0.5 * (1.0 + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
            case GELU_TANH: {
                double u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
                double t = Math.tanh(u);
                double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x * x);
                return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
            }
            case SILU: {
                double s = sigmoid(x);
                return s * (1.0 + x * (1.0 - s));
            }
            case RELU6: return x > 0 && x < 6 ? 1.0 : 0.0;
            case SELU: return SELU_SCALE * (x > 0 ? 1.0 : SELU_ALPHA * Math.exp(x));
            case SOFTPLUS: return sigmoid(x);
            case HARD_SIGMOID: return x > -3 && x < 3 ? 1.0 / 6.0 : 0.0;
            default: throw new AssertionError(kind);
        }
    }

    /** dx = dy · f′(saved), rounded to float. */
    public float backward(float saved, float dy) { return (float) (dy * derivative((double) saved)); }

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
        return o instanceof Activation a && a.kind == kind && Float.compare(a.alpha, alpha) == 0;
    }

    @Override public int hashCode() { return kind.hashCode() * 31 + Float.hashCode(alpha); }

    @Override public String toString() {
        return kind.hasAlpha ? kind.cudaName + "(" + alpha + ")" : kind.cudaName;
    }
}
