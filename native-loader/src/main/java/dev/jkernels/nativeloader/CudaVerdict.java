package dev.jkernels.nativeloader;

/**
 * What {@link CudaProbe} found, once per process. (Fields grow with the probe; being written.)
 *
 * @param cudaUsable whether the CUDA backend can run here
 * @param reason why (or why not), in words
 * @param cublasUsable whether the cuBLAS path can run (false alone when only libcublas.so.12 is missing)
 * @param cublasReason why (or why not)
 */
public record CudaVerdict(boolean cudaUsable, String reason, boolean cublasUsable, String cublasReason) {}
