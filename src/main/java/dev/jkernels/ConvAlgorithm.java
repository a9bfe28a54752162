package dev.jkernels;

/** Which conv2d implementation a kernel backend runs; {@link #AUTO} picks by shape. */
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
     * choice elsewhere. AUTO itself never picks it without a measured device result.
     */
    WINOGRAD,
    /** A 1×1 stride-1 unpadded NHWC convolution as one plain GEMM; AUTO's choice elsewhere. */
    GEMM_1X1
}
