package dev.jkernels;

/**
 * An immutable GEMM description: {@code C = act(alpha·op(A)·op(B) + beta·C + bias)}, with
 * op(X) = X or Xᵀ. A is {@code [M, K]} ({@code [K, M]} when transposed), B is {@code [K, N]}
 * ({@code [N, K]} when transposed), C is {@code [M, N]}, bias (when present) is {@code [N]}, added
 * to every row. The order is fixed: accumulate, alpha/beta, bias, activation, store.
 *
 * <p>{@link #precision()}: the arithmetic of the products ({@link Precision}); unset, the backend's
 * matmul default ({@link Backend#defaultMatmulPrecision()}). An algorithm that cannot run the
 * precision is rejected here when both are given, and by the backend when the precision is its default.
 */
public final class GemmSpec {
    private final boolean transA;
    private final boolean transB;
    private final float alpha;
    private final float beta;
    private final boolean bias;
    private final Activation activation;
    private final GemmAlgorithm algorithm;
    private final Precision precision;         // null: the backend's matmul default
    private final boolean precisionFallback;

    private GemmSpec(Builder b) {
        if (!Float.isFinite(b.alpha)) throw new IllegalArgumentException("alpha must be finite, got " + b.alpha);
        if (!Float.isFinite(b.beta)) throw new IllegalArgumentException("beta must be finite, got " + b.beta);
        if (b.activation == null) throw new IllegalArgumentException("activation must not be null (use Activation.identity())");
        if (b.algorithm == null) throw new IllegalArgumentException("algorithm must not be null (use GemmAlgorithm.AUTO)");
        if (b.precision != null && !b.algorithm.runs(b.precision)) {
            throw new IllegalArgumentException("precision: algorithm " + b.algorithm + " cannot run " + b.precision
                    + " (it runs " + b.algorithm.precisions() + "); use AUTO or " + GemmAlgorithm.forPrecision(b.precision));
        }
        this.precision = b.precision;
        this.precisionFallback = b.precisionFallback;
        this.transA = b.transA;
        this.transB = b.transB;
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.bias = b.bias;
        this.activation = b.activation;
        this.algorithm = b.algorithm;
    }

    /** C = A·B: no transposes, alpha 1, beta 0, no bias, identity. */
    public static GemmSpec plain() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().transA(transA).transB(transB).alpha(alpha).beta(beta).bias(bias)
                .activation(activation).algorithm(algorithm).precision(precision).allowPrecisionFallback(precisionFallback);
    }

    public boolean transA() { return transA; }
    public boolean transB() { return transB; }
    public float alpha() { return alpha; }
    public float beta() { return beta; }
    public boolean hasBias() { return bias; }
    public Activation activation() { return activation; }
    public GemmAlgorithm algorithm() { return algorithm; }

    /** The precision asked for, or empty: then the backend's matmul default applies. */
    public java.util.Optional<Precision> precision() { return java.util.Optional.ofNullable(precision); }

    /**
     * Whether a tensor-core precision may run as FP32 on a device without TF32 tensor cores
     * (compute capability below 8.0) instead of failing; false unless asked (or set by
     * {@value Precision#FALLBACK_PROPERTY}).
     */
    public boolean allowsPrecisionFallback() { return precisionFallback; }

    /** The expected shape of A for M and K. */
    public int[] shapeA(int m, int k) { return transA ? new int[] {k, m} : new int[] {m, k}; }

    /** The expected shape of B for K and N. */
    public int[] shapeB(int k, int n) { return transB ? new int[] {n, k} : new int[] {k, n}; }

    @Override public String toString() {
        return "GemmSpec{transA=" + transA + ", transB=" + transB + ", alpha=" + alpha + ", beta=" + beta
                + ", bias=" + bias + ", activation=" + activation + ", algorithm=" + algorithm
                + ", precision=" + (precision == null ? "default" : precision) + (precisionFallback ? " (fallback allowed)" : "") + "}";
    }

    public static final class Builder {
        private boolean transA;
        private boolean transB;
        private float alpha = 1f;
        private float beta = 0f;
        private boolean bias;
        private Activation activation = Activation.identity();
        private GemmAlgorithm algorithm = GemmAlgorithm.AUTO;
        private Precision precision;
        private boolean precisionFallback;

        public Builder transA(boolean v) { transA = v; return this; }
        public Builder transB(boolean v) { transB = v; return this; }
        public Builder alpha(float v) { alpha = v; return this; }
        public Builder beta(float v) { beta = v; return this; }
        /** Whether a bias vector of length N is passed and added to every row. */
        public Builder bias(boolean v) { bias = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder algorithm(GemmAlgorithm v) { algorithm = v; return this; }
        /** The precision of the products; null leaves it to the backend's matmul default. */
        public Builder precision(Precision v) { precision = v; return this; }
        /** Opt in to FP32 where the device has no TF32 tensor cores (else that fails). */
        public Builder allowPrecisionFallback(boolean v) { precisionFallback = v; return this; }
        public GemmSpec build() { return new GemmSpec(this); }
    }
}
