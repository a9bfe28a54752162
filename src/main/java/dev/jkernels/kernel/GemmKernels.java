package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The SGEMM kernels of {@code cuda/gemm}: their names, tile configurations and launch geometry,
 * computed here once for both launchers, and the choice of a kernel for a shape.
 *
 * <p>Names: {@code jk_gemm_<config>} where config is a {@link Config#cudaName()} ({@code naive},
 * {@code tiled}, {@code register_blocked_128x128}, {@code warp_tiled_64x64}, ...): one kernel per
 * tile configuration, whatever the activation. Every kernel takes the same arguments:
 * {@code (M, N, K, A, lda, transA, B, ldb, transB, C, ldc, epilogue)} where the epilogue
 * ({@link EpilogueArgs}, {@code jk::Epilogue} by value) carries alpha, beta, bias, residual and the
 * activation; the grid is {@code (ceil(M/BM), ceil(N/BN))} (M in x, which allows 2³¹ − 1 blocks;
 * N in y, at most 65 535 blocks).
 */
public final class GemmKernels {
    private GemmKernels() {}

    /** A kernel variant with one tile configuration: what is launched. */
    public enum Config {
        /** One thread per output, 32 x 8 blocks. */
        NAIVE(GemmAlgorithm.NAIVE, "naive", 8, 32, Dim3.of(32, 8)),
        /** 16 x 16 shared-memory tiles, one output per thread. */
        TILED(GemmAlgorithm.TILED, "tiled", 16, 16, Dim3.of(16, 16)),
        /** 128 x 128 x 8 block tile, 8 x 8 per thread, 256 threads (Boehm's kernel 6). */
        REGISTER_BLOCKED_128X128(GemmAlgorithm.REGISTER_BLOCKED, "register_blocked_128x128", 128, 128, Dim3.of(256)),
        /** 64 x 64 x 16 block tile, 4 x 4 per thread, 256 threads: 4x the blocks of 128 x 128. */
        REGISTER_BLOCKED_64X64(GemmAlgorithm.REGISTER_BLOCKED, "register_blocked_64x64", 64, 64, Dim3.of(256)),
        /** 128 x 128 x 16, 64 x 64 warp tiles, 8 x 4 per thread, 128 threads (Boehm's kernel 10). */
        WARP_TILED_128X128(GemmAlgorithm.WARP_TILED, "warp_tiled_128x128", 128, 128, Dim3.of(128)),
        /** 128 x 64 x 16, 64 x 32 warp tiles, 8 x 4 per thread, 128 threads. */
        WARP_TILED_128X64(GemmAlgorithm.WARP_TILED, "warp_tiled_128x64", 128, 64, Dim3.of(128)),
        /** 64 x 64 x 16, 32 x 32 warp tiles, 4 x 4 per thread, 128 threads. */
        WARP_TILED_64X64(GemmAlgorithm.WARP_TILED, "warp_tiled_64x64", 64, 64, Dim3.of(128));

        private final GemmAlgorithm algorithm;
        private final String cudaName;
        private final int tileM, tileN;
        private final Dim3 block;

        Config(GemmAlgorithm algorithm, String cudaName, int tileM, int tileN, Dim3 block) {
            this.algorithm = algorithm;
            this.cudaName = cudaName;
            this.tileM = tileM;
            this.tileN = tileN;
            this.block = block;
        }

        public GemmAlgorithm algorithm() { return algorithm; }

        public String cudaName() { return cudaName; }

        /** Rows of C per block. */
        public int tileM() { return tileM; }

        /** Columns of C per block. */
        public int tileN() { return tileN; }

        public Dim3 block() { return block; }

        /** The kernel of this configuration (every activation: the epilogue is a runtime argument). */
        public String kernelName() { return "jk_gemm_" + cudaName; }

        /** Blocks needed for an M x N output (as a long: it can pass 2³¹). */
        public long blocks(int m, int n) { return ceilDiv(m, tileM) * ceilDiv(n, tileN); }

        /** Whether the grid for M x N fits CUDA's limits (y at most 65 535 blocks). */
        public boolean fits(int m, int n) {
            return ceilDiv(n, tileN) <= KernelLaunch.MAX_GRID_YZ && ceilDiv(m, tileM) <= Integer.MAX_VALUE;
        }

