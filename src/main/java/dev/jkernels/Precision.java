package dev.jkernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arithmetic a GEMM or a convolution runs in: an explicit choice, never a silent one.
 *
 * <ul>
 *   <li>{@link #FP32}: IEEE single precision on the CUDA cores (the SIMT kernels); the default.</li>
 *   <li>{@link #TF32}: each input element (A and B; the gathered input and the filters) rounded to
 *       TF32 as {@code __float_to_tf32} does (round to nearest, ties away from zero, 10 mantissa
 *       bits), products accumulated in FP32; on the tensor cores of compute capability 8.0 and newer.
 *       The epilogue (alpha, beta·C, bias, residual, activation) stays FP32. About 3 decimal digits
 *       per input: a relative error near 2^-11 per product.</li>
 *   <li>{@link #FP32_3XTF32}: FP32-level accuracy on the tensor cores: each input split into a TF32
 *       "big" part and a TF32 "small" part, three products (small·big, big·small, big·big) per
 *       multiply-add, as CUTLASS's 3xTF32. Passes the same tolerance as the FP32 kernels.</li>
 * </ul>
 *
 * <p>A spec that leaves its precision unset takes the backend's default for its kind of op, which
 * mirrors PyTorch's two switches: {@link Backend#defaultMatmulPrecision()} (PyTorch:
 * {@code torch.backends.cuda.matmul.allow_tf32}) and {@link Backend#defaultConvPrecision()}
 * ({@code torch.backends.cudnn.allow_tf32}); both are FP32 unless set (docs/precision.md).
 *
 * <p>The CPU backend computes TF32 by rounding its inputs exactly as the GPU does, and
 * FP32_3XTF32 in plain FP32 (which is what 3xTF32 approximates, to within the FP32 tolerance).
 */
public enum Precision {
    FP32,
    TF32,
    FP32_3XTF32;

    /** Whether this precision runs on the tensor cores (compute capability 8.0 and newer) on a GPU. */
    public boolean usesTensorCores() { return this != FP32; }

    /** The lowest compute capability (major) whose tensor cores compute TF32. */
    public static final int MIN_TENSOR_CORE_CC_MAJOR = 8;

    /**
     * Strict parsing of a setting's value: {@code fp32}, {@code tf32}, {@code fp32_3xtf32} (also
     * {@code 3xtf32}), any case, surrounding blanks ignored.
     *
     * @param name the setting's name, for the message
     * @throws IllegalArgumentException for anything else (null included), listing the accepted values
     */
    public static Precision parse(String name, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "fp32": return FP32;
            case "tf32": return TF32;
            case "fp32_3xtf32", "3xtf32": return FP32_3XTF32;
            default:
                throw new IllegalArgumentException(name + ": expected a precision (" + accepted() + "), got '" + value + "'");
        }
    }

    private static String accepted() {
        List<String> out = new ArrayList<>();
        for (Precision p : values()) out.add(p.name().toLowerCase(Locale.ROOT));
        out.add("3xtf32");
        return String.join(", ", out);
    }

    // ---- the settings --------------------------------------------------------------------------------

    /** The backend default for GEMM (Linear): PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}. */
    public static final String MATMUL_PROPERTY = "jkernels.matmul.precision";
    public static final String MATMUL_ENV = "JKERNELS_MATMUL_PRECISION";
    /** The backend default for conv2d: PyTorch's {@code torch.backends.cudnn.allow_tf32}. */
    public static final String CONV_PROPERTY = "jkernels.conv.precision";
    public static final String CONV_ENV = "JKERNELS_CONV_PRECISION";
    /**
     * The opt-in to run FP32 where a tensor-core precision is asked on a device without TF32 tensor
     * cores (compute capability below 8.0) instead of failing; per op, {@code allowPrecisionFallback}
     * on the spec.
     */
    public static final String FALLBACK_PROPERTY = "jkernels.precision.fallback";
    public static final String FALLBACK_ENV = "JKERNELS_PRECISION_FALLBACK";

    /** The configured matmul default: {@value #MATMUL_PROPERTY} or {@value #MATMUL_ENV}, else FP32. */
    public static Precision configuredMatmul() { return configured(MATMUL_PROPERTY, MATMUL_ENV); }

    /** The configured conv default: {@value #CONV_PROPERTY} or {@value #CONV_ENV}, else FP32. */
    public static Precision configuredConv() { return configured(CONV_PROPERTY, CONV_ENV); }

    /** Whether {@value #FALLBACK_PROPERTY} / {@value #FALLBACK_ENV} opts in to the FP32 fallback (default no). */
    public static boolean configuredFallback() { return Settings.flag(FALLBACK_PROPERTY, FALLBACK_ENV, false); }

    private static Precision configured(String property, String env) {
        String v = Settings.raw(property, env);
        if (v == null || v.isBlank()) return FP32;
        String source = System.getProperty(property) != null ? property : env;
        return parse(source, v);
    }
}
