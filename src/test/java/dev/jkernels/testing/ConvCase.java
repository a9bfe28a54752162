package dev.jkernels.testing;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;

/**
 * One conv2d test case. Padding and output size are resolved here, independently of
 * {@link Padding#resolve} and {@code Conv2dSpec.geometry}, so the test also checks those.
 */
public record ConvCase(int n, int c, int h, int w, int k, int r, int s,
                       int strideH, int strideW, PadMode padMode, int[] pads,
                       int dilationH, int dilationW, int groups, boolean bias, Layout layout, Activation activation) {

    public enum PadMode { EXPLICIT, SAME, VALID }

    /** A plain 1-group, stride-1, VALID, NCHW, identity case of these sizes. */
    public static ConvCase of(int n, int c, int h, int w, int k, int r, int s) {
        return new ConvCase(n, c, h, w, k, r, s, 1, 1, PadMode.VALID, new int[4], 1, 1, 1, false, Layout.NCHW,
                Activation.identity());
    }

    public ConvCase stride(int sh, int sw) { return new ConvCase(n, c, h, w, k, r, s, sh, sw, padMode, pads, dilationH, dilationW, groups, bias, layout, activation); }
    public ConvCase explicitPadding(int top, int bottom, int left, int right) {
        return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, PadMode.EXPLICIT, new int[] {top, bottom, left, right},
                dilationH, dilationW, groups, bias, layout, activation);
    }
    public ConvCase same() { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, PadMode.SAME, new int[4], dilationH, dilationW, groups, bias, layout, activation); }
    public ConvCase valid() { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, PadMode.VALID, new int[4], dilationH, dilationW, groups, bias, layout, activation); }
    public ConvCase dilation(int dh, int dw) { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, padMode, pads, dh, dw, groups, bias, layout, activation); }
    public ConvCase groups(int g) { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, padMode, pads, dilationH, dilationW, g, bias, layout, activation); }
    public ConvCase bias(boolean b) { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, padMode, pads, dilationH, dilationW, groups, b, layout, activation); }
    public ConvCase layout(Layout l) { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, padMode, pads, dilationH, dilationW, groups, bias, l, activation); }
    public ConvCase activation(Activation a) { return new ConvCase(n, c, h, w, k, r, s, strideH, strideW, padMode, pads, dilationH, dilationW, groups, bias, layout, a); }

    public Conv2dSpec spec() {
        Padding p = switch (padMode) {
            case SAME -> Padding.same();
            case VALID -> Padding.valid();
            case EXPLICIT -> Padding.of(pads[0], pads[1], pads[2], pads[3]);
        };
        return Conv2dSpec.builder().stride(strideH, strideW).padding(p).dilation(dilationH, dilationW)
                .groups(groups).bias(bias).layout(layout).build();
    }

    /** {top, bottom, left, right}; SAME as TensorFlow: out = ⌈in/stride⌉, the odd pixel goes bottom/right. */
    public int[] referencePadding() {
        switch (padMode) {
            case EXPLICIT: return pads.clone();
            case VALID: return new int[4];
            default: {
                int outH = (h + strideH - 1) / strideH, outW = (w + strideW - 1) / strideW;
                int totalH = Math.max((outH - 1) * strideH + dilationH * (r - 1) + 1 - h, 0);
                int totalW = Math.max((outW - 1) * strideW + dilationW * (s - 1) + 1 - w, 0);
                return new int[] {totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2};
            }
        }
    }

    public int referenceP() {
        int[] p = referencePadding();
        return Math.floorDiv(h + p[0] + p[1] - dilationH * (r - 1) - 1, strideH) + 1;
    }

    public int referenceQ() {
        int[] p = referencePadding();
        return Math.floorDiv(w + p[2] + p[3] - dilationW * (s - 1) - 1, strideW) + 1;
    }

    public int[] inputDims() { return layout == Layout.NCHW ? new int[] {n, c, h, w} : new int[] {n, h, w, c}; }
    public int[] filterDims() { return new int[] {k, c / groups, r, s}; }
    public int[] outputDims() {
        return layout == Layout.NCHW ? new int[] {n, k, referenceP(), referenceQ()} : new int[] {n, referenceP(), referenceQ(), k};
    }
    public int inputSize() { return n * c * h * w; }
    public int filterSize() { return k * (c / groups) * r * s; }
    public long reductionLength() { return (long) (c / groups) * r * s; }

    /** True when the output has at least one pixel (cases that would be empty are not generated). */
    public boolean hasOutput() { return referenceP() >= 1 && referenceQ() >= 1; }

    @Override public String toString() {
        String pad = switch (padMode) {
            case SAME -> "same";
            case VALID -> "valid";
            case EXPLICIT -> "pad[" + pads[0] + "," + pads[1] + "," + pads[2] + "," + pads[3] + "]";
        };
        return layout + " " + n + "x" + c + "x" + h + "x" + w + " k" + k + " " + r + "x" + s
                + " s" + strideH + (strideW != strideH ? "," + strideW : "") + " " + pad
                + (dilationH != 1 || dilationW != 1 ? " d" + dilationH + "," + dilationW : "")
                + (groups != 1 ? " g" + groups : "") + (bias ? " +bias" : "")
                + (activation.isIdentity() ? "" : " " + activation);
    }
}
