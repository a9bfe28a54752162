package dev.jkernels;

import java.util.Locale;

/**
 * An immutable 2-D pooling description: max or average over windows (kernel, stride, explicit
 * asymmetric or SAME/VALID padding, dilation, ceil mode, count_include_pad), global pooling, or
 * PyTorch's adaptive pooling to an output size. NCHW or NHWC.
 *
 * <p>Output size per axis ({@code in}, padding {@code pb}/{@code pe}, kernel {@code k}, dilation
 * {@code d}, stride {@code s}): {@code floor((in + pb + pe − d·(k−1) − 1)/s) + 1}, {@code ceil} under
 * ceil mode, and one less when the last window would start inside the end padding (PyTorch's rule,
 * also ONNX's reference). SAME padding: {@code ceil(in/s)} outputs, the odd padding pixel at the end.
 * Max pooling ignores padding and returns NaN for a window holding a NaN; average pooling divides by
 * the window clipped to the padded input ({@code countIncludePad}, PyTorch's default) or by the
 * number of input elements in it. Defaults follow PyTorch: stride = kernel, no padding, dilation 1,
 * floor mode, count_include_pad true, NCHW. See docs/cnn-ops.md.
 */
public final class Pool2dSpec {

    /** What a window reduces to. */
    public enum Kind {
        MAX, AVG;

        public String cudaName() { return name().toLowerCase(Locale.ROOT); }
    }

    private enum Mode { WINDOW, GLOBAL, ADAPTIVE }

    private final Kind kind;
    private final Mode mode;
    private final int kernelH, kernelW, strideH, strideW, dilationH, dilationW;
    private final Padding padding;
    private final boolean ceilMode, countIncludePad;
    private final int outH, outW; // ADAPTIVE only
    private final Layout layout;

    private Pool2dSpec(Kind kind, Mode mode, int kernelH, int kernelW, int strideH, int strideW, int dilationH,
                       int dilationW, Padding padding, boolean ceilMode, boolean countIncludePad, int outH, int outW,
                       Layout layout) {
        if (kind == null) throw new IllegalArgumentException("pool2d: kind must not be null");
        if (layout != Layout.NCHW && layout != Layout.NHWC) {
            throw new IllegalArgumentException("pool2d: layout must be NCHW or NHWC, got " + layout);
        }
        if (mode == Mode.WINDOW) {
            if (kernelH < 1 || kernelW < 1) {
                throw new IllegalArgumentException("pool2d: kernel size must be >= 1, got " + kernelH + "x" + kernelW);
            }
            if (strideH < 1 || strideW < 1) {
                throw new IllegalArgumentException("pool2d: stride must be >= 1, got " + strideH + "x" + strideW);
            }
            if (dilationH < 1 || dilationW < 1) {
                throw new IllegalArgumentException("pool2d: dilation must be >= 1, got " + dilationH + "x" + dilationW);
            }
            if (padding == null) throw new IllegalArgumentException("pool2d: padding must not be null");
        }
        if (mode == Mode.ADAPTIVE && (outH < 1 || outW < 1)) {
            throw new IllegalArgumentException("pool2d: adaptive output size must be >= 1, got " + outH + "x" + outW);
        }
        this.kind = kind;
        this.mode = mode;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.padding = padding == null ? Padding.valid() : padding;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.outH = outH;
        this.outW = outW;
        this.layout = layout;
    }

    /** Max pooling over {@code kH×kW} windows: PyTorch's {@code nn.MaxPool2d}, ONNX MaxPool. */
    public static Builder max(int kernelH, int kernelW) { return new Builder(Kind.MAX, kernelH, kernelW); }

    public static Builder max(int kernel) { return max(kernel, kernel); }

    /** Average pooling over {@code kH×kW} windows: PyTorch's {@code nn.AvgPool2d}, ONNX AveragePool. */
    public static Builder avg(int kernelH, int kernelW) { return new Builder(Kind.AVG, kernelH, kernelW); }

    public static Builder avg(int kernel) { return avg(kernel, kernel); }

    /** Max over the whole image: ONNX GlobalMaxPool, {@code AdaptiveMaxPool2d(1)}. */
    public static Pool2dSpec globalMax(Layout layout) {
        return new Pool2dSpec(Kind.MAX, Mode.GLOBAL, 0, 0, 1, 1, 1, 1, null, false, false, 1, 1, layout);
    }

