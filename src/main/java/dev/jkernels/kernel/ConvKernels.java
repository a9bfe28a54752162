package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Layout;

import java.util.ArrayList;
import java.util.List;

/**
 * The conv2d kernels of {@code cuda/conv}: names, tile configurations and launch geometry, computed
 * here once for both launchers, and the choice of a kernel for a shape.
 *
 * <p>Names: {@code jk_conv_<config>}, config {@code direct}, {@code implicit_gemm_128x64} or
 * {@code implicit_gemm_64x32}: one kernel per tile configuration, whatever the activation. All take
 * the same arguments: {@code (input, filters, output, N, C, H, W, K, R, S, P, Q, padTop, padLeft,
 * strideH, strideW, dilationH, dilationW, groups, layout, epilogue)} with layout 0 for NCHW and 1
 * for NHWC; the epilogue ({@link EpilogueArgs}) carries the bias, the residual (in the output's
 * layout) and the fused activation (identity for a plain conv2d).
 */
public final class ConvKernels {
    private ConvKernels() {}

    /** A kernel variant with one tile configuration. */
    public enum Config {
        /** One thread per output element, 256-thread blocks, grid-stride. */
        DIRECT(ConvAlgorithm.DIRECT, "direct", 0, 0, 256),
        /** Implicit GEMM, 128 pixels x 64 channels per block, 8 x 4 per thread. */
        IMPLICIT_GEMM_128X64(ConvAlgorithm.IMPLICIT_GEMM, "implicit_gemm_128x64", 128, 64, 256),
        /** Implicit GEMM, 64 pixels x 32 channels per block, 4 x 4 per thread (small channel counts). */
        IMPLICIT_GEMM_64X32(ConvAlgorithm.IMPLICIT_GEMM, "implicit_gemm_64x32", 64, 32, 128);

        private final ConvAlgorithm algorithm;
        private final String cudaName;
        private final int tilePixels, tileChannels, threads;

        Config(ConvAlgorithm algorithm, String cudaName, int tilePixels, int tileChannels, int threads) {
            this.algorithm = algorithm;
            this.cudaName = cudaName;
            this.tilePixels = tilePixels;
            this.tileChannels = tileChannels;
            this.threads = threads;
        }

        public ConvAlgorithm algorithm() { return algorithm; }

        public String cudaName() { return cudaName; }

        public int threads() { return threads; }

        /** The kernel of this configuration (every activation: the epilogue is a runtime argument). */
        public String kernelName() { return "jk_conv_" + cudaName; }

        /** Why this configuration cannot run {@code g}, or null when it can. */
        public String unsupportedReason(Conv2dGeometry g) {
            if (algorithm != ConvAlgorithm.IMPLICIT_GEMM) return null;
            if (g.groups() > KernelLaunch.MAX_GRID_YZ) {
                return "groups=" + g.groups() + " exceeds the " + KernelLaunch.MAX_GRID_YZ + " blocks of grid z";
            }
            String reach = sentinelReach(g);
            if (reach != null) return reach;
            if ((long) g.p() * g.q() > Integer.MAX_VALUE) {
                return "an output image of " + g.p() + "x" + g.q() + " pixels passes 2^31";
            }
            long pixelBlocks = GemmKernels.ceilDiv((long) g.n() * g.p() * g.q(), tilePixels);
            if (pixelBlocks > Integer.MAX_VALUE) return "N·P·Q = " + (long) g.n() * g.p() * g.q() + " needs too many blocks";
            if (GemmKernels.ceilDiv(g.filtersPerGroup(), tileChannels) > KernelLaunch.MAX_GRID_YZ) {
                return "K/groups = " + g.filtersPerGroup() + " needs more than " + KernelLaunch.MAX_GRID_YZ + " blocks in grid y";
            }
            return null;
        }
    }

    /** The first implicit-GEMM kernel marks "no such tap" with an input row of -2^29 (kOutside). */
    static final long SENTINEL_RANGE = 1L << 29;

    /**
     * Why the first implicit-GEMM kernel's tap marker could alias a real input row for {@code g}
     * (issue 12: a window start or end at ±2^29 rows or columns from the image), or null. The
     * pipelined implicit GEMM has no such marker.
     */
    static String sentinelReach(Conv2dGeometry g) {
        long reachH = Math.max((long) g.padTop(), (long) (g.p() - 1) * g.strideH() - g.padTop())
                + (long) (g.r() - 1) * g.dilationH() + g.h();
        long reachW = Math.max((long) g.padLeft(), (long) (g.q() - 1) * g.strideW() - g.padLeft())
                + (long) (g.s() - 1) * g.dilationW() + g.w();
        if (reachH < SENTINEL_RANGE && reachW < SENTINEL_RANGE) return null;
        return "stride/padding/dilation put filter windows up to " + Math.max(reachH, reachW)
                + " rows or columns from the image, past the 2^29 range of this kernel's no-such-tap marker"
                + " (it would alias a real input row); IMPLICIT_GEMM_PIPELINED and DIRECT take it";
    }

    /** Direct kernel: blocks per launch at most this; the grid-stride loop covers the rest. */
    static final int DIRECT_MAX_BLOCKS = 65535 * 8;

    /** Output channels per group below which the implicit GEMM has too little to reuse (depthwise, small groups). */
    static final int MIN_GEMM_CHANNELS = 8;

    /** Output channels per group from which the 128 x 64 tile is not mostly empty columns. */
    static final int WIDE_TILE_CHANNELS = 48;

