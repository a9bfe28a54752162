package dev.jkernels.kernel;

import java.util.Objects;

/**
 * Everything one kernel launch needs, computed once in Java from the op's spec: the kernel's
 * {@code extern "C"} name, grid, block, dynamic shared memory and arguments. Either launcher runs
 * it unchanged; {@code op} describes the op and its spec for error messages.
 */
public record KernelLaunch(String op, String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
    /** The most threads a CUDA block may have. */
    public static final int MAX_BLOCK_THREADS = 1024;
    /** The most blocks in grid y and z. */
    public static final int MAX_GRID_YZ = 65535;

    public KernelLaunch {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(grid, "grid");
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(args, "args");
        if (block.volume() > MAX_BLOCK_THREADS) {
            throw new IllegalArgumentException(kernel + ": block " + block + " has more than " + MAX_BLOCK_THREADS + " threads");
        }
        if (grid.y() > MAX_GRID_YZ || grid.z() > MAX_GRID_YZ) {
            throw new IllegalArgumentException(kernel + ": grid " + grid + " exceeds " + MAX_GRID_YZ + " in y or z");
        }
        if (sharedBytes < 0) throw new IllegalArgumentException(kernel + ": sharedBytes must be >= 0, got " + sharedBytes);
    }

    @Override public String toString() {
        return op + " [kernel " + kernel + ", grid " + grid + ", block " + block + ", shared " + sharedBytes + " B, args " + args + "]";
    }
}
