package dev.jkernels.kernel;

import java.util.Locale;

/**
 * The launch the selection chose for one GEMM shape on one device, with the figures it was chosen
 * by: the kernel configuration, its grid (z = the split-K factor), how many blocks fit per SM, how
 * many waves the blocks take, and why. Printable ({@link #toString}); immutable.
 *
 * @param tiles output tiles (blocks per split)
 * @param blocksPerSm blocks of this kernel resident per SM at once (occupancy)
 * @param waves blocks / (blocksPerSm · SMs), the split-K blocks included
 * @param splitK 1, or the number of k-ranges whose partial sums a second kernel reduces in fixed order
 * @param estimate the model's time, in FP32 multiply-adds per SM (only for comparing candidates)
 */
public record GemmPlan(GemmKernels.Config config, int m, int n, int k, Dim3 grid, long tiles, int blocksPerSm, int smCount,
                       double waves, int splitK, double estimate, String reason) {

    public GemmPlan {
        if (config == null) throw new IllegalArgumentException("plan: config must not be null");
        if (splitK < 1) throw new IllegalArgumentException("plan: splitK must be >= 1, got " + splitK);
        if (reason == null || reason.isBlank()) throw new IllegalArgumentException("plan: reason must not be blank");
    }

    /** The share of the last wave's block slots that hold a block (1 when the blocks fill whole waves). */
    public double lastWaveFill() {
        if (waves <= 0) return 0;
        double frac = waves - Math.floor(waves);
        return frac == 0 ? 1 : frac;
    }

    /** Elements of the split-K workspace: splitK · M · N partial sums (0 without split-K). */
    public long workspaceFloats() { return splitK > 1 ? (long) splitK * m * n : 0; }

    @Override public String toString() {
        return String.format(Locale.ROOT,
                "gemm %dx%dx%d -> %s, grid %s, %d tiles x split-K %d, %d blocks/SM x %d SMs, %.2f waves (last %.0f %% full): %s",
                m, n, k, config.cudaName(), grid, tiles, splitK, blocksPerSm, smCount, waves, 100 * lastWaveFill(), reason);
    }
}
