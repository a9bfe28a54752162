package dev.jkernels;

/**
 * Which GEMM implementation a kernel backend runs. {@link #AUTO} picks the best hand-written
 * kernel for the shape; the others select a variant by name, for tests and benchmarks. The CPU
 * backend has one implementation and ignores this (except that it rejects {@link #CUBLAS}).
 *
 * <p>Each algorithm runs some {@link Precision}s ({@link #runs}): the SIMT variants FP32 only,
 * {@link #TENSOR_CORE} TF32 and FP32_3XTF32, {@link #CUBLAS} FP32 and TF32 (its tensor-op math),
 * AUTO all three: FP32 picks among the PIPELINED configurations (TILED for tiny problems), TF32 and
 * FP32_3XTF32 among the TENSOR_CORE ones, by the same model and split-K rule. Every backend checks
 * this, the CPU backend included, so a spec means the same everywhere.
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
    /**
     * The tensor-core kernels ({@code nvcuda::wmma} m16n16k8 TF32 fragments, pipelined shared-memory
     * tiles, 128x128 / 128x64 / 64x64): TF32 or FP32_3XTF32, compute capability 8.0 and newer.
     */
    TENSOR_CORE,
    /**
     * cuBLAS SGEMM through JCublas (the baseline): FP32 with TF32 off, or TF32 through
     * {@code CUBLAS_TF32_TENSOR_OP_MATH}. CUDA backend only.
     */
    CUBLAS;

    /** Whether this algorithm can compute in {@code precision}. */
    public boolean runs(Precision precision) {
        return switch (this) {
            case AUTO -> true;
            case TENSOR_CORE -> precision.usesTensorCores();
            case CUBLAS -> precision != Precision.FP32_3XTF32;
            default -> precision == Precision.FP32;
        };
    }

    /** The precisions this algorithm runs, for messages. */
    public java.util.List<Precision> precisions() {
        java.util.List<Precision> out = new java.util.ArrayList<>();
        for (Precision p : Precision.values()) if (runs(p)) out.add(p);
        return out;
    }

    /** The named algorithm for {@code precision} that AUTO chooses among: PIPELINED for FP32, TENSOR_CORE otherwise. */
    public static GemmAlgorithm forPrecision(Precision precision) {
        return precision.usesTensorCores() ? TENSOR_CORE : PIPELINED;
    }
}
