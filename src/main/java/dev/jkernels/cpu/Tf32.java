package dev.jkernels.cpu;

/**
 * TF32 rounding exactly as the GPU's {@code __float_to_tf32} ({@code cvt.rna.tf32.f32}): round to
 * nearest, ties away from zero, to 10 mantissa bits (the low 13 bits of the FP32 pattern become
 * zero). The exponent keeps all 8 bits, so subnormals round like normals and a finite value next to
 * {@link Float#MAX_VALUE} may round to infinity; ±Inf stays ±Inf and NaN stays NaN (its pattern
 * untouched). Tested bit for bit against the CUDA kernel {@code jk_round_tf32} on the emulator.
 *
 * <p>The CPU backend's TF32 GEMM and conv2d round A and B (the input and the filters) with this and
 * then run the FP32 kernels: the same products a tensor core forms, accumulated in FP32.
 */
public final class Tf32 {
    private Tf32() {}

    /** Mantissa bits TF32 drops from FP32's 23. */
    static final int DROPPED_BITS = 13;
    private static final int HALF = 1 << (DROPPED_BITS - 1);
    private static final int MASK = ~((1 << DROPPED_BITS) - 1);

    /** {@code x} rounded to TF32 (round to nearest, ties away from zero). */
    public static float round(float x) {
        int u = Float.floatToRawIntBits(x);
        if ((u & 0x7f80_0000) == 0x7f80_0000) return x;  // Inf and NaN (any payload) as they are
        // Sign and magnitude are separate, so adding half an ulp of TF32 to the magnitude bits and
        // truncating rounds ties away from zero; a carry out of the mantissa bumps the exponent (up
        // to Inf), which is the correct result.
        return Float.intBitsToFloat((u + HALF) & MASK);
    }

    /** Rounds {@code src[from, to)} into {@code dst[from, to)} ({@code dst} may be {@code src}). */
    public static void round(float[] src, float[] dst, int from, int to) {
        for (int i = from; i < to; i++) dst[i] = round(src[i]);
    }
}
