package dev.jkernels.kernel;

import dev.jkernels.GemmAlgorithm;
import dev.jkernels.Precision;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The choice of a GEMM kernel configuration and split-K factor for a shape on a device: a pure
 * function of (algorithm, M, N, K, device, each kernel's registers and shared memory, the optional
 * table of measured winners) to a printable {@link GemmPlan}.
 *
 * <p>The model: a configuration's blocks run in rounds of (blocks per SM) x (SMs) ("waves"); a
 * round takes the work of one block (BM·BN·K_chunk multiply-adds, tile padding included) times the
 * blocks sharing an SM, divided by the configuration's main-loop efficiency and by a latency-hiding
 * factor that falls below 1 with fewer than {@value #WARPS_TO_HIDE_LATENCY} resident warps per SM. A
 * partial last wave costs a whole round for the SMs it occupies. Split-K cuts K into s ranges
 * (s x more blocks, each 1/s of the work) when the tiles alone fill less than a wave and K is
 * large; its price is the reduction pass over s·M·N partial sums, at the device's
 * multiply-adds-per-byte ratio. The efficiencies are static estimates (the main loops' FFMA share
 * read from sm_90 SASS, lowered for the variants whose loads are serialised); measured winners,
 * when a device run has recorded them, replace the model for their shapes.
 */
public final class GemmSelection {
    private GemmSelection() {}

    /** Resident warps per SM from which the pipelined kernels are taken to hide their latencies. */
    static final int WARPS_TO_HIDE_LATENCY = 8;

    /** Below this many multiply-adds the launch dominates and the simple tiled kernel is as good as any. */
    static final long TINY_MACS = 32L * 32 * 32;

    /** The smallest K range a split-K block gets: below it the reduction costs more than it saves. */
    static final int MIN_SPLIT_K = 256;

    /** Split factors tried. */
    static final int[] SPLITS = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};

    /** The largest split-K workspace, in floats (256 MiB). */
    static final long MAX_WORKSPACE_FLOATS = 1L << 26;

    /**
     * Static main-loop efficiency of each configuration (relative FMA throughput per SM when enough
     * warps are resident): the pipelined kernels' executed-path FFMA share in their sm_90 SASS
     * (benchmarks/results/2026-12-01-static); the older variants' FFMA share discounted for their
     * serialised global loads. Only ratios matter; a measured table overrides them.
     */
    static double efficiency(GemmKernels.Config c) {
        return switch (c) {
            case NAIVE -> 0.03;
            case TILED -> 0.10;
            case REGISTER_BLOCKED_128X128 -> 0.50;
            case REGISTER_BLOCKED_64X64 -> 0.40;
            case WARP_TILED_128X128 -> 0.60;
            case WARP_TILED_128X64 -> 0.55;
            case WARP_TILED_64X64 -> 0.50;
            case PIPELINED_128X128 -> 0.92;
            case PIPELINED_128X64 -> 0.89;
            case PIPELINED_64X64 -> 0.84;
            // Tensor cores, in FP32-FMA units: an H100/H200 SM's dense TF32 rate is about 7.4x its
            // FP32 FMA rate; a wmma kernel fed through shared memory is taken to reach about half of
            // it (static estimate, until a device run records measured winners). 3xTF32 issues three
            // MMAs per product. Only the ratios among one precision's configurations, and against
            // the split-K reduction, matter.
            case TF32_128X128 -> 3.7 * 0.92;
            case TF32_128X64 -> 3.7 * 0.89;
            case TF32_64X64 -> 3.7 * 0.84;
            case TF32X3_128X128 -> 3.7 / 3 * 0.92;
            case TF32X3_128X64 -> 3.7 / 3 * 0.89;
            case TF32X3_64X64 -> 3.7 / 3 * 0.84;
        };
    }

    /**
     * The plan for an M x N x K GEMM.
     *
     * @param footprints registers and shared memory of each configuration's kernel on this device
     * @param winners measured winners for this device family, or null
     * @throws IllegalArgumentException for CUBLAS, or when no configuration of the algorithm can take the shape
     */
    public static GemmPlan plan(GemmAlgorithm algorithm, int m, int n, int k, DeviceProfile device,
                                Function<GemmKernels.Config, KernelFootprint> footprints, MeasuredWinners winners) {
        return plan(algorithm, Precision.FP32, m, n, k, device, footprints, winners);
    }

    /**
     * The plan for an M x N x K GEMM computing in {@code precision} (the precision that runs: see
     * {@link TensorCores#effective}). FP32 chooses among the SIMT kernels as before; TF32 and
     * FP32_3XTF32 among that precision's TENSOR_CORE configurations (AUTO or TENSOR_CORE), by the
     * same wave model and split-K rule.
     *
     * @throws IllegalArgumentException for CUBLAS, for an algorithm that cannot run the precision,
     *     or when no configuration can take the shape
     * @throws IllegalStateException for a tensor-core precision on a device below compute capability 8.0
     */
    public static GemmPlan plan(GemmAlgorithm algorithm, Precision precision, int m, int n, int k, DeviceProfile device,
                                Function<GemmKernels.Config, KernelFootprint> footprints, MeasuredWinners winners) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(precision, "precision");
        if (!algorithm.runs(precision)) {
            throw new IllegalArgumentException("gemm plan: algorithm " + algorithm + " cannot run precision " + precision
                    + " (it runs " + algorithm.precisions() + ")");
        }
        if (precision.usesTensorCores() && !TensorCores.supported(device)) {
            throw new IllegalStateException("gemm plan: precision " + precision + " needs TF32 tensor cores (compute capability "
                    + Precision.MIN_TENSOR_CORE_CC_MAJOR + ".0 or newer); " + device + " is " + device.ccMajor() + "." + device.ccMinor());
        }
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(footprints, "footprints");
        if (m < 1 || n < 1 || k < 0) throw new IllegalArgumentException("gemm plan: M, N must be >= 1 and K >= 0, got " + m + "x" + n + "x" + k);
        if (algorithm == GemmAlgorithm.CUBLAS) {
            throw new IllegalArgumentException("algorithm CUBLAS is cuBLAS, not a hand-written GEMM kernel");
        }
        GemmKernels.Config forced = GemmKernels.configuredOverride();
        if (forced != null && forced.precision() == precision && (algorithm == GemmAlgorithm.AUTO || algorithm == forced.algorithm())
                && forced.fits(m, n)) {
            return evaluate(forced, 1, m, n, k, device, footprints, "forced by -D" + GemmKernels.CONFIG_PROPERTY);
        }
        if (algorithm == GemmAlgorithm.AUTO && winners != null) {
            MeasuredWinners.Winner w = winners.lookup(device.family(), m, n, k);
            if (w != null && w.config().precision() == precision && w.config().fits(m, n)
                    && (w.splitK() == 1 || w.config().supportsSplitK())) {
                GemmPlan p = evaluate(w.config(), w.splitK(), m, n, k, device, footprints,
                        "measured winner for " + device.family() + " (" + winners.source() + ")");
                if (p != null) return p;
            }
        }
        List<GemmKernels.Config> candidates;
        String why;
        if (precision.usesTensorCores()) {
            candidates = GemmKernels.Config.of(GemmAlgorithm.TENSOR_CORE, precision);
            why = algorithm == GemmAlgorithm.AUTO ? "AUTO " + precision : "TENSOR_CORE " + precision;
        } else if (algorithm == GemmAlgorithm.AUTO) {
            if ((long) m * n * k <= TINY_MACS && GemmKernels.Config.TILED.fits(m, n)) {
                return evaluate(GemmKernels.Config.TILED, 1, m, n, k, device, footprints,
                        "tiny problem (" + (long) m * n * k + " multiply-adds): launch-bound, the simple tiled kernel");
            }
            candidates = GemmKernels.Config.of(GemmAlgorithm.PIPELINED);
            why = "AUTO";
        } else {
            candidates = GemmKernels.Config.of(algorithm);
            why = algorithm.name();
        }
        GemmPlan best = null;
        List<String> rejected = new ArrayList<>();
        for (GemmKernels.Config c : candidates) {
            if (!c.fits(m, n)) {
                rejected.add(c.cudaName() + ": its grid needs more than " + KernelLaunch.MAX_GRID_YZ + " blocks in y");
                continue;
            }
            for (int s : SPLITS) {
                if (s > 1 && !splitWorthTrying(c, s, m, n, k, device, footprints)) continue;
                GemmPlan p = evaluate(c, s, m, n, k, device, footprints, "");
                if (p == null) {
                    rejected.add(c.cudaName() + ": does not fit on an SM");
                    break;
                }
                if (best == null || p.estimate() < best.estimate() * (1 - 1e-9)) best = p;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("gemm: no " + (precision.usesTensorCores() ? "TENSOR_CORE " + precision
                    : algorithm == GemmAlgorithm.AUTO ? "PIPELINED" : algorithm)
                    + " configuration can run M=" + m + " N=" + n + " K=" + k + " (" + String.join("; ", rejected) + ")");
        }
        String reason = String.format(Locale.ROOT, "%s: lowest modelled time among %s%s; %d warps/SM resident",
                why, names(candidates), best.splitK() > 1 ? ", split-K because " + best.tiles() + " tiles fill less than a wave" : "",
                best.blocksPerSm() * best.config().block().volume() / 32);
        return new GemmPlan(best.config(), m, n, k, best.grid(), best.tiles(), best.blocksPerSm(), best.smCount(), best.waves(),
                best.splitK(), best.estimate(), reason);
    }

    private static boolean splitWorthTrying(GemmKernels.Config c, int s, int m, int n, int k, DeviceProfile device,
                                            Function<GemmKernels.Config, KernelFootprint> footprints) {
        if (!c.supportsSplitK() || s > KernelLaunch.MAX_GRID_YZ) return false;
        if (k / s < MIN_SPLIT_K) return false;
        if ((long) s * m * n > MAX_WORKSPACE_FLOATS) return false;
        KernelFootprint f = footprints.apply(c);
        int bps = device.blocksPerSm((int) c.block().volume(), f.regsPerThread(), f.smemPerBlock());
        long slots = (long) bps * device.smCount();
        return c.blocks(m, n) < slots;  // split only what fills less than one wave
    }

    /** The plan for one configuration and split, or null when the kernel does not fit on an SM. */
    static GemmPlan evaluate(GemmKernels.Config c, int s, int m, int n, int k, DeviceProfile device,
                             Function<GemmKernels.Config, KernelFootprint> footprints, String reason) {
        KernelFootprint f = footprints.apply(c);
        int threads = (int) c.block().volume();
        int bps = device.blocksPerSm(threads, f.regsPerThread(), f.smemPerBlock());
        if (bps == 0) return null;
        long tiles = c.blocks(m, n);
        long blocks = tiles * s;
        long slots = (long) bps * device.smCount();
        int warps = (threads + 31) / 32;
        long kChunk = s == 1 ? k : GemmKernels.ceilDiv(GemmKernels.ceilDiv(k, GemmKernels.SPLIT_K_GRAIN), s) * GemmKernels.SPLIT_K_GRAIN;
        double work = (double) c.tileM() * c.tileN() * Math.max(1, kChunk);
        long full = blocks / slots, rest = blocks % slots;
        double t = full * roundTime(work, bps, warps, efficiency(c));
        if (rest > 0) t += roundTime(work, (int) GemmKernels.ceilDiv(rest, device.smCount()), warps, efficiency(c));
        if (s > 1) t += 4.0 * m * n * (s + 2) * device.fmaPerByte() / device.smCount();  // s reads, one read of C, one write
        Dim3 grid = c.grid(m, n);
        grid = Dim3.of(grid.x(), grid.y(), s);
        return new GemmPlan(c, m, n, k, grid, tiles, bps, device.smCount(), (double) blocks / slots, s, t,
                reason.isEmpty() ? "candidate" : reason);
    }

    private static double roundTime(double work, int blocksOnSm, int warpsPerBlock, double eff) {
        double hiding = Math.min(1.0, (double) blocksOnSm * warpsPerBlock / WARPS_TO_HIDE_LATENCY);
        return work * blocksOnSm / (eff * hiding);
    }

    private static String names(List<GemmKernels.Config> cs) {
        List<String> out = new ArrayList<>();
        for (GemmKernels.Config c : cs) out.add(c.cudaName());
        return String.join("/", out);
    }
}
