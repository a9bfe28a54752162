package dev.jkernels;

/** Which conv2d implementation a kernel backend runs; {@link #AUTO} picks by shape. */
public enum ConvAlgorithm {
    AUTO,
    /** One thread per output element, loops over C·R·S: the reference kernel. */
    DIRECT,
    /** Implicit GEMM: im2col tiles gathered on the fly into shared memory, nothing materialised. */
    IMPLICIT_GEMM
}
