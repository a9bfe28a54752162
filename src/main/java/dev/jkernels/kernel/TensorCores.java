package dev.jkernels.kernel;

import dev.jkernels.Precision;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which precision runs on a device (pure functions of the asked precision, the fallback opt-in and
 * the {@link DeviceProfile}), and the TF32 rounding kernel.
 *
 * <p>The tensor-core kernels exist in every SASS image of the fatbin, but below compute capability
 * 8.0 their bodies trap (sm_75 has no TF32 MMA): Java never launches them there. A tensor-core
 * precision on such a device is an {@link IllegalStateException} naming the op, the precision and
 * the device, unless the spec or {@value Precision#FALLBACK_PROPERTY} opted in to running FP32
 * instead (logged once per device and precision). The emulator's profile is sm_90 and the emulated
 * driver reports 9.0, so CI runs the tensor-core kernels.
 */
public final class TensorCores {
    private TensorCores() {}

    /** Whether {@code device} has TF32 tensor cores (compute capability 8.0 and newer). */
    public static boolean supported(DeviceProfile device) { return device.ccMajor() >= Precision.MIN_TENSOR_CORE_CC_MAJOR; }

    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    /**
     * The precision {@code op} runs in on {@code device}: {@code asked}, or FP32 when asked is a
     * tensor-core precision, the device has none, and {@code allowFallback}.
     *
     * @throws IllegalStateException when the device cannot run {@code asked} and no fallback was asked for
     */
    public static Precision effective(String op, Precision asked, boolean allowFallback, DeviceProfile device) {
        if (!asked.usesTensorCores() || supported(device)) return asked;
        if (!allowFallback) {
            throw new IllegalStateException(op + ": precision " + asked + " needs TF32 tensor cores (compute capability "
                    + Precision.MIN_TENSOR_CORE_CC_MAJOR + ".0 or newer), but " + device + " is compute capability "
                    + device.ccMajor() + "." + device.ccMinor() + ". Use precision FP32, or opt in to the FP32 fallback with"
                    + " allowPrecisionFallback(true) on the spec or -D" + Precision.FALLBACK_PROPERTY + "=true / "
                    + Precision.FALLBACK_ENV + "=1");
        }
        if (LOGGED.add(device.name() + "/" + asked)) {
            System.getLogger(TensorCores.class.getName()).log(System.Logger.Level.INFO, "jkernels: " + device
                    + " has no TF32 tensor cores; precision " + asked + " runs as FP32 (fallback asked for)");
        }
        return Precision.FP32;
    }

    // ---- the rounding kernel (cuda/elementwise/tf32_round.cu) ------------------------------------------

    /** {@code y[i] = __float_to_tf32(x[i])}: grid-stride, no barrier. */
    public static final String ROUND_KERNEL = "jk_round_tf32";

    static final int ROUND_BLOCK = 256;
    static final int ROUND_MAX_BLOCKS = 8192;

    /** The launch rounding {@code n} floats of {@code x} to TF32 into {@code y} (y may be x). */
    public static KernelLaunch round(DeviceBuffer x, DeviceBuffer y, long n, String op) {
        if (n < 0) throw new IllegalArgumentException("tf32 round: n must be >= 0, got " + n);
        int blocks = (int) Math.max(1, Math.min(ROUND_MAX_BLOCKS, GemmKernels.ceilDiv(n, ROUND_BLOCK)));
        KernelArgs args = KernelArgs.builder().pointer(x).pointer(y).int64(n).build();
        return new KernelLaunch(op, ROUND_KERNEL, Dim3.of(blocks), Dim3.of(ROUND_BLOCK), 0, args);
    }
}
