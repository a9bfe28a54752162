package dev.jkernels.kernel;

/**
 * A kernel's per-thread registers and per-block static shared memory, and where the figures come
 * from: {@code cuFuncGetAttribute} on a GPU, the build's ptxas report ({@code jkernels-ptxas.txt})
 * for the emulator, or the figures recorded in {@link GemmKernels.Config} when neither is at hand.
 */
public record KernelFootprint(int regsPerThread, int smemPerBlock, String source) {
    public KernelFootprint {
        if (regsPerThread < 0) throw new IllegalArgumentException("regsPerThread must be >= 0, got " + regsPerThread);
        if (smemPerBlock < 0) throw new IllegalArgumentException("smemPerBlock must be >= 0, got " + smemPerBlock);
        if (source == null || source.isBlank()) throw new IllegalArgumentException("source must not be blank");
    }
}
