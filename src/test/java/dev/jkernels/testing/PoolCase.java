package dev.jkernels.testing;

import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Pool2dSpec;

/**
 * One pooling test case: the spec under test and, independently, what the reference needs (mode,
 * kernel, stride, padding as given, ceil mode...). Output sizes are recomputed by {@link CnnReference}
 * with PyTorch's formula, not by {@link Pool2dSpec#geometry}.
 */
public record PoolCase(String mode, boolean max, int n, int c, int h, int w, int kh, int kw, int sh, int sw,
                       int dh, int dw, String padMode, int[] pads, boolean ceil, boolean includePad, int outH, int outW,
                       Layout layout) {

    public static PoolCase max(int n, int c, int h, int w, int kh, int kw) {
        return new PoolCase("window", true, n, c, h, w, kh, kw, kh, kw, 1, 1, "explicit", new int[4], false, false, 0, 0, Layout.NCHW);
    }

    public static PoolCase avg(int n, int c, int h, int w, int kh, int kw) {
        return new PoolCase("window", false, n, c, h, w, kh, kw, kh, kw, 1, 1, "explicit", new int[4], false, true, 0, 0, Layout.NCHW);
    }

    public static PoolCase global(boolean max, int n, int c, int h, int w) {
        return new PoolCase("global", max, n, c, h, w, 0, 0, 1, 1, 1, 1, "explicit", new int[4], false, false, 1, 1, Layout.NCHW);
    }

    public static PoolCase adaptive(boolean max, int n, int c, int h, int w, int oh, int ow) {
        return new PoolCase("adaptive", max, n, c, h, w, 0, 0, 1, 1, 1, 1, "explicit", new int[4], false, false, oh, ow, Layout.NCHW);
    }

    public PoolCase stride(int a, int b) { return new PoolCase(mode, max, n, c, h, w, kh, kw, a, b, dh, dw, padMode, pads, ceil, includePad, outH, outW, layout); }
    public PoolCase dilation(int a, int b) { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, a, b, padMode, pads, ceil, includePad, outH, outW, layout); }
    public PoolCase pad(int t, int b, int l, int r) { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, dh, dw, "explicit", new int[] {t, b, l, r}, ceil, includePad, outH, outW, layout); }
    public PoolCase same() { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, dh, dw, "same", new int[4], ceil, includePad, outH, outW, layout); }
    public PoolCase ceil(boolean x) { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, dh, dw, padMode, pads, x, includePad, outH, outW, layout); }
    public PoolCase includePad(boolean x) { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, dh, dw, padMode, pads, ceil, x, outH, outW, layout); }
    public PoolCase layout(Layout l) { return new PoolCase(mode, max, n, c, h, w, kh, kw, sh, sw, dh, dw, padMode, pads, ceil, includePad, outH, outW, l); }

    public Pool2dSpec spec() {
        switch (mode) {
            case "global": return max ? Pool2dSpec.globalMax(layout) : Pool2dSpec.globalAvg(layout);
            case "adaptive": return max ? Pool2dSpec.adaptiveMax(outH, outW, layout) : Pool2dSpec.adaptiveAvg(outH, outW, layout);
            default: {
                Pool2dSpec.Builder b = max ? Pool2dSpec.max(kh, kw) : Pool2dSpec.avg(kh, kw);
                b.stride(sh, sw).dilation(dh, dw).ceilMode(ceil).countIncludePad(includePad).layout(layout);
                b.padding(padMode.equals("same") ? Padding.same() : Padding.of(pads[0], pads[1], pads[2], pads[3]));
                return b.build();
            }
        }
    }

    public int[] inputDims() { return layout == Layout.NCHW ? new int[] {n, c, h, w} : new int[] {n, h, w, c}; }

    public int inputSize() { return n * c * h * w; }

    @Override public String toString() {
        String s = (max ? "max " : "avg ") + mode + " " + n + "x" + c + "x" + h + "x" + w;
        if (mode.equals("adaptive")) s += " to " + outH + "x" + outW;
        if (mode.equals("window")) {
            s += " k" + kh + "x" + kw + " s" + sh + "x" + sw + (dh * dw != 1 ? " d" + dh + "x" + dw : "")
                    + (padMode.equals("same") ? " same" : " pad" + java.util.Arrays.toString(pads)) + (ceil ? " ceil" : "")
                    + (max ? "" : includePad ? " incl" : " excl");
        }
        return s + " " + layout;
    }
}