        /** The configurations of one algorithm, largest tiles first. */
        public static List<Config> of(GemmAlgorithm algorithm) {
            List<Config> out = new ArrayList<>();
            for (Config c : values()) if (c.algorithm == algorithm) out.add(c);
            return out;
        }
    }

    /**
     * Enough blocks to fill every SM of the targets (an H100/H200 has 132; an A100 108) about once;
     * below this a bigger tile leaves SMs idle, so a smaller configuration is chosen.
     */
    static final long FULL_WAVE_BLOCKS = 128;

    /** Below this many multiply-adds the launch dominates and the simple tiled kernel is as good as any. */
    static final long TINY_MACS = 32L * 32 * 32;

    /** The largest M, N or K the kernels take: int indices with room for one tile past the edge. */
    public static final int MAX_DIM = Integer.MAX_VALUE - 256;

    /** The kernel names of every configuration, and the pass after cuBLAS: what the build must contain. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Config c : Config.values()) names.add(c.kernelName());
        names.add(BIAS_ACTIVATION_KERNEL);
        return names;
    }

    /**
     * The configuration {@code algorithm} runs for an M x N x K problem. {@link GemmAlgorithm#AUTO}:
     * the tiled kernel for tiny problems, else the warp-tiled kernel with the largest tile that
     * still gives a full wave of blocks (128 x 128 for large problems, as in Boehm's worklog).
     *
     * @throws IllegalArgumentException for {@link GemmAlgorithm#CUBLAS} (not a hand-written kernel)
     *     or when no configuration of the algorithm has a grid that fits CUDA's limits
     */
    public static Config choose(GemmAlgorithm algorithm, int m, int n, int k) {
        if (algorithm == GemmAlgorithm.CUBLAS) {
            throw new IllegalArgumentException("algorithm CUBLAS is cuBLAS, not a hand-written GEMM kernel");
        }
        Config forced = configuredOverride();
        if (forced != null && (algorithm == GemmAlgorithm.AUTO || algorithm == forced.algorithm()) && forced.fits(m, n)) {
            return forced;
        }
        if (algorithm == GemmAlgorithm.AUTO) {
            if ((long) m * n * k <= TINY_MACS && Config.TILED.fits(m, n)) return Config.TILED;
            return pickBySize(Config.of(GemmAlgorithm.WARP_TILED), m, n);
        }
        return pickBySize(Config.of(algorithm), m, n);
    }

    /** The system property that forces one configuration (its cudaName), for tile-size tuning runs. */
    public static final String CONFIG_PROPERTY = "jkernels.gemm.config";

    /**
     * The configuration {@code -Djkernels.gemm.config=<cudaName>} forces (for AUTO and for its own
     * algorithm, where its grid fits), or null when the property is unset. Read on every call, so a
     * benchmark can sweep the configurations in one JVM.
     *
     * @throws IllegalArgumentException when the property names no configuration
     */
    public static Config configuredOverride() {
        String v = System.getProperty(CONFIG_PROPERTY);
        if (v == null || v.isBlank()) return null;
        for (Config c : Config.values()) if (c.cudaName.equalsIgnoreCase(v.trim())) return c;
        List<String> names = new ArrayList<>();
        for (Config c : Config.values()) names.add(c.cudaName);
        throw new IllegalArgumentException(CONFIG_PROPERTY + ": expected one of " + names + ", got '" + v + "'");
    }

    /** The largest-tile configuration with a full wave of blocks, else the smallest that fits. */
    private static Config pickBySize(List<Config> configs, int m, int n) {
        Config smallestFitting = null;
        for (Config c : configs) {
            if (!c.fits(m, n)) continue;
            if (c.blocks(m, n) >= FULL_WAVE_BLOCKS) return c;
            smallestFitting = c;
        }
        if (smallestFitting == null) {
            throw new IllegalArgumentException("gemm: N=" + n + " needs more than " + KernelLaunch.MAX_GRID_YZ
                    + " blocks in grid y for every " + configs.get(0).algorithm() + " configuration (M=" + m + ")");
        }
        return smallestFitting;
    }

    /** The epilogue of {@code spec}: its alpha, beta and activation, and {@code bias} (null when the spec has none). */
    public static EpilogueArgs epilogue(GemmSpec spec, DeviceBuffer bias) {
        return EpilogueArgs.builder().alphaBeta(spec.alpha(), spec.beta()).bias(bias).activation(spec.activation()).build();
    }

