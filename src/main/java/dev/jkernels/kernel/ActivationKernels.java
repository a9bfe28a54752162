package dev.jkernels.kernel;

import dev.jkernels.Activation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The element-wise activation kernels of cuda/elementwise/activation.cu: their names and their
 * launch geometry, computed here once for both launchers.
 *
 * <p>Names: {@code jk_act_<fwd|bwd>_<variant>_<activation>}, variant {@code vec4} (float4 loads
 * with a scalar tail, the default) or {@code scalar} (one float per iteration, the reference): one
 * kernel per activation (memory-bound kernels do not pay for a runtime switch). Arguments
 * {@code (x, y, n, a, b)} forward and {@code (saved, dy, dx, n, a, b)} backward, where a and b are
 * the activation's two parameters (a = {@link Activation#a()}, b = {@link Activation#b()}).
 * Geometry: 256-thread blocks (8 warps: enough to hide latency, small enough for any SM to hold
 * several), one grid-stride pass; the grid covers the work once, capped at {@value #MAX_BLOCKS}
 * blocks (more than a full wave on any GPU here; the loop covers the rest of a larger tensor).
 */
public final class ActivationKernels {
    public static final int BLOCK = 256;
    public static final int MAX_BLOCKS = 8192;

    /** The kernel variants, side by side. */
    public enum Variant {
        /** One float per thread and iteration: the reference. */
        SCALAR,
        /** A float4 per thread and iteration where aligned, scalar tail: the default. */
        VEC4;

        public String cudaName() { return name().toLowerCase(Locale.ROOT); }

        /** Elements one thread handles per loop iteration. */
        int elementsPerIteration() { return this == VEC4 ? 4 : 1; }
    }

    /** The variant {@code -Djkernels.activation.variant=scalar|vec4} selects; vec4 by default. */
    public static Variant configuredVariant() {
        String v = System.getProperty("jkernels.activation.variant", "vec4");
        try {
            return Variant.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("jkernels.activation.variant: expected scalar or vec4, got '" + v + "'");
        }
    }

    private ActivationKernels() {}

    public static String forwardName(Activation.Kind kind, Variant v) {
        return "jk_act_fwd_" + v.cudaName() + "_" + kind.cudaName();
    }

    public static String backwardName(Activation.Kind kind, Variant v) {
        return "jk_act_bwd_" + v.cudaName() + "_" + kind.cudaName();
    }

    /** Every activation kernel name, forward and backward, of every variant. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Activation.Kind k : Activation.Kind.values()) {
            for (Variant v : Variant.values()) {
                names.add(forwardName(k, v));
                names.add(backwardName(k, v));
            }
        }
        return names;
    }

    /** The grid for {@code n} elements: one pass of the grid-stride loop, at least one block. */
    public static Dim3 grid(long n, Variant v) {
        long perBlock = (long) BLOCK * v.elementsPerIteration();
        long blocks = (n + perBlock - 1) / perBlock;
        return Dim3.of((int) Math.max(1, Math.min(blocks, MAX_BLOCKS)));
    }

    /** y = f(x). */
    public static KernelLaunch forward(Activation act, Variant v, DeviceBuffer x, DeviceBuffer y, long n, String op) {
        KernelArgs args = KernelArgs.builder().pointer(x).pointer(y).int64(n).float32(act.a()).float32(act.b()).build();
        return new KernelLaunch(op, forwardName(act.kind(), v), grid(n, v), Dim3.of(BLOCK), 0, args);
    }

    /** PReLU with per-channel slopes (cuda/elementwise/prelu_channels.cu): one kernel, forward and backward. */
    public static final String PRELU_CHANNELS_FORWARD = "jk_prelu_fwd_channels";
    public static final String PRELU_CHANNELS_BACKWARD = "jk_prelu_bwd_channels";

    /**
     * y = PReLU(x) with {@code slopes[(i / inner) % channels]} for element i: inner = the product of
     * the dims after the channel (1 for NHWC and [N, C]).
     */
    public static KernelLaunch preluChannelsForward(DeviceBuffer x, DeviceBuffer y, long n, DeviceBuffer slopes,
                                                    long channels, long inner, String op) {
        KernelArgs args = KernelArgs.builder().pointer(x).pointer(y).int64(n).pointer(slopes).int64(channels).int64(inner).build();
        return new KernelLaunch(op, PRELU_CHANNELS_FORWARD, grid(n, Variant.SCALAR), Dim3.of(BLOCK), 0, args);
    }

    /** dx = dy · PReLU′(x), per-channel slopes as {@link #preluChannelsForward}. */
    public static KernelLaunch preluChannelsBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, long n,
                                                     DeviceBuffer slopes, long channels, long inner, String op) {
        KernelArgs args = KernelArgs.builder().pointer(x).pointer(dy).pointer(dx).int64(n).pointer(slopes).int64(channels)
                .int64(inner).build();
        return new KernelLaunch(op, PRELU_CHANNELS_BACKWARD, grid(n, Variant.SCALAR), Dim3.of(BLOCK), 0, args);
    }

    /** dx = dy · f′(saved). */
    public static KernelLaunch backward(Activation act, Variant v, DeviceBuffer saved, DeviceBuffer dy, DeviceBuffer dx,
                                        long n, String op) {
        KernelArgs args = KernelArgs.builder().pointer(saved).pointer(dy).pointer(dx).int64(n).float32(act.a()).float32(act.b()).build();
        return new KernelLaunch(op, backwardName(act.kind(), v), grid(n, v), Dim3.of(BLOCK), 0, args);
    }
}
