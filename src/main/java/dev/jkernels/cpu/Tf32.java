package dev.jkernels.cpu;

/**
 * TF32 rounding exactly as the GPU's {@code __float_to_tf32} ({@code cvt.rna.tf32.f32}, as ptxas
 * emits it for sm_80 to sm_90: {@code FSETP.GEU |x|, +INF; @!P IADD x, 0x1000; LOP3 x & 0xFFFFE000}):
 * a finite x is rounded to nearest, ties away from zero, to 10 mantissa bits; then the low 13 bits of
 * every pattern are cleared, Inf and NaN included. The exponent keeps all 8 bits, so subnormals round
 * like normals and a finite value next to {@link Float#MAX_VALUE} may round to infinity; ±Inf stays
 * ±Inf; a NaN keeps its sign and top payload bits (a quiet NaN, Java's {@link Float#NaN} included,
 * stays NaN), and a NaN whose payload lies only in the low 13 bits becomes ±Inf, as on the GPU.
 * Tested bit for bit against the CUDA kernel {@code jk_round_tf32} on the emulator.
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
        // Sign and magnitude are separate, so adding half an ulp of TF32 to the magnitude bits and
        // truncating rounds ties away from zero; a carry out of the mantissa bumps the exponent (up
        // to Inf), which is the correct result. Inf and NaN are only masked, as the GPU does.
        if ((u & 0x7f80_0000) != 0x7f80_0000) u += HALF;
        return Float.intBitsToFloat(u & MASK);
    }

    /** Rounds {@code src[from, to)} into {@code dst[from, to)} ({@code dst} may be {@code src}). */
    public static void round(float[] src, float[] dst, int from, int to) {
        for (int i = from; i < to; i++) dst[i] = round(src[i]);
    }
}
