package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Precision;

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
        NAIVE(GemmAlgorithm.NAIVE, "naive", 8, 32, Dim3.of(32, 8), 32, 0),
        /** 16 x 16 shared-memory tiles, one output per thread. */
        TILED(GemmAlgorithm.TILED, "tiled", 16, 16, Dim3.of(16, 16), 32, 2176),
        /** 128 x 128 x 8 block tile, 8 x 8 per thread, 256 threads (Boehm's kernel 6). */
        REGISTER_BLOCKED_128X128(GemmAlgorithm.REGISTER_BLOCKED, "register_blocked_128x128", 128, 128, Dim3.of(256), 110, 8192),
        /** 64 x 64 x 16 block tile, 4 x 4 per thread, 256 threads: 4x the blocks of 128 x 128. */
        REGISTER_BLOCKED_64X64(GemmAlgorithm.REGISTER_BLOCKED, "register_blocked_64x64", 64, 64, Dim3.of(256), 48, 8192),
        /** 128 x 128 x 16, 64 x 64 warp tiles, 8 x 4 per thread, 128 threads (Boehm's kernel 10). */
        WARP_TILED_128X128(GemmAlgorithm.WARP_TILED, "warp_tiled_128x128", 128, 128, Dim3.of(128), 207, 16384),
        /** 128 x 64 x 16, 64 x 32 warp tiles, 8 x 4 per thread, 128 threads. */
        WARP_TILED_128X64(GemmAlgorithm.WARP_TILED, "warp_tiled_128x64", 128, 64, Dim3.of(128), 128, 12288),
        /** 64 x 64 x 16, 32 x 32 warp tiles, 4 x 4 per thread, 128 threads. */
        WARP_TILED_64X64(GemmAlgorithm.WARP_TILED, "warp_tiled_64x64", 64, 64, Dim3.of(128), 70, 8192),
        /** 128 x 128 x 16, 64 x 64 warp tiles, 8 x 16 per thread, 128 threads, pipelined loader (gemm_pipelined.cu). */
        PIPELINED_128X128(GemmAlgorithm.PIPELINED, "pipelined_128x128", 128, 128, Dim3.of(128), 255, 32768),
        /** 128 x 64 x 16, 64 x 32 warp tiles, 8 x 8 per thread, 128 threads, pipelined. */
        PIPELINED_128X64(GemmAlgorithm.PIPELINED, "pipelined_128x64", 128, 64, Dim3.of(128), 168, 24576),
        /** 64 x 64 x 16, 32 x 32 warp tiles, 4 x 8 per thread, 128 threads, pipelined. */
        PIPELINED_64X64(GemmAlgorithm.PIPELINED, "pipelined_64x64", 64, 64, Dim3.of(128), 127, 16384),
        /**
         * Tensor cores, TF32 (gemm_tensor_core.cu): 128 x 128 block tile, 8 warps of 64 x 32 (4 x 2
         * m16n16k8 fragments each), 256 threads; inputs converted with __float_to_tf32. The
         * tensor-core footprints: sm_90 ptxas (benchmarks/results/2026-12-01-static/gemm-tensor-core.md).
         */
        TF32_128X128(GemmAlgorithm.TENSOR_CORE, Precision.TF32, "tf32_128x128", 128, 128, Dim3.of(256), 128, 40960),
        /** Tensor cores, TF32: 128 x 64, 4 warps of 64 x 32, 128 threads. */
        TF32_128X64(GemmAlgorithm.TENSOR_CORE, Precision.TF32, "tf32_128x64", 128, 64, Dim3.of(128), 162, 30720),
        /** Tensor cores, TF32: 64 x 64, 4 warps of 32 x 32, 128 threads. */
        TF32_64X64(GemmAlgorithm.TENSOR_CORE, Precision.TF32, "tf32_64x64", 64, 64, Dim3.of(128), 114, 20480),
        /** Tensor cores, 3xTF32 (big·big + big·small + small·big): 128 x 128, 256 threads. */
        TF32X3_128X128(GemmAlgorithm.TENSOR_CORE, Precision.FP32_3XTF32, "3xtf32_128x128", 128, 128, Dim3.of(256), 162, 40960),
        /** Tensor cores, 3xTF32: 128 x 64, 128 threads. */
        TF32X3_128X64(GemmAlgorithm.TENSOR_CORE, Precision.FP32_3XTF32, "3xtf32_128x64", 128, 64, Dim3.of(128), 175, 30720),
        /** Tensor cores, 3xTF32: 64 x 64, 128 threads. */
        TF32X3_64X64(GemmAlgorithm.TENSOR_CORE, Precision.FP32_3XTF32, "3xtf32_64x64", 64, 64, Dim3.of(128), 125, 20480);

        private final GemmAlgorithm algorithm;
        private final Precision precision;
        private final String cudaName;
        private final int tileM, tileN;
        private final Dim3 block;
        private final KernelFootprint nominal;

        Config(GemmAlgorithm algorithm, String cudaName, int tileM, int tileN, Dim3 block, int regs, int smem) {
            this(algorithm, Precision.FP32, cudaName, tileM, tileN, block, regs, smem);
        }

        Config(GemmAlgorithm algorithm, Precision precision, String cudaName, int tileM, int tileN, Dim3 block, int regs, int smem) {
            this.algorithm = algorithm;
            this.precision = precision;
            this.cudaName = cudaName;
            this.tileM = tileM;
            this.tileN = tileN;
            this.block = block;
            this.nominal = new KernelFootprint(regs, smem, "nominal (sm_90 ptxas, nvcc 13.0)");
        }

        /** Registers and static shared memory of this kernel as ptxas reported them for sm_90 (nvcc 13.0). */
        public KernelFootprint nominalFootprint() { return nominal; }

        /** Whether the kernel can compute a k-range per grid z into a split-K workspace. */
        public boolean supportsSplitK() { return algorithm == GemmAlgorithm.PIPELINED || algorithm == GemmAlgorithm.TENSOR_CORE; }

        /** The precision this kernel computes in (FP32 for every SIMT kernel). */
        public Precision precision() { return precision; }

        /** The configuration named {@code cudaName} (case-insensitive). */
        public static java.util.Optional<Config> byName(String cudaName) {
            for (Config c : values()) if (c.cudaName.equalsIgnoreCase(cudaName.trim())) return java.util.Optional.of(c);
            return java.util.Optional.empty();
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

        /**
         * Whether the kernel reads its tile from either grid orientation (block_tile in
         * gemm_common.cuh), so that the dimension with more tiles can take grid x.
         */
        public boolean swapsGrid() { return algorithm == GemmAlgorithm.PIPELINED || algorithm == GemmAlgorithm.TENSOR_CORE; }

        /** Whether the grid for M x N fits CUDA's limits (x at most 2³¹ − 1 blocks, y at most 65 535). */
        public boolean fits(int m, int n) {
            long tm = ceilDiv(m, tileM), tn = ceilDiv(n, tileN);
            if (swapsGrid()) return Math.min(tm, tn) <= KernelLaunch.MAX_GRID_YZ && Math.max(tm, tn) <= Integer.MAX_VALUE;
            return tn <= KernelLaunch.MAX_GRID_YZ && tm <= Integer.MAX_VALUE;
        }

        /** The grid for M x N: M tiles in x and N tiles in y, or swapped (when the kernel can) if N has more tiles. */
        public Dim3 grid(int m, int n) {
            long tm = ceilDiv(m, tileM), tn = ceilDiv(n, tileN);
            if (swapsGrid() && tn > tm) return Dim3.of((int) tn, (int) tm);
            return Dim3.of((int) tm, (int) tn);
        }

        /** The configurations of one algorithm, largest tiles first. */
        public static List<Config> of(GemmAlgorithm algorithm) {
            List<Config> out = new ArrayList<>();
            for (Config c : values()) if (c.algorithm == algorithm) out.add(c);
            return out;
        }

        /** The configurations of one algorithm computing in {@code precision}, largest tiles first. */
        public static List<Config> of(GemmAlgorithm algorithm, Precision precision) {
            List<Config> out = new ArrayList<>();
            for (Config c : values()) if (c.algorithm == algorithm && c.precision == precision) out.add(c);
            return out;
        }
    }

    /** The largest M, N or K the kernels take: int indices with room for one tile past the edge. */
    public static final int MAX_DIM = Integer.MAX_VALUE - 256;

    /** Split-K ranges are whole k-tiles of the pipelined kernels (BK = 16); the tensor-core kernels use the same grain. */
    static final int SPLIT_K_GRAIN = 16;

    /** The kernel names of every configuration, the pass after cuBLAS and the split-K reduction. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Config c : Config.values()) names.add(c.kernelName());
        names.add(BIAS_ACTIVATION_KERNEL);
        names.add(SPLIT_K_REDUCE_KERNEL);
        return names;
    }

    /**
     * The configuration {@code algorithm} runs for an M x N x K problem on the nominal device
     * ({@link DeviceProfile#nominal()}, the kernels' recorded footprints): {@link GemmSelection#plan}'s
     * choice. Backends plan with their own device.
     *
     * @throws IllegalArgumentException for {@link GemmAlgorithm#CUBLAS} (not a hand-written kernel)
     *     or when no configuration of the algorithm has a grid that fits CUDA's limits
     */
    public static Config choose(GemmAlgorithm algorithm, int m, int n, int k) {
        return GemmSelection.plan(algorithm, m, n, k, DeviceProfile.nominal(), Config::nominalFootprint, null).config();
    }

    /** As {@link #choose(GemmAlgorithm, int, int, int)} for {@code precision} (TF32, FP32_3XTF32: a TENSOR_CORE configuration). */
    public static Config choose(GemmAlgorithm algorithm, Precision precision, int m, int n, int k) {
        return GemmSelection.plan(algorithm, precision, m, n, k, DeviceProfile.nominal(), Config::nominalFootprint, null).config();
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
        Config c0 = Config.byName(v).orElse(null);
        if (c0 != null) return c0;
        List<String> names = new ArrayList<>();
        for (Config c : Config.values()) names.add(c.cudaName);
        throw new IllegalArgumentException(CONFIG_PROPERTY + ": expected one of " + names + ", got '" + v + "'");
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
            throw new IllegalArgumentException("gemm: " + config.cudaName() + " cannot cover M=" + m + " x N=" + n + " (more than "
                    + KernelLaunch.MAX_GRID_YZ + " blocks of " + config.tileN() + " columns in grid y); use AUTO or another variant");
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
        return new KernelLaunch(op, config.kernelName(), config.grid(m, n), config.block(), 0, args);
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
        return new KernelLaunch(op, BIAS_ACTIVATION_KERNEL, rowPassGrid(m, n), Dim3.of(BIAS_ACTIVATION_BLOCK), 0, args);
    }

    /**
     * The grid of the row passes (bias + activation, split-K reduction): y walks the rows (at most
     * 65 535 blocks, grid-stride beyond), x each row's columns four per thread, the whole grid at
     * most {@value #BIAS_ACTIVATION_MAX_BLOCKS} blocks (a few waves on any GPU; the loops cover the rest).
     */
    static Dim3 rowPassGrid(int m, int n) {
        long x = Math.max(1, ceilDiv(n, 4L * BIAS_ACTIVATION_BLOCK));
        x = Math.min(x, BIAS_ACTIVATION_MAX_BLOCKS);
        long y = Math.max(1, Math.min(m, Math.min(KernelLaunch.MAX_GRID_YZ, BIAS_ACTIVATION_MAX_BLOCKS / x)));
        return Dim3.of((int) x, (int) y);
    }

    // ---- split-K ----------------------------------------------------------------------------------

    /** The deterministic split-K reduction: C = epilogue(sum of the partial sums, in order z = 0, 1, ...). */
    public static final String SPLIT_K_REDUCE_KERNEL = "jk_gemm_splitk_reduce";

    /**
     * The launches of {@code plan} for {@code C = epilogue(op(A)·op(B))}: one launch, or with split-K
     * the partial GEMM into {@code workspace} ({@link GemmPlan#workspaceFloats()} floats; the
     * identity epilogue, grid z = the split) and the reduction that applies {@code ep}.
     *
     * @param workspace null unless {@code plan.splitK() > 1}
     */
    public static List<KernelLaunch> launches(GemmPlan plan, GemmSpec spec, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c,
                                              EpilogueArgs ep, DeviceBuffer workspace, String op) {
        int m = plan.m(), n = plan.n(), k = plan.k();
        if (plan.splitK() == 1) return List.of(launch(plan.config(), spec, m, n, k, a, b, c, ep, op + " [" + plan + "]"));
        if (!plan.config().supportsSplitK()) throw new IllegalArgumentException(plan.config().cudaName() + " has no split-K");
        if (workspace == null || workspace.bytes() < plan.workspaceFloats() * Float.BYTES) {
            throw new IllegalArgumentException("gemm split-K " + plan.splitK() + ": the workspace must hold " + plan.workspaceFloats()
                    + " floats, got " + (workspace == null ? "none" : workspace.bytes() / Float.BYTES));
        }
        KernelLaunch partial = launch(plan.config(), spec, m, n, k, a, b, workspace, EpilogueArgs.identity(),
                op + " (split-K partial sums) [" + plan + "]");
        partial = new KernelLaunch(partial.op(), partial.kernel(), plan.grid(), partial.block(), 0, partial.args());
        KernelArgs args = KernelArgs.builder().pointer(workspace).int32(plan.splitK()).int32(m).int32(n).pointer(c).int32(n)
                .epilogue(ep).build();
        KernelLaunch reduce = new KernelLaunch(op + " (split-K reduction of " + plan.splitK() + " slices)", SPLIT_K_REDUCE_KERNEL,
                rowPassGrid(m, n), Dim3.of(BIAS_ACTIVATION_BLOCK), 0, args);
        return List.of(partial, reduce);
    }

    // ---- helpers ----------------------------------------------------------------------------------


    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