    /** Blocks that fill every SM of the targets about once (132 on an H100/H200, 108 on an A100). */
    static final long FULL_WAVE_BLOCKS = 128;

    /** Every conv kernel name: what the build must contain. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Config c : Config.values()) names.add(c.kernelName());
        return names;
    }

    /**
     * The configuration {@code algorithm} runs for {@code g}. {@link ConvAlgorithm#AUTO}: the direct
     * kernel when there is little to reuse (fewer than {@value #MIN_GEMM_CHANNELS} output channels
     * per group: depthwise and small groups) or the implicit GEMM cannot take the shape; else the
     * implicit GEMM, 128 x 64 for wide layers (at least {@value #WIDE_TILE_CHANNELS} channels per group)
     * that still give a full wave of such blocks, 64 x 32 otherwise.
     *
     * @throws IllegalArgumentException when IMPLICIT_GEMM is asked for a shape it cannot take
     */
    public static Config choose(ConvAlgorithm algorithm, Conv2dGeometry g) {
        long pixels = (long) g.n() * g.p() * g.q();
        long wideBlocks = GemmKernels.ceilDiv(pixels, Config.IMPLICIT_GEMM_128X64.tilePixels)
                * GemmKernels.ceilDiv(g.filtersPerGroup(), Config.IMPLICIT_GEMM_128X64.tileChannels) * g.groups();
        Config gemm = g.filtersPerGroup() >= WIDE_TILE_CHANNELS && wideBlocks >= FULL_WAVE_BLOCKS
                ? Config.IMPLICIT_GEMM_128X64 : Config.IMPLICIT_GEMM_64X32;
        switch (algorithm) {
            case DIRECT:
                return Config.DIRECT;
            case IMPLICIT_GEMM: {
                String why = gemm.unsupportedReason(g);
                if (why != null) throw new IllegalArgumentException("conv2d IMPLICIT_GEMM: " + why + "; use DIRECT or AUTO");
                return gemm;
            }
            default:
                if (g.filtersPerGroup() < MIN_GEMM_CHANNELS || gemm.unsupportedReason(g) != null) return Config.DIRECT;
                return gemm;
        }
    }

    /** Rejects shapes whose per-filter reduction C/groups·R·S does not fit the kernels' int indexing. */
    static void checkIndexable(Conv2dGeometry g) {
        long reduction = (long) g.channelsPerGroup() * g.r() * g.s();
        if (reduction > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("filters: C/groups·R·S = " + reduction + " passes 2^31 - 1 (one filter is too large)");
        }
    }

    /** The epilogue of a conv2d: alpha 1, beta 0 (the output is overwritten), {@code bias} (or null), the activation. */
    public static EpilogueArgs epilogue(Activation activation, DeviceBuffer bias) {
        return EpilogueArgs.builder().bias(bias).activation(activation).build();
    }

    /**
     * The launch of {@code config} computing {@code output = act(conv(input, filters) + bias)}.
     *
     * @param bias null when the spec has none
     */
    public static KernelLaunch launch(Config config, Conv2dGeometry g, Activation activation, DeviceBuffer input,
                                      DeviceBuffer filters, DeviceBuffer bias, DeviceBuffer output, String op) {
        return launch(config, g, input, filters, output, epilogue(activation, bias), op);
    }

    /**
     * The launch of {@code config} computing {@code output = epilogue(conv(input, filters))}; the
     * caller has checked the epilogue's buffers against the shapes (bias [K], residual shaped and laid
     * out as the output, residualLd 0).
     */
    public static KernelLaunch launch(Config config, Conv2dGeometry g, DeviceBuffer input, DeviceBuffer filters,
                                      DeviceBuffer output, EpilogueArgs ep, String op) {
        checkIndexable(g);
        String why = config.unsupportedReason(g);
        if (why != null) throw new IllegalArgumentException("conv2d " + config.cudaName() + ": " + why);
        if (ep.residualLd() != 0) {
            throw new IllegalArgumentException("conv2d: the epilogue's residualLd must be 0 (the residual has the output's layout), got "
                    + ep.residualLd());
        }
        KernelArgs args = KernelArgs.builder().pointer(input).pointer(filters).pointer(output)
                .int32(g.n()).int32(g.c()).int32(g.h()).int32(g.w())
                .int32(g.k()).int32(g.r()).int32(g.s()).int32(g.p()).int32(g.q())
                .int32(g.padTop()).int32(g.padLeft())
                .int32(g.strideH()).int32(g.strideW()).int32(g.dilationH()).int32(g.dilationW())
                .int32(g.groups()).int32(g.layout() == Layout.NHWC ? 1 : 0)
                .epilogue(ep)
                .build();
        Dim3 grid;
        if (config == Config.DIRECT) {
            long outputs = (long) g.n() * g.k() * g.p() * g.q();
            long blocks = GemmKernels.ceilDiv(outputs, config.threads);
            grid = Dim3.of((int) Math.max(1, Math.min(blocks, DIRECT_MAX_BLOCKS)));
        } else {
            long pixels = (long) g.n() * g.p() * g.q();
            grid = Dim3.of((int) GemmKernels.ceilDiv(pixels, config.tilePixels),
                    (int) GemmKernels.ceilDiv(g.filtersPerGroup(), config.tileChannels), g.groups());
        }
        return new KernelLaunch(op, config.kernelName(), grid, Dim3.of(config.threads), 0, args);
    }
}