    /**
     * The launch of {@code config} for {@code C = act(alpha·op(A)·op(B) + beta·C + bias)} on
     * row-major, contiguous tensors: lda, ldb and ldc are their row lengths.
     *
     * @param bias null when the spec has none
     */
    public static KernelLaunch launch(Config config, GemmSpec spec, int m, int n, int k, DeviceBuffer a, DeviceBuffer b,
                                      DeviceBuffer bias, DeviceBuffer c, String op) {
        return launch(config, spec, m, n, k, a, b, c, epilogue(spec, bias), op);
    }

    /**
     * The launch of {@code config} for {@code C = epilogue(op(A)·op(B))} on row-major, contiguous
     * tensors (transposes from {@code spec}; alpha, beta, bias, residual and activation from
     * {@code ep}, which the caller has checked against the shapes).
     */
    public static KernelLaunch launch(Config config, GemmSpec spec, int m, int n, int k, DeviceBuffer a, DeviceBuffer b,
                                      DeviceBuffer c, EpilogueArgs ep, String op) {
        // Row and column indices inside the kernels are int: a tile starting below 2^31 must end below it too.
        if (m > MAX_DIM || n > MAX_DIM || k > MAX_DIM) {
            throw new IllegalArgumentException("gemm: M=" + m + ", N=" + n + ", K=" + k + ": each must be at most " + MAX_DIM
                    + " (the kernels index rows and columns with int)");
        }
        if (!config.fits(m, n)) {
            throw new IllegalArgumentException("gemm: " + config.cudaName() + " cannot cover N=" + n + " (more than "
                    + KernelLaunch.MAX_GRID_YZ + " blocks of " + config.tileN() + " columns); use AUTO or another variant");
        }
        int lda = spec.transA() ? m : k;
        int ldb = spec.transB() ? k : n;
        KernelArgs args = KernelArgs.builder()
                .int32(m).int32(n).int32(k)
                .pointer(a).int32(lda).int32(spec.transA() ? 1 : 0)
                .pointer(b).int32(ldb).int32(spec.transB() ? 1 : 0)
                .pointer(c).int32(n)
                .epilogue(ep)
                .build();
        Dim3 grid = Dim3.of((int) ceilDiv(m, config.tileM()), (int) ceilDiv(n, config.tileN()));
        return new KernelLaunch(op, config.kernelName(), grid, config.block(), 0, args);
    }

    // ---- the bias + activation pass after cuBLAS --------------------------------------------------

    static final int BIAS_ACTIVATION_BLOCK = 256;
    static final int BIAS_ACTIVATION_MAX_BLOCKS = 8192;

    /** The epilogue pass after cuBLAS: {@code C = act(C + bias + residual)}, every activation. */
    public static final String BIAS_ACTIVATION_KERNEL = "jk_gemm_bias_act";

    /** Whether a GEMM without its own epilogue (cuBLAS) needs the bias + activation pass for {@code spec}. */
    public static boolean needsBiasActivationPass(GemmSpec spec) {
        return spec.hasBias() || spec.activation().kind() != Activation.Kind.IDENTITY;
    }

    /** In place on C (M x N, row-major): {@code C = act(C + bias)}; {@code bias} null when the spec has none. */
    public static KernelLaunch biasActivation(GemmSpec spec, int m, int n, DeviceBuffer bias, DeviceBuffer c, String op) {
        return biasActivation(m, n, c, epilogue(spec, bias), op);
    }

    /**
     * In place on C (M x N, row-major): everything of {@code ep} after {@code alpha·acc + beta·C}
     * (which cuBLAS computed): {@code C = act(C + bias + residual)}. ep's alpha and beta are ignored.
     */
    public static KernelLaunch biasActivation(int m, int n, DeviceBuffer c, EpilogueArgs ep, String op) {
        KernelArgs args = KernelArgs.builder().pointer(c).int32(m).int32(n).int32(n).epilogue(ep.withAlphaBeta(1f, 0f)).build();
        long blocks = ceilDiv((long) m * n, BIAS_ACTIVATION_BLOCK);
        Dim3 grid = Dim3.of((int) Math.max(1, Math.min(blocks, BIAS_ACTIVATION_MAX_BLOCKS)));
        return new KernelLaunch(op, BIAS_ACTIVATION_KERNEL, grid, Dim3.of(BIAS_ACTIVATION_BLOCK), 0, args);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