    /** Mean over the whole image: ONNX GlobalAveragePool, {@code AdaptiveAvgPool2d(1)}. */
    public static Pool2dSpec globalAvg(Layout layout) {
        return new Pool2dSpec(Kind.AVG, Mode.GLOBAL, 0, 0, 1, 1, 1, 1, null, false, false, 1, 1, layout);
    }

    /** PyTorch's {@code nn.AdaptiveAvgPool2d((outH, outW))}. */
    public static Pool2dSpec adaptiveAvg(int outH, int outW, Layout layout) {
        return new Pool2dSpec(Kind.AVG, Mode.ADAPTIVE, 0, 0, 1, 1, 1, 1, null, false, false, outH, outW, layout);
    }

    /** PyTorch's {@code nn.AdaptiveMaxPool2d((outH, outW))}. */
    public static Pool2dSpec adaptiveMax(int outH, int outW, Layout layout) {
        return new Pool2dSpec(Kind.MAX, Mode.ADAPTIVE, 0, 0, 1, 1, 1, 1, null, false, false, outH, outW, layout);
    }

    public Kind kind() { return kind; }
    public Layout layout() { return layout; }
    public boolean isGlobal() { return mode == Mode.GLOBAL; }
    public boolean isAdaptive() { return mode == Mode.ADAPTIVE; }
    public int kernelH() { return kernelH; }
    public int kernelW() { return kernelW; }
    public int strideH() { return strideH; }
    public int strideW() { return strideW; }
    public int dilationH() { return dilationH; }
    public int dilationW() { return dilationW; }
    public Padding padding() { return padding; }
    public boolean ceilMode() { return ceilMode; }
    public boolean countIncludePad() { return countIncludePad; }
    public int adaptiveOutH() { return outH; }
    public int adaptiveOutW() { return outW; }

    /** The same pooling for the other layout. */
    public Pool2dSpec withLayout(Layout l) {
        return new Pool2dSpec(kind, mode, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padding, ceilMode,
                countIncludePad, outH, outW, l);
    }

    /**
     * The geometry of this pooling on {@code input}, checked: a 4-D shape, an output of at least 1×1,
     * and every window covering at least one input element.
     *
     * @throws IllegalArgumentException naming the argument and the expected and actual values
     */
    public Pool2dGeometry geometry(Shape input) {
        if (input == null) throw new IllegalArgumentException("input: shape must not be null");
        if (input.rank() != 4) {
            throw new IllegalArgumentException("input: expected a 4-D " + layout + " shape "
                    + (layout == Layout.NCHW ? "[N, C, H, W]" : "[N, H, W, C]") + ", got " + input);
        }
        boolean nchw = layout == Layout.NCHW;
        int n = input.dim(0), c = input.dim(nchw ? 1 : 3), h = input.dim(nchw ? 2 : 1), w = input.dim(nchw ? 3 : 2);
        switch (mode) {
            case GLOBAL:
                return new Pool2dGeometry(kind, n, c, h, w, 1, 1, h, w, 1, 1, 1, 1, 0, 0, 0, 0, false, false, layout);
            case ADAPTIVE:
                return new Pool2dGeometry(kind, n, c, h, w, outH, outW, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, true, false, layout);
            default:
                break;
        }
        int[] pad = padding.resolve(h, w, kernelH, kernelW, strideH, strideW, dilationH, dilationW);
        int p = outputSize("height", h, kernelH, strideH, dilationH, pad[0], pad[1], input);
        int q = outputSize("width", w, kernelW, strideW, dilationW, pad[2], pad[3], input);
        checkWindows("height", h, p, kernelH, strideH, dilationH, pad[0], input);
        checkWindows("width", w, q, kernelW, strideW, dilationW, pad[2], input);
        return new Pool2dGeometry(kind, n, c, h, w, p, q, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
                pad[0], pad[1], pad[2], pad[3], false, countIncludePad, layout);
    }

    private int outputSize(String axis, int in, int k, int s, int d, int pb, int pe, Shape input) {
        long span = (long) d * (k - 1) + 1;
        long padded = (long) in + pb + pe;
        if (padded < span) {
            throw new IllegalArgumentException("input: the " + (d > 1 ? "dilated " : "") + kernelH + "x" + kernelW
                    + " window (" + span + " wide in " + axis + ") does not fit the padded " + axis + " " + padded
                    + " of input " + input + " (padding " + padding + "); output would be empty");
        }
        long out = ceilMode ? (padded - span + s - 1) / s + 1 : (padded - span) / s + 1;
        // PyTorch: the last window must start inside the input or the begin padding.
        if (ceilMode && (out - 1) * s >= (long) in + pb) out--;
        if (out > Integer.MAX_VALUE) throw new IllegalArgumentException("input: output " + axis + " " + out + " passes 2^31-1");
        return (int) out;
    }

