package dev.jkernels.robust.prop;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.testing.ConvCase;
import org.opentest4j.AssertionFailedError;

import java.util.SplittableRandom;

/** Generators (shapes, specs, data with IEEE edge values) and the cross-backend agreement check. */
final class Cases {
    private Cases() {}

    /**
     * Where the backends still differ after issue 13's rule (found by these properties, reported):
     * an infinite dy where f′ underflows to 0 is NaN on the emulator (Inf·0) but ±Inf on the CPU.
     * Those elements are not compared, nor a dy within an ulp-sized f′ of overflow (|dy| > 1e37: one
     * rounding of f′ decides between MAX_VALUE and Inf). Every other dy is.
     */
    static boolean backwardDiffersKnown(float dy) { return !Float.isFinite(dy) || Math.abs(dy) > 1e37f; }

    /** NaN, ±Inf, ±0, subnormals, ±MAX, the smallest normal: what every kernel must carry through. */
    static final float[] EDGES = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL / 3, -Float.MIN_NORMAL / 7, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.MIN_NORMAL};

    /** Sizes with the usual suspects overweighted: 1, primes, one past a tile. */
    private static final int[] SIZES = {1, 1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 47, 64, 65};

    static int size(SplittableRandom r, int max) {
        if (r.nextInt(3) == 0) return 1 + r.nextInt(max);
        int s;
        do { s = SIZES[r.nextInt(SIZES.length)]; } while (s > max);
        return s;
    }

    static float edge(SplittableRandom r) { return EDGES[r.nextInt(EDGES.length)]; }

    /** Uniform in [-1, 1); with probability {@code edgeChance} a few elements are edge values. */
    static float[] data(SplittableRandom r, int n, double edgeChance) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        if (r.nextDouble() < edgeChance) {
            int count = 1 + r.nextInt(Math.max(1, n / 6));
            for (int i = 0; i < count; i++) x[r.nextInt(n)] = edge(r);
        }
        return x;
    }

    /** Mostly edge values: for the element-wise ops. */
    static float[] edgeHeavy(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(4);
            x[i] = pick == 0 ? edge(r) : pick == 1 ? (float) (r.nextGaussian() * 40) : (float) (r.nextDouble() * 12 - 6);
        }
        return x;
    }

    static Activation activation(SplittableRandom r) {
        Activation.Kind[] kinds = Activation.Kind.values();
        Activation.Kind k = kinds[r.nextInt(kinds.length)];
        // Every kind with its default parameters; the slope-like ones also with a random α in [0, 2).
        boolean slope = k == Activation.Kind.LEAKY_RELU || k == Activation.Kind.ELU || k == Activation.Kind.PRELU;
        return slope && r.nextBoolean() ? Activation.of(k, (float) (r.nextDouble() * 2)) : Activation.of(k);
    }

    /** |x| with the non-finite values dropped: the magnitudes FP32 accumulates. */
    static float[] finiteAbs(float[] x) {
        if (x == null) return null;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Float.isFinite(x[i]) ? Math.abs(x[i]) : 0f;
        return y;
    }

    static ConvCase conv(SplittableRandom r) {
        int groups = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
        int c = groups * (1 + r.nextInt(4)), k = groups * (1 + r.nextInt(r.nextBoolean() ? 3 : 12));
        int rr = 1 + r.nextInt(4), ss = 1 + r.nextInt(4);
        int dh = r.nextInt(4) == 0 ? 2 : 1, dw = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
        int h = Math.max(dh * (rr - 1) + 1, 1 + r.nextInt(12)), w = Math.max(dw * (ss - 1) + 1, 1 + r.nextInt(12));
        ConvCase cc = ConvCase.of(1 + r.nextInt(3), c, h, w, k, rr, ss).groups(groups).dilation(dh, dw)
                .stride(1 + r.nextInt(3), 1 + r.nextInt(3)).bias(r.nextBoolean())
                .layout(r.nextBoolean() ? Layout.NCHW : Layout.NHWC).activation(activation(r));
        switch (r.nextInt(3)) {
            case 0 -> cc = cc.same();
            case 1 -> cc = cc.valid();
            default -> cc = cc.explicitPadding(r.nextInt(4), r.nextInt(4), r.nextInt(4), r.nextInt(4));
        }
        return cc.hasOutput() ? cc : cc.valid();
    }

    /**
     * The conv reference with PyTorch's padding semantics: the input is padded with zeros, which are
     * then multiplied like any value (so 0·Inf = NaN), unlike {@link dev.jkernels.testing.Reference#conv2d},
     * which skips padded taps. Identity activation.
     */
    static double[] convZeroPadded(ConvCase cc, float[] in, float[] f, float[] bias) {
        int[] pad = cc.referencePadding();
        int h2 = cc.h() + pad[0] + pad[1], w2 = cc.w() + pad[2] + pad[3];
        float[] padded = new float[cc.n() * cc.c() * h2 * w2];
        boolean nchw = cc.layout() == Layout.NCHW;
        for (int n = 0; n < cc.n(); n++)
            for (int c = 0; c < cc.c(); c++)
                for (int y = 0; y < cc.h(); y++)
                    for (int x = 0; x < cc.w(); x++) {
                        int src = nchw ? ((n * cc.c() + c) * cc.h() + y) * cc.w() + x : ((n * cc.h() + y) * cc.w() + x) * cc.c() + c;
                        int py = y + pad[0], px = x + pad[2];
                        int dst = nchw ? ((n * cc.c() + c) * h2 + py) * w2 + px : ((n * h2 + py) * w2 + px) * cc.c() + c;
                        padded[dst] = in[src];
                    }
        ConvCase valid = new ConvCase(cc.n(), cc.c(), h2, w2, cc.k(), cc.r(), cc.s(), cc.strideH(), cc.strideW(),
                ConvCase.PadMode.EXPLICIT, new int[4], cc.dilationH(), cc.dilationW(), cc.groups(), cc.bias(), cc.layout(),
                Activation.identity());
        return dev.jkernels.testing.Reference.conv2d(valid, padded, f, bias);
    }

    /**
     * CPU and EMULATED agree with each other and with the double reference: {@code pre} is the
     * reference before the activation (raw inputs), {@code scale} the same sum over |finite terms|.
     * NaN before the activation must be NaN after it (as in PyTorch); a value reached through an
     * infinite input must agree between the backends; finite ones are within the FP32 bound of
     * a length-{@code reduction} sum. Where the finite magnitudes approach FP32's range the order of
     * summation decides what overflows, so those elements are not compared.
     */
    static void agree(String what, Activation act, long reduction, double[] pre, double[] scale, float[] cpu, float[] emu) {
        if (cpu.length != pre.length || emu.length != pre.length) {
            throw new AssertionFailedError(what + ": lengths " + cpu.length + ", " + emu.length + ", expected " + pre.length);
        }
        double bound = 1e-5 * Math.sqrt(Math.max(1, reduction)) * 2.5;
        for (int i = 0; i < pre.length; i++) {
            double sc = scale[i];
            if (!(sc < 1e36)) continue;
            float x = cpu[i], y = emu[i];
            String where = what + " element " + i + ": cpu " + x + ", emulated " + y + ", reference before "
                    + act + " " + pre[i];
            if (Double.isNaN(pre[i])) {
                if (!Float.isNaN(x) || !Float.isNaN(y)) throw new AssertionFailedError(where + ": NaN in must give NaN out");
                continue;
            }
            if (Double.isInfinite(pre[i])) {
                if (!(Float.isNaN(x) && Float.isNaN(y)) && !closeElementwise(x, y)) {
                    throw new AssertionFailedError(where + ": the backends disagree on an infinite input");
                }
                continue;
            }
            double post = dev.jkernels.testing.Reference.activation(act, pre[i]);
            double tol = bound * sc + 8e-6 * Math.abs(post) + 1e-30;
            if (!(Math.abs(x - post) <= tol) || !(Math.abs(y - post) <= tol)) {
                throw new AssertionFailedError(where + ", after " + post + ": out of tolerance " + tol + " (scale " + sc + ")");
            }
        }
    }

    /** Equal (same infinity, same zero-ness) or within a few ulps of each other. */
    static boolean closeElementwise(float x, float y) {
        if (x == y) return true;
        if (Float.isNaN(x) || Float.isNaN(y) || Float.isInfinite(x) || Float.isInfinite(y)) return false;
        return Math.abs(x - y) <= 1e-6 + 8e-6 * Math.max(Math.abs(x), Math.abs(y));
    }

    static String backendFree(String message) {
        return message == null ? "" : message.replaceAll("(cpu|emulated|cuda:\\d+)( #\\d+)?", "<backend>");
    }
}
