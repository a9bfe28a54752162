package dev.jkernels.kernel;

import dev.jkernels.Activation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * The Java twin of {@code jk::Epilogue} (cuda/include/jkernels/epilogue.cuh): what every GEMM and
 * conv kernel does between its main loop and its store, passed by value as one kernel parameter of
 * {@value #BYTES} bytes ({@link KernelArgs.Builder#epilogue}). Fixed order:
 * {@code v = alpha·acc (+ beta·C_old) + bias[channel] + residual[element]}, then the activation
 * with parameters (a, b), where a is {@code slopes[channel]} when per-channel slopes are given
 * (PReLU), else {@link #actA()}. "Channel" is the output column in a GEMM, the output channel in
 * a conv. Immutable; validated at construction.
 *
 * <p>The device pointers inside are {@link DeviceBuffer}s until a launcher writes the struct
 * ({@link #toBytes}): each launcher resolves them to its own addresses (JCuda device pointers,
 * emulator host pointers) and rejects buffers it does not own.
 */
public final class EpilogueArgs {
    /** {@code sizeof(jk::Epilogue)}. */
    public static final int BYTES = 64;

    // Field offsets of jk::Epilogue (static_asserts in epilogue.cuh check the same numbers).
    static final int OFF_ALPHA = 0, OFF_BETA = 4, OFF_BIAS = 8, OFF_RESIDUAL = 16, OFF_RESIDUAL_LD = 24, OFF_ACT = 32,
            OFF_ACT_A = 36, OFF_ACT_B = 40, OFF_RESERVED0 = 44, OFF_SLOPES = 48, OFF_RESERVED1 = 56;

    private static final EpilogueArgs IDENTITY = builder().build();

    private final float alpha, beta;
    private final DeviceBuffer bias, residual, slopes;
    private final long residualLd;
    private final int act;
    private final float actA, actB;

    private EpilogueArgs(Builder b) {
        if (b.act < 0 || b.act >= Activation.Kind.values().length) {
            throw new IllegalArgumentException("epilogue: activation code must be in [0, " + Activation.Kind.values().length
                    + ") (an Activation.Kind ordinal), got " + b.act);
        }
        if (b.residualLd < 0) throw new IllegalArgumentException("epilogue: residualLd must be >= 0, got " + b.residualLd);
        if (b.residual == null && b.residualLd != 0) {
            throw new IllegalArgumentException("epilogue: residualLd = " + b.residualLd + " without a residual buffer");
        }
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.bias = b.bias;
        this.residual = b.residual;
        this.residualLd = b.residualLd;
        this.act = b.act;
        this.actA = b.actA;
        this.actB = b.actB;
        this.slopes = b.slopes;
    }

    /** alpha = 1, beta = 0, nothing added, identity activation. */
    public static EpilogueArgs identity() { return IDENTITY; }

    public static Builder builder() { return new Builder(); }

    /** A builder holding this epilogue's values. */
    public Builder toBuilder() {
        Builder b = new Builder().alphaBeta(alpha, beta).bias(bias).activation(act, actA, actB).slopes(slopes);
        if (residual != null) b.residual(residual, residualLd);
        return b;
    }

    /** The same epilogue with other alpha and beta (the pass after cuBLAS uses 1 and 0). */
    public EpilogueArgs withAlphaBeta(float alpha, float beta) { return toBuilder().alphaBeta(alpha, beta).build(); }

    public float alpha() { return alpha; }

    public float beta() { return beta; }

    /** [channels] or null. */
    public DeviceBuffer bias() { return bias; }

    /** Output-shaped or null. */
    public DeviceBuffer residual() { return residual; }

    /** GEMM: the residual's row stride in elements; conv: 0 (the residual has the output's layout). */
    public long residualLd() { return residualLd; }

    /** The activation code: the {@link Activation.Kind} ordinal, the index in {@code JK_ACTIVATIONS}. */
    public int activationCode() { return act; }

    public Activation.Kind activationKind() { return Activation.Kind.values()[act]; }

    public float actA() { return actA; }

    public float actB() { return actB; }

    /** Per-channel slopes (PReLU) or null. */
    public DeviceBuffer slopes() { return slopes; }

    /** Whether the epilogue changes anything after {@code alpha·acc + beta·C} (bias, residual, activation). */
    public boolean hasPostOps() {
        return bias != null || residual != null || slopes != null || act != Activation.Kind.IDENTITY.ordinal();
    }

    /** The buffers inside, for ownership checks: bias, residual, slopes (nulls included). */
    DeviceBuffer[] buffers() { return new DeviceBuffer[] {bias, residual, slopes}; }

    /**
     * The 64 bytes of {@code jk::Epilogue}, little-endian (every CUDA device and x86-64), with each
     * buffer replaced by {@code address.applyAsLong(buffer)} and a null buffer by 0 (nullptr).
     */
    public byte[] toBytes(ToLongFunction<DeviceBuffer> address) {
        Objects.requireNonNull(address, "address");
        ByteBuffer bb = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.putFloat(OFF_ALPHA, alpha);
        bb.putFloat(OFF_BETA, beta);
        bb.putLong(OFF_BIAS, bias == null ? 0L : address.applyAsLong(bias));
        bb.putLong(OFF_RESIDUAL, residual == null ? 0L : address.applyAsLong(residual));
        bb.putLong(OFF_RESIDUAL_LD, residualLd);
        bb.putInt(OFF_ACT, act);
        bb.putFloat(OFF_ACT_A, actA);
        bb.putFloat(OFF_ACT_B, actB);
        bb.putInt(OFF_RESERVED0, 0);
        bb.putLong(OFF_SLOPES, slopes == null ? 0L : address.applyAsLong(slopes));
        bb.putLong(OFF_RESERVED1, 0L);
        return bb.array();
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("epilogue{");
        sb.append("alpha=").append(alpha).append(", beta=").append(beta);
        if (bias != null) sb.append(", bias[").append(bias.bytes()).append(" B]");
        if (residual != null) sb.append(", residual[").append(residual.bytes()).append(" B] ld=").append(residualLd);
        sb.append(", ").append(activationKind().cudaName()).append('(').append(actA).append(", ").append(actB).append(')');
        if (slopes != null) sb.append(", slopes[").append(slopes.bytes()).append(" B]");
        return sb.append('}').toString();
    }

    /** Collects the fields; {@link #build} validates them. Defaults: the identity epilogue. */
    public static final class Builder {
        private float alpha = 1f, beta = 0f;
        private DeviceBuffer bias, residual, slopes;
        private long residualLd;
        private int act = Activation.Kind.IDENTITY.ordinal();
        private float actA, actB;

        private Builder() {}

        public Builder alphaBeta(float alpha, float beta) {
            this.alpha = alpha;
            this.beta = beta;
            return this;
        }

        /** [channels] or null for none. */
        public Builder bias(DeviceBuffer bias) {
            this.bias = bias;
            return this;
        }

        /** Output-shaped residual (or null for none) with its row stride in elements (GEMM) or 0 (conv). */
        public Builder residual(DeviceBuffer residual, long residualLd) {
            this.residual = residual;
            this.residualLd = residualLd;
            return this;
        }

        /**
         * The activation and its parameters as the kernels get them: a = {@link Activation#a()},
         * b = {@link Activation#b()}, and PReLU's per-channel slopes (the tensor's device buffer) when
         * it has them.
         */
        public Builder activation(Activation activation) {
            Objects.requireNonNull(activation, "activation");
            slopes(activation.perChannel() ? KernelBackend.buffer(activation.slopes()) : null);
            return activation(activation.kind().ordinal(), activation.a(), activation.b());
        }

        /** An activation by code (the {@link Activation.Kind} ordinal) with its two parameters. */
        public Builder activation(int code, float a, float b) {
            this.act = code;
            this.actA = a;
            this.actB = b;
            return this;
        }

        /** Per-channel slopes (PReLU), or null: then actA is the one slope. */
        public Builder slopes(DeviceBuffer slopes) {
            this.slopes = slopes;
            return this;
        }

        public EpilogueArgs build() { return new EpilogueArgs(this); }
    }
}
