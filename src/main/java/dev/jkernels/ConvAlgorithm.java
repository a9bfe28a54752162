package dev.jkernels;

/**
 * Which conv2d implementation a kernel backend runs; {@link #AUTO} picks by shape and precision.
 *
 * <p>Each algorithm runs some {@link Precision}s ({@link #runs}): the SIMT kernels FP32 only,
 * {@link #TENSOR_CORE} TF32 and FP32_3XTF32, AUTO and GEMM_1X1 (a GEMM, planned with the precision)
 * all three. AUTO with TF32 or FP32_3XTF32 runs the tensor-core implicit GEMM, or for a 1x1 NHWC conv
 * the tensor-core GEMM; where the tensor cores do not pay (depthwise, fewer than 8 output channels
 * per group) or cannot take the shape, it runs the FP32 kernel AUTO would run, on inputs rounded to
 * TF32 for TF32 (so the result is still exactly TF32 arithmetic) and as they are for FP32_3XTF32
 * (FP32 is what 3xTF32 approximates). The plan says which.
 */
public enum ConvAlgorithm {
    AUTO,
    /** One thread per output element, loops over C·R·S: the reference kernel. */
    DIRECT,
    /** Implicit GEMM: im2col tiles gathered on the fly into shared memory, nothing materialised. */
    IMPLICIT_GEMM,
    /** Implicit GEMM with the pipelined loader, 8×8 per thread, pre-transformed filters (tile by shape). */
    IMPLICIT_GEMM_PIPELINED,
    /** The depthwise kernel where groups == C (any channel multiplier); AUTO's choice elsewhere. */
    DEPTHWISE,
    /**
     * Winograd F(2×2, 3×3) where it applies (3×3 filters, stride 1, dilation 1, groups 1); AUTO's
     * choice elsewhere. AUTO itself never picks it without a measured device result. Like every
     * Winograd convolution (cuDNN's, oneDNN's) it transforms input tiles by sums and differences
     * before any product, so an infinite input gives NaN (Inf − Inf) where the exact result is ±Inf;
     * NaN in still gives NaN out.
     */
    WINOGRAD,
    /** A 1×1 stride-1 unpadded NHWC convolution as one plain GEMM; AUTO's choice elsewhere. */
    GEMM_1X1,
    /**
     * The tensor-core implicit GEMM ({@code nvcuda::wmma} TF32 fragments on the pipelined loader,
     * pre-transformed filters): TF32 or FP32_3XTF32, compute capability 8.0 and newer.
     */
    TENSOR_CORE;

    /** Whether this algorithm can compute in {@code precision}. */
    public boolean runs(Precision precision) {
        return switch (this) {
            case AUTO, GEMM_1X1 -> true;
            case TENSOR_CORE -> precision.usesTensorCores();
            default -> precision == Precision.FP32;
        };
    }

    /** The precisions this algorithm runs, for messages. */
    public java.util.List<Precision> precisions() {
        java.util.List<Precision> out = new java.util.ArrayList<>();
        for (Precision p : Precision.values()) if (runs(p)) out.add(p);
        return out;
    }

    /** The named algorithm for {@code precision}: IMPLICIT_GEMM_PIPELINED for FP32, TENSOR_CORE otherwise. */
    public static ConvAlgorithm forPrecision(Precision precision) {
        return precision.usesTensorCores() ? TENSOR_CORE : IMPLICIT_GEMM_PIPELINED;
    }
}
