package dev.jkernels.kernel;

import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Precision;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The second-generation conv2d kernels (issue 9, "conv at GEMM speed"): names, launch geometry and
 * the choice among them, computed here once for both launchers. They sit beside {@link ConvKernels}
 * (the direct and first implicit-GEMM kernels stay as the ladder), take the runtime epilogue
 * ({@link EpilogueArgs}) and map every long dimension onto grid.x (up to 2^31 − 1 blocks), so the
 * emulator and every GPU accept the same shapes.
 *
 * <ul>
 *   <li>{@code jk_conv_igemm_<BM>x<BN>_<nchw|nhwc>}: pipelined implicit GEMM (8×8 per thread,
 *       BK = 16, register-staged double buffering, no gather divisions), filters pre-transformed
 *       to the GEMM's B operand ({@link ConvFilterCache}, once per weight change).</li>
 *   <li>{@code jk_conv_depthwise_<nchw|nhwc>}: groups = C (any multiplier K/C), memory-bound.</li>
 *   <li>{@code jk_conv_winograd_2x2_3x3}: F(2×2, 3×3) for 3×3, stride 1, dilation 1, one group;
 *       selectable by name or {@link ConvAlgorithm#WINOGRAD}, never chosen by AUTO until a device
 *       benchmark shows it faster.</li>
 *   <li>1×1 stride-1 unpadded convolutions as one plain GEMM through {@link GemmKernels} (NHWC:
 *       [N·H·W, C]·[K, C]ᵀ, chosen by AUTO; NCHW only by name, with one image and no bias or
 *       per-channel slopes: there it is [K, C]·[C, H·W] and a per-channel term would be per row,
 *       which the GEMM epilogue does not have).</li>
 * </ul>
 */
public final class ConvFastKernels {
    private ConvFastKernels() {}

    /** A second-generation variant; {@link #byName} finds one by its {@link #cudaName()}. */
    public enum Variant {
        IGEMM_128X128("igemm_128x128", 128, 128, 256),
        IGEMM_128X64("igemm_128x64", 128, 64, 128),
        IGEMM_64X64("igemm_64x64", 64, 64, 64),
        DEPTHWISE("depthwise", 0, 0, 256),
        WINOGRAD_2X2_3X3("winograd_2x2_3x3", 32, 32, 256),
        GEMM_1X1("gemm_1x1", 0, 0, 0),
        /** Tensor cores, TF32 (conv_igemm_tensor_core.cu): the pipelined implicit GEMM's gather, wmma m16n16k8. */
        IGEMM_TF32_128X128("igemm_tf32_128x128", 128, 128, 256, Precision.TF32),
        IGEMM_TF32_128X64("igemm_tf32_128x64", 128, 64, 128, Precision.TF32),
        IGEMM_TF32_64X64("igemm_tf32_64x64", 64, 64, 128, Precision.TF32),
        /** Tensor cores, 3xTF32 (big·big + big·small + small·big). */
        IGEMM_3XTF32_128X128("igemm_3xtf32_128x128", 128, 128, 256, Precision.FP32_3XTF32),
        IGEMM_3XTF32_128X64("igemm_3xtf32_128x64", 128, 64, 128, Precision.FP32_3XTF32),
        IGEMM_3XTF32_64X64("igemm_3xtf32_64x64", 64, 64, 128, Precision.FP32_3XTF32);

        private final String cudaName;
        private final int tilePixels, tileChannels, threads;
        private final Precision precision;

        Variant(String cudaName, int tilePixels, int tileChannels, int threads) {
            this(cudaName, tilePixels, tileChannels, threads, Precision.FP32);
        }

        Variant(String cudaName, int tilePixels, int tileChannels, int threads, Precision precision) {
            this.precision = precision;
            this.cudaName = cudaName;
            this.tilePixels = tilePixels;
            this.tileChannels = tileChannels;
            this.threads = threads;
        }

        public String cudaName() { return cudaName; }

        public boolean isImplicitGemm() { return name().startsWith("IGEMM"); }

        /** The precision this variant computes in: FP32 but for the tensor-core implicit GEMMs. */
        public Precision precision() { return precision; }

        /** The tensor-core implicit GEMMs of {@code precision}, largest tile first. */
        public static List<Variant> tensorCore(Precision precision) {
            List<Variant> out = new ArrayList<>();
            for (Variant v : values()) if (v.isImplicitGemm() && v.precision == precision && precision.usesTensorCores()) out.add(v);
            return out;
        }

        /** The kernel for {@code layout} (GEMM_1X1: the GEMM kernel is GemmKernels' choice). */
        public String kernelName(Layout layout) {
            String l = layout == Layout.NHWC ? "nhwc" : "nchw";
            return switch (this) {
                case WINOGRAD_2X2_3X3 -> "jk_conv_winograd_2x2_3x3";
                case GEMM_1X1 -> "(gemm)";
                default -> "jk_conv_" + cudaName + "_" + l;
            };
        }

        /** Why this variant cannot run {@code g}, or null when it can. */
        public String unsupportedReason(Conv2dGeometry g) {
            switch (this) {
                case DEPTHWISE:
                    if (g.groups() != g.c()) return "depthwise needs groups == C (got groups=" + g.groups() + ", C=" + g.c() + ")";
                    break;
                case WINOGRAD_2X2_3X3:
                    if (g.r() != 3 || g.s() != 3 || g.strideH() != 1 || g.strideW() != 1 || g.dilationH() != 1
                            || g.dilationW() != 1 || g.groups() != 1) {
                        return "Winograd F(2x2,3x3) needs 3x3 filters, stride 1, dilation 1 and groups 1 (got " + g.r() + "x" + g.s()
                                + ", stride " + g.strideH() + "x" + g.strideW() + ", dilation " + g.dilationH() + "x" + g.dilationW()
                                + ", groups " + g.groups() + ")";
                    }
                    long tiles = (long) g.n() * ((g.p() + 1) / 2) * ((g.q() + 1) / 2);
                    if (GemmKernels.ceilDiv(g.k(), tileChannels) * GemmKernels.ceilDiv(tiles, tilePixels) > Integer.MAX_VALUE) {
                        return "N·P·Q/4 = " + tiles + " output tiles need more than 2^31 - 1 blocks";
                    }
                    if (16L * g.c() * g.k() > Integer.MAX_VALUE) return "the transformed filters (16·C·K) pass 2^31 elements";
                    break;
                case GEMM_1X1: {
                    if (g.r() != 1 || g.s() != 1 || g.strideH() != 1 || g.strideW() != 1 || g.groups() != 1
                            || g.padTop() != 0 || g.padBottom() != 0 || g.padLeft() != 0 || g.padRight() != 0) {
                        return "a plain GEMM needs a 1x1 filter, stride 1, no padding and groups 1";
                    }
                    long rows = g.layout() == Layout.NHWC ? (long) g.n() * g.h() * g.w() : (long) g.h() * g.w();
                    if (rows > GemmKernels.MAX_DIM) return "N·H·W = " + rows + " passes the GEMM's " + GemmKernels.MAX_DIM + " rows";
                    if (g.layout() == Layout.NCHW && g.n() != 1) {
                        return "NCHW as one GEMM needs N == 1 (each image is its own [K,C]·[C,HW] product)";
                    }
                    break;
                }
                default: {  // implicit GEMM
                    if (g.r() > MAX_IGEMM_FILTER || g.s() > MAX_IGEMM_FILTER) {
                        return "filters of " + g.r() + "x" + g.s() + " pass the pipelined implicit GEMM's " + MAX_IGEMM_FILTER + "x"
                                + MAX_IGEMM_FILTER + " (its per-row tap mask has 15 bits per axis)";
                    }
                    long span = (long) (g.r() - 1) * g.dilationH(), spanW = (long) (g.s() - 1) * g.dilationW();
                    if (g.h() + span > Integer.MAX_VALUE || g.w() + spanW > Integer.MAX_VALUE) {
                        return "the dilated window (" + (span + 1) + "x" + (spanW + 1) + ") plus the image (" + g.h() + "x" + g.w()
                                + ") passes 2^31 - 1 rows or columns";
                    }
                    long image = (long) g.c() * g.h() * g.w();
                    if (image > Integer.MAX_VALUE) {
                        return "one input image (C·H·W = " + image + ") passes 2^31 elements (the gather's in-image offsets are 32-bit)";
                    }
                    long pixelTiles = GemmKernels.ceilDiv((long) g.n() * g.p() * g.q(), tilePixels);
                    long blocks = pixelTiles * GemmKernels.ceilDiv(g.filtersPerGroup(), tileChannels) * g.groups();
                    if (blocks > Integer.MAX_VALUE) return "the grid needs " + blocks + " blocks (more than 2^31 - 1 in grid.x)";
                    long bElements = (long) g.groups() * g.channelsPerGroup() * g.r() * g.s() * ConvFilterCache.kgPadded(g.filtersPerGroup());
                    if (bElements > Integer.MAX_VALUE) return "the transformed filters pass 2^31 elements";
                    break;
                }
            }
            return null;
        }
    }

    /** The largest R and S of the pipelined implicit GEMM (its row table's tap mask: 15 bits per axis). */
    public static final int MAX_IGEMM_FILTER = 15;

    /** The variant named {@code name} (its cudaName, e.g. "igemm_128x64", or its enum name). */
    public static Variant byName(String name) {
        for (Variant v : Variant.values()) {
            if (v.cudaName.equals(name) || v.name().equals(name.toUpperCase(Locale.ROOT))) return v;
        }
        List<String> names = new ArrayList<>();
        for (Variant v : Variant.values()) names.add(v.cudaName);
        throw new IllegalArgumentException("conv2d variant: unknown name '" + name + "', expected one of " + names);
    }

    /** Every kernel these variants launch: what the build must contain. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Variant v : Variant.values()) {
            if (v == Variant.GEMM_1X1) continue;
            if (v == Variant.WINOGRAD_2X2_3X3) {
                names.add(v.kernelName(Layout.NCHW));
            } else {
                names.add(v.kernelName(Layout.NCHW));
                names.add(v.kernelName(Layout.NHWC));
            }
        }
        names.add(ConvFilterCache.GEMM_B_KERNEL);
        names.add(ConvFilterCache.WINOGRAD_KERNEL);
        return names;
    }

    // ---- selection -----------------------------------------------------------------------------

    /** SMs of the default target (H100/H200: 132) for the wave rule; the device selection of issue 9 can refine it. */
    static final int DEFAULT_SMS = 132;

    /** Output channels per group below which a GEMM tile is mostly empty columns: the direct kernel is used. */
    static final int MIN_GEMM_CHANNELS = 8;

    /** What runs a conv2d, and why: printable like the GEMM selection. */
    public record Selection(Variant variant, ConvKernels.Config legacy, String why) {
        @Override public String toString() {
            String what = variant != null ? variant.cudaName() : legacy.cudaName();
            return what + ": " + why;
        }
    }

    /**
     * The kernel {@code algorithm} runs for {@code g}. AUTO: depthwise convolutions (groups = C) take
     * the depthwise kernel; 1×1 stride-1 unpadded ones a plain GEMM where it applies; fewer than
     * {@value #MIN_GEMM_CHANNELS} output channels per group the direct kernel; otherwise the
     * pipelined implicit GEMM with the largest tile (128×128, 128×64, 64×64) that is at most
     * half empty in channels and still gives a full wave of blocks on {@code sms} SMs, else the
     * smallest. Winograd only when asked for. WINOGRAD, DEPTHWISE and GEMM_1X1 run their kernel
     * where it applies and fall back to AUTO's choice elsewhere; DIRECT and IMPLICIT_GEMM are the
     * first-generation kernels ({@link ConvKernels}).
     *
     * @throws IllegalArgumentException when a named algorithm cannot take the shape
     */
    public static Selection choose(ConvAlgorithm algorithm, Conv2dGeometry g, int sms) {
        Variant forced = configuredOverride();
        if (forced != null && forced.precision() == Precision.FP32 && (algorithm == ConvAlgorithm.AUTO || algorithm == ConvAlgorithm.IMPLICIT_GEMM_PIPELINED)
                && forced.unsupportedReason(g) == null
                && !(forced == Variant.GEMM_1X1 && g.layout() == Layout.NCHW)) {
            return new Selection(forced, null, "forced by -D" + VARIANT_PROPERTY + "=" + forced.cudaName());
        }
        switch (algorithm) {
            case DIRECT:
            case IMPLICIT_GEMM:
                return new Selection(null, ConvKernels.choose(algorithm, g), "asked for " + algorithm);
            case WINOGRAD:
                return preferred(Variant.WINOGRAD_2X2_3X3, g, sms);
            case DEPTHWISE:
                return preferred(Variant.DEPTHWISE, g, sms);
            case GEMM_1X1:
                return preferred(Variant.GEMM_1X1, g, sms);
            case IMPLICIT_GEMM_PIPELINED:
                return named(pipelinedTile(g, sms), g, "asked for IMPLICIT_GEMM_PIPELINED; " + tileWhy(g, sms));
            default:
                break;
        }
        if (Variant.DEPTHWISE.unsupportedReason(g) == null) {
            return new Selection(Variant.DEPTHWISE, null, "groups == C: depthwise (memory-bound)");
        }
        if (g.layout() == Layout.NHWC && Variant.GEMM_1X1.unsupportedReason(g) == null) {
            return new Selection(Variant.GEMM_1X1, null, "1x1, stride 1, no padding, NHWC: one plain GEMM [N·H·W, C]·[K, C]^T");
        }
        if (g.filtersPerGroup() < MIN_GEMM_CHANNELS) {
            return new Selection(null, ConvKernels.Config.DIRECT, "K/groups = " + g.filtersPerGroup() + " < " + MIN_GEMM_CHANNELS
                    + ": too little to reuse for a GEMM tile");
        }
        Variant tile = pipelinedTile(g, sms);
        String why = tile.unsupportedReason(g);
        if (why != null) {
            ConvKernels.Config legacy = ConvKernels.choose(ConvAlgorithm.AUTO, g);
            return new Selection(null, legacy, "the pipelined implicit GEMM cannot (" + why + "): first-generation choice");
        }
        return new Selection(tile, null, tileWhy(g, sms));
    }

    /** The system property that forces one variant (its cudaName) for AUTO, for tuning sweeps. */
    public static final String VARIANT_PROPERTY = "jkernels.conv.variant";

    /**
     * The variant {@code -Djkernels.conv.variant=<cudaName>} forces for AUTO and
     * IMPLICIT_GEMM_PIPELINED wherever it can take the shape (elsewhere the usual choice runs), or
     * null when unset. Read on every call, so a benchmark can sweep the variants in one JVM.
     *
     * @throws IllegalArgumentException when the property names no variant
     */
    public static Variant configuredOverride() {
        String v = System.getProperty(VARIANT_PROPERTY);
        if (v == null || v.isBlank()) return null;
        try {
            return byName(v.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(VARIANT_PROPERTY + ": " + e.getMessage());
        }
    }

    /** {@link #choose(ConvAlgorithm, Conv2dGeometry, int)} on {@value #DEFAULT_SMS} SMs. */
    public static Selection choose(ConvAlgorithm algorithm, Conv2dGeometry g) { return choose(algorithm, g, DEFAULT_SMS); }

    /**
     * WINOGRAD, DEPTHWISE and GEMM_1X1 ask for a specialised kernel where it applies: the variant when
     * it can take {@code g}, else what AUTO runs (the selection says why). Launch a variant by name
     * ({@link #launch}) to have an unsupported shape rejected instead.
     */
    private static Selection preferred(Variant v, Conv2dGeometry g, int sms) {
        String no = v.unsupportedReason(g);
        if (v == Variant.GEMM_1X1 && no == null && g.layout() == Layout.NCHW) {
            no = "NCHW 1x1 as GEMM only through a launch by name (a bias would be per row)";
        }
        if (no == null) return new Selection(v, null, "asked for " + v.cudaName());
        Selection auto = choose(dev.jkernels.ConvAlgorithm.AUTO, g, sms);
        return new Selection(auto.variant(), auto.legacy(), v.cudaName() + " does not apply (" + no + "); as AUTO: " + auto.why());
    }

    private static Selection named(Variant v, Conv2dGeometry g, String why) {
        String no = v.unsupportedReason(g);
        if (no != null) throw new IllegalArgumentException("conv2d " + v.cudaName() + ": " + no + "; use AUTO");
        return new Selection(v, null, why);
    }

    static long blocks(Variant v, Conv2dGeometry g) {
        return GemmKernels.ceilDiv((long) g.n() * g.p() * g.q(), v.tilePixels)
                * GemmKernels.ceilDiv(g.filtersPerGroup(), v.tileChannels) * g.groups();
    }

    static Variant pipelinedTile(Conv2dGeometry g, int sms) {
        int kg = g.filtersPerGroup();
        if (kg > 64 && blocks(Variant.IGEMM_128X128, g) >= sms) return Variant.IGEMM_128X128;
        if (kg > 32 && blocks(Variant.IGEMM_128X64, g) >= sms) return Variant.IGEMM_128X64;
        return Variant.IGEMM_64X64;
    }

    private static String tileWhy(Conv2dGeometry g, int sms) {
        Variant v = pipelinedTile(g, sms);
        return "pipelined implicit GEMM " + v.cudaName().substring(6) + ": K/groups = " + g.filtersPerGroup() + ", "
                + blocks(v, g) + " blocks on " + sms + " SMs (" + String.format(Locale.ROOT, "%.2f", blocks(v, g) / (double) sms)
                + " block-waves)";
    }

    // ---- selection by precision (the tensor cores) ------------------------------------------------

    /**
     * What runs a conv2d in a precision: a {@link Selection}, and whether the input and the filters
     * are first rounded to TF32 ({@code jk_round_tf32}) for an FP32 kernel, so that a TF32 conv the
     * tensor cores do not run is still exactly TF32 arithmetic. {@code precision} is the one that
     * runs ({@code TensorCores.effective}); a GEMM_1X1 selection plans its GEMM in it.
     */
    public record PrecisionSelection(Selection selection, Precision precision, boolean roundInputs) {
        @Override public String toString() {
            return precision + (roundInputs ? " (FP32 kernel on TF32-rounded inputs)" : "") + " " + selection;
        }
    }

    /**
     * The kernel {@code algorithm} runs for {@code g} in {@code precision} on {@code sms} SMs. FP32:
     * {@link #choose(ConvAlgorithm, Conv2dGeometry, int)}. TF32 and FP32_3XTF32 (the device has tensor
     * cores): TENSOR_CORE and AUTO run the tensor-core implicit GEMM with the tile of the FP32 rule
     * (128x128 for K/groups > 64 with a full wave, 128x64 for > 32, else 64x64); AUTO and GEMM_1X1 run a
     * 1x1 stride-1 unpadded NHWC conv as the tensor-core GEMM; AUTO runs depthwise convs (memory-bound),
     * fewer than {@value #MIN_GEMM_CHANNELS} output channels per group, and shapes the implicit GEMM
     * cannot take on the FP32 kernel it would choose for FP32, on TF32-rounded inputs for TF32.
     *
     * @throws IllegalArgumentException when TENSOR_CORE cannot take the shape, or the algorithm cannot run the precision
     */
    public static PrecisionSelection choose(ConvAlgorithm algorithm, Precision precision, Conv2dGeometry g, int sms) {
        if (!algorithm.runs(precision)) {
            throw new IllegalArgumentException("conv2d: algorithm " + algorithm + " cannot run precision " + precision
                    + " (it runs " + algorithm.precisions() + ")");
        }
        if (!precision.usesTensorCores()) return new PrecisionSelection(choose(algorithm, g, sms), precision, false);
        Variant forced = configuredOverride();
        if (forced != null && forced.precision() == precision && forced.unsupportedReason(g) == null
                && (algorithm == ConvAlgorithm.AUTO || algorithm == ConvAlgorithm.TENSOR_CORE)) {
            return new PrecisionSelection(new Selection(forced, null, "forced by -D" + VARIANT_PROPERTY + "=" + forced.cudaName()),
                    precision, false);
        }
        Variant tile = tensorCoreTile(precision, g, sms);
        if (algorithm == ConvAlgorithm.TENSOR_CORE) {
            return new PrecisionSelection(named(tile, g, "asked for TENSOR_CORE " + precision + "; " + tileWhy(tile, g, sms)),
                    precision, false);
        }
        boolean gemm1x1 = g.layout() == Layout.NHWC && Variant.GEMM_1X1.unsupportedReason(g) == null;
        if (algorithm == ConvAlgorithm.GEMM_1X1 && gemm1x1) {
            return new PrecisionSelection(new Selection(Variant.GEMM_1X1, null, "asked for gemm_1x1: the " + precision
                    + " tensor-core GEMM"), precision, false);
        }
        // AUTO (and GEMM_1X1 where it does not apply).
        String simt = null;
        if (Variant.DEPTHWISE.unsupportedReason(g) == null) {
            simt = "groups == C: depthwise is memory-bound, the tensor cores do not pay";
        } else if (gemm1x1) {
            return new PrecisionSelection(new Selection(Variant.GEMM_1X1, null, "1x1, stride 1, no padding, NHWC: one " + precision
                    + " tensor-core GEMM [N·H·W, C]·[K, C]^T"), precision, false);
        } else if (g.filtersPerGroup() < MIN_GEMM_CHANNELS) {
            simt = "K/groups = " + g.filtersPerGroup() + " < " + MIN_GEMM_CHANNELS + ": too little for a tensor-core tile";
        } else if (tile.unsupportedReason(g) != null) {
            simt = "the tensor-core implicit GEMM cannot (" + tile.unsupportedReason(g) + ")";
        }
        if (simt != null) {
            Selection fp32 = choose(ConvAlgorithm.AUTO, g, sms);
            boolean round = precision == Precision.TF32;
            return new PrecisionSelection(new Selection(fp32.variant(), fp32.legacy(), simt + "; the FP32 kernel"
                    + (round ? " on TF32-rounded inputs" : " (FP32 is what 3xTF32 approximates)") + ": " + fp32.why()), precision, round);
        }
        return new PrecisionSelection(new Selection(tile, null, "AUTO " + precision + ": " + tileWhy(tile, g, sms)), precision, false);
    }

    /** The tensor-core tile for {@code g}: the FP32 implicit GEMM's rule, in {@code precision}. */
    static Variant tensorCoreTile(Precision precision, Conv2dGeometry g, int sms) {
        List<Variant> tiles = Variant.tensorCore(precision);  // 128x128, 128x64, 64x64
        int kg = g.filtersPerGroup();
        if (kg > 64 && blocks(tiles.get(0), g) >= sms) return tiles.get(0);
        if (kg > 32 && blocks(tiles.get(1), g) >= sms) return tiles.get(1);
        return tiles.get(2);
    }

    private static String tileWhy(Variant v, Conv2dGeometry g, int sms) {
        return "tensor-core implicit GEMM " + v.cudaName() + ": K/groups = " + g.filtersPerGroup() + ", " + blocks(v, g)
                + " blocks on " + sms + " SMs (" + String.format(Locale.ROOT, "%.2f", blocks(v, g) / (double) sms) + " block-waves)";
    }

    // ---- launches ----------------------------------------------------------------------------

    static final int DEPTHWISE_MAX_BLOCKS = 65535 * 8;

    /**
     * The launch of {@code v} (not GEMM_1X1) computing {@code output = epilogue(conv(input, filters))};
     * {@code prepared} is what {@link ConvFilterCache} made of the filters for {@code v} (the raw
     * filters for DEPTHWISE).
     */
    public static KernelLaunch launch(Variant v, Conv2dGeometry g, DeviceBuffer input, DeviceBuffer prepared,
                                      DeviceBuffer output, EpilogueArgs ep, String op) {
        ConvKernels.checkIndexable(g);
        String why = v.unsupportedReason(g);
        if (why != null) throw new IllegalArgumentException("conv2d " + v.cudaName() + ": " + why);
        if (ep.residualLd() != 0) {
            throw new IllegalArgumentException("conv2d: the epilogue's residualLd must be 0 (the residual has the output's layout), got "
                    + ep.residualLd());
        }
        KernelArgs.Builder args = KernelArgs.builder().pointer(input).pointer(prepared).pointer(output)
                .int32(g.n()).int32(g.c()).int32(g.h()).int32(g.w()).int32(g.k());
        Dim3 grid;
        switch (v) {
            case WINOGRAD_2X2_3X3: {
                int kTiles = (int) GemmKernels.ceilDiv(g.k(), v.tileChannels);
                long tiles = (long) g.n() * ((g.p() + 1) / 2) * ((g.q() + 1) / 2);
                args.int32(g.p()).int32(g.q()).int32(g.padTop()).int32(g.padLeft())
                        .int32(g.layout() == Layout.NHWC ? 1 : 0).int32(kTiles);
                grid = Dim3.of((int) (kTiles * GemmKernels.ceilDiv(tiles, v.tilePixels)));
                break;
            }
            case DEPTHWISE: {
                args.int32(g.r()).int32(g.s()).int32(g.p()).int32(g.q()).int32(g.padTop()).int32(g.padLeft())
                        .int32(g.strideH()).int32(g.strideW()).int32(g.dilationH()).int32(g.dilationW());
                long work;
                if (g.layout() == Layout.NCHW) {
                    work = (long) g.n() * g.k() * GemmKernels.ceilDiv(g.p(), 4) * GemmKernels.ceilDiv(g.q(), 64);
                } else {
                    int quads = (int) GemmKernels.ceilDiv(g.k(), 4);
                    int lanes = Math.min(quads, v.threads);
                    work = GemmKernels.ceilDiv((long) g.n() * g.p() * g.q(), v.threads / lanes) * GemmKernels.ceilDiv(quads, lanes);
                }
                grid = Dim3.of((int) Math.max(1, Math.min(work, DEPTHWISE_MAX_BLOCKS)));
                break;
            }
            case GEMM_1X1:
                throw new IllegalArgumentException("conv2d gemm_1x1 runs as a GEMM: use gemm1x1");
            default: {
                int channelTiles = (int) GemmKernels.ceilDiv(g.filtersPerGroup(), v.tileChannels);
                int pixelTiles = (int) GemmKernels.ceilDiv((long) g.n() * g.p() * g.q(), v.tilePixels);
                args.int32(g.r()).int32(g.s()).int32(g.p()).int32(g.q()).int32(g.padTop()).int32(g.padLeft())
                        .int32(g.strideH()).int32(g.strideW()).int32(g.dilationH()).int32(g.dilationW())
                        .int32(g.groups()).int32(channelTiles).int32(pixelTiles);
                grid = Dim3.of((int) blocks(v, g));
                break;
            }
        }
        args.epilogue(ep);
        return new KernelLaunch(op, v.kernelName(g.layout()), grid, Dim3.of(v.threads), 0, args.build());
    }

    /**
     * A 1×1 stride-1 unpadded convolution as one GEMM: its operands, shape and epilogue, which the
     * backend plans and launches as any GEMM (its device-aware tile and split-K choice).
     */
    public record Gemm1x1(GemmSpec spec, int m, int n, int k, DeviceBuffer a, DeviceBuffer b, EpilogueArgs epilogue) {}

    /**
     * The GEMM of a 1×1 stride-1 unpadded convolution. NHWC: {@code out[N·H·W, K] = in[N·H·W, C] ·
     * filters[K, C]ᵀ} (bias per column = per channel; residual row stride K). NCHW with N = 1 and no
     * bias or slopes: {@code out[K, H·W] = filters[K, C] · in[C, H·W]} (residual row stride H·W).
     */
    public static Gemm1x1 gemm1x1(Conv2dGeometry g, DeviceBuffer input, DeviceBuffer filters, EpilogueArgs ep) {
        String why = Variant.GEMM_1X1.unsupportedReason(g);
        if (why != null) throw new IllegalArgumentException("conv2d gemm_1x1: " + why);
        EpilogueArgs.Builder b = ep.toBuilder();
        if (g.layout() == Layout.NHWC) {
            int m = g.n() * g.h() * g.w(), n = g.k(), k = g.c();
            if (ep.residual() != null) b.residual(ep.residual(), n);
            return new Gemm1x1(GemmSpec.builder().transB(true).build(), m, n, k, input, filters, b.build());
        }
        if (ep.bias() != null || ep.slopes() != null) {
            throw new IllegalArgumentException("conv2d gemm_1x1: NCHW with a bias or per-channel slopes is not one GEMM"
                    + " (they would be per row, the GEMM epilogue's are per column); use AUTO or IMPLICIT_GEMM_PIPELINED");
        }
        int m = g.k(), n = g.h() * g.w(), k = g.c();
        if (ep.residual() != null) b.residual(ep.residual(), n);
        return new Gemm1x1(GemmSpec.builder().build(), m, n, k, filters, input, b.build());
    }
}
