package dev.jkernels.graph;

import java.util.Arrays;

/**
 * One pooling node's window, as ONNX gives it: kernel, strides, dilations, explicit pads
 * ({top, left, bottom, right}) or an auto_pad mode resolved per input shape, ceil_mode,
 * count_include_pad. Output size as PyTorch (and h14's Pool2dSpec) compute it.
 */
final class PoolParams {
    final boolean max;
    final int kernelH, kernelW, strideH, strideW, dilationH, dilationW;
    final int[] pads;          // top, left, bottom, right
    final String autoPad;      // NOTSET, VALID, SAME_UPPER, SAME_LOWER
    final boolean ceil, countIncludePad;

    PoolParams(boolean max, int kh, int kw, int sh, int sw, int dh, int dw, int[] pads, String autoPad, boolean ceil, boolean countIncludePad) {
        this.max = max;
        this.kernelH = kh;
        this.kernelW = kw;
        this.strideH = sh;
        this.strideW = sw;
        this.dilationH = dh;
        this.dilationW = dw;
        this.pads = pads.clone();
        this.autoPad = autoPad;
        this.ceil = ceil;
        this.countIncludePad = countIncludePad;
    }

    /** These parameters with auto_pad resolved to explicit pads for an input of h × w. */
    PoolParams resolve(int h, int w) {
        if (autoPad.equals("NOTSET")) return this;
        int[] p = new int[4];
        if (autoPad.startsWith("SAME")) {
            int[] th = samePad(h, kernelH, strideH, dilationH), tw = samePad(w, kernelW, strideW, dilationW);
            boolean upper = autoPad.equals("SAME_UPPER");
            p[0] = upper ? th[0] : th[1];
            p[2] = upper ? th[1] : th[0];
            p[1] = upper ? tw[0] : tw[1];
            p[3] = upper ? tw[1] : tw[0];
        }
        return new PoolParams(max, kernelH, kernelW, strideH, strideW, dilationH, dilationW, p, "NOTSET", ceil, countIncludePad);
    }

    /** {small, large} halves of the SAME padding total. */
    static int[] samePad(int in, int k, int s, int d) {
        int out = (in + s - 1) / s;
        int total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - in);
        return new int[] {total / 2, total - total / 2};
    }

    /** Output size along one axis; throws when it is below 1. */
    static int outSize(int in, int pb, int pe, int k, int s, int d, boolean ceil) {
        int span = in + pb + pe - d * (k - 1) - 1;
        if (span < 0) return 0;
        int out = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (out - 1) * s >= in + pb) out--;   // the last window may not start inside the end padding only
        return out;
    }

    int[] outHW(int h, int w) {
        return new int[] {outSize(h, pads[0], pads[2], kernelH, strideH, dilationH, ceil),
                outSize(w, pads[1], pads[3], kernelW, strideW, dilationW, ceil)};
    }

    @Override public String toString() {
        return (max ? "max " : "avg ") + kernelH + "x" + kernelW + ", stride " + strideH + "x" + strideW
                + (autoPad.equals("NOTSET") ? ", pads " + Arrays.toString(pads) : ", " + autoPad.toLowerCase())
                + (dilationH * dilationW != 1 ? ", dilation " + dilationH + "x" + dilationW : "")
                + (ceil ? ", ceil" : "") + (!max && countIncludePad ? ", count_include_pad" : "");
    }
}