    /** Every window along this axis must hold at least one input element (else max is −∞, avg 0/0). */
    private void checkWindows(String axis, int in, int out, int k, int s, int d, int pb, Shape input) {
        for (int o = 0; o < out; o++) {
            long start = (long) o * s - pb;
            boolean any = false;
            for (int j = 0; j < k && !any; j++) {
                long x = start + (long) j * d;
                any = x >= 0 && x < in;
            }
            if (!any) {
                throw new IllegalArgumentException("input: the pooling window at output " + axis + " index " + o
                        + " covers only padding (input " + input + ", kernel " + kernelH + "x" + kernelW + ", stride "
                        + strideH + "x" + strideW + ", dilation " + dilationH + "x" + dilationW + ", padding " + padding
                        + "); use less padding");
            }
        }
    }

    @Override public String toString() {
        switch (mode) {
            case GLOBAL: return "Pool2dSpec{global " + kind + ", " + layout + "}";
            case ADAPTIVE: return "Pool2dSpec{adaptive " + kind + " to " + outH + "x" + outW + ", " + layout + "}";
            default:
                return "Pool2dSpec{" + kind + " " + kernelH + "x" + kernelW + ", stride=" + strideH + "x" + strideW
                        + ", padding=" + padding + (dilationH * dilationW != 1 ? ", dilation=" + dilationH + "x" + dilationW : "")
                        + (ceilMode ? ", ceil" : "") + (kind == Kind.AVG ? ", countIncludePad=" + countIncludePad : "")
                        + ", " + layout + "}";
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof Pool2dSpec s && s.kind == kind && s.mode == mode && s.kernelH == kernelH && s.kernelW == kernelW
                && s.strideH == strideH && s.strideW == strideW && s.dilationH == dilationH && s.dilationW == dilationW
                && s.padding.equals(padding) && s.ceilMode == ceilMode && s.countIncludePad == countIncludePad
                && s.outH == outH && s.outW == outW && s.layout == layout;
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(kind, mode, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padding,
                ceilMode, countIncludePad, outH, outW, layout);
    }

    /** Window pooling; stride defaults to the kernel size. */
    public static final class Builder {
        private final Kind kind;
        private final int kernelH, kernelW;
        private int strideH = -1, strideW = -1;
        private int dilationH = 1, dilationW = 1;
        private Padding padding = Padding.valid();
        private boolean ceilMode;
        private boolean countIncludePad = true;
        private Layout layout = Layout.NCHW;

        private Builder(Kind kind, int kernelH, int kernelW) {
            this.kind = kind;
            this.kernelH = kernelH;
            this.kernelW = kernelW;
        }

        public Builder stride(int s) { return stride(s, s); }
        public Builder stride(int h, int w) {
            if (h < 1 || w < 1) throw new IllegalArgumentException("pool2d: stride must be >= 1, got " + h + "x" + w);
            strideH = h;
            strideW = w;
            return this;
        }
        public Builder padding(Padding p) { padding = p; return this; }
        public Builder padding(int p) { padding = Padding.symmetric(p); return this; }
        public Builder padding(int ph, int pw) { padding = Padding.symmetric(ph, pw); return this; }
        public Builder padding(int top, int bottom, int left, int right) { padding = Padding.of(top, bottom, left, right); return this; }
        public Builder paddingSame() { padding = Padding.same(); return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder dilation(int h, int w) { dilationH = h; dilationW = w; return this; }
        public Builder ceilMode(boolean c) { ceilMode = c; return this; }
        /** Average pooling only: count padded cells in the divisor (PyTorch's default true; ONNX's 0). */
        public Builder countIncludePad(boolean c) { countIncludePad = c; return this; }
        public Builder layout(Layout l) { layout = l; return this; }

        public Pool2dSpec build() {
            return new Pool2dSpec(kind, Mode.WINDOW, kernelH, kernelW, strideH < 0 ? kernelH : strideH,
                    strideW < 0 ? kernelW : strideW, dilationH, dilationW, padding, ceilMode,
                    kind == Kind.AVG && countIncludePad, 0, 0, layout);
        }
    }
}
