package dev.jkernels;

/**
 * Which GEMM implementation a kernel backend runs. {@link #AUTO} picks the best hand-written
 * kernel for the shape; the others select a variant by name, for tests and benchmarks. The CPU
 * backend has one implementation and ignores this (except that it rejects {@link #CUBLAS}).
 */
public enum GemmAlgorithm {
    AUTO,
    /** One thread per output element; the reference kernel. */
    NAIVE,
    /** Shared-memory tiles. */
    TILED,
    /** 2-D register blocking, float4 loads, A tile transposed in shared memory. */
    REGISTER_BLOCKED,
    /** Warp tiling on top of register blocking. */
    WARP_TILED,
    /**
     * Warp tiling with a pipelined loader: all global loads of a k-tile in flight together,
     * register-staged double buffering, conflict-free (swizzled) shared tiles.
     */
    PIPELINED,
    /** cuBLAS SGEMM through JCublas (the baseline; TF32 off). CUDA backend only. */
    CUBLAS
}
