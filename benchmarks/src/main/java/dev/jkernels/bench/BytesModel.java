package dev.jkernels.bench;

/**
 * The arithmetic behind every figure of the report: throughput from a time, and the bytes model of
 * fusing an activation into a convolution (ANCHORS.md, "Fusing the activation").
 *
 * <p>The model: a separate activation pass reads and writes every conv output once, 8 bytes per
 * element in FP32, and is memory-bound, so it costs {@code 8·outputs / copy bandwidth}. Fused into
 * the conv's epilogue it costs (nearly) nothing. The predicted speedup of fusing is therefore
 * {@code (conv + pass) / conv}; with the conv at {@code 2·C·R·S} flops per output the pass adds
 * {@code 8·flopRate / (2·C·R·S·bandwidth)} of the conv time: about 37/(C·R·S) on an H200.
 */
public final class BytesModel {
    private BytesModel() {}

    /** Bytes an element-wise FP32 pass over {@code elements} moves: each read once, written once. */
    public static double elementwiseBytes(long elements) { return 8.0 * elements; }

    /** GB/s (10⁹ bytes per second) for {@code bytes} in {@code ms} milliseconds. */
    public static double gbPerSecond(double bytes, double ms) { return bytes / ms / 1e6; }

    /** TFLOP/s (10¹² per second) for {@code flops} in {@code ms} milliseconds. */
    public static double tflopPerSecond(double flops, double ms) { return flops / ms / 1e9; }

    /** The time in ms a memory-bound pass over {@code elements} takes at {@code copyGbps}. */
    public static double predictedElementwiseMs(long elements, double copyGbps) {
        if (!(copyGbps > 0)) throw new IllegalArgumentException("copy bandwidth must be > 0 GB/s, got " + copyGbps);
        return elementwiseBytes(elements) / (copyGbps * 1e6);
    }

    /**
     * The speedup fusing should give: (conv + predicted separate pass) / conv, with the conv time
     * measured and the pass predicted from the copy bandwidth.
     */
    public static double predictedFusionSpeedup(double convMs, long outputElements, double copyGbps) {
        if (!(convMs > 0)) throw new IllegalArgumentException("conv time must be > 0 ms, got " + convMs);
        return (convMs + predictedElementwiseMs(outputElements, copyGbps)) / convMs;
    }

    /**
     * The separate pass's cost as a share of the conv's, from rates alone: 8 bytes per output at
     * {@code copyGbps} against 2·C·R·S flops per output at {@code tflops}.
     */
    public static double passShareOfConv(int c, int r, int s, double tflops, double copyGbps) {
        double passPerOutput = 8.0 / (copyGbps * 1e9);
        double convPerOutput = 2.0 * c * r * s / (tflops * 1e12);
        return passPerOutput / convPerOutput;
    }

    /** achieved / limit, or null when either is unknown or the limit is not positive. */
    public static Double share(Double achieved, Double limit) {
        if (achieved == null || limit == null || !(limit > 0) || achieved.isNaN()) return null;
        return achieved / limit;
    }
}
