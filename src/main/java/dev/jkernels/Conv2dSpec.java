package dev.jkernels;

/**
 * An immutable 2-D convolution description (cross-correlation, as every framework computes it).
 *
 * <p>Shapes: input {@code [N, C, H, W]} (NCHW) or {@code [N, H, W, C]} (NHWC); filters always
 * {@code [K, C/groups, R, S]} (PyTorch's layout, whatever the input layout); bias {@code [K]};
 * output {@code [N, K, P, Q]} or {@code [N, P, Q, K]}, in the input's layout, with
 * {@code P = (H + padTop + padBottom − dilH·(R−1) − 1) / strideH + 1} and likewise Q.
 *
 * <p>{@link #precision()}: the arithmetic of the products ({@link Precision}); unset, the backend's
 * conv default ({@link Backend#defaultConvPrecision()}).
 */
public final class Conv2dSpec {
    private final int strideH, strideW;
    private final Padding padding;
    private final int dilationH, dilationW;
    private final int groups;
    private final boolean bias;
    private final Layout layout;
    private final ConvAlgorithm algorithm;
    private final Precision precision;         // null: the backend's conv default
    private final boolean precisionFallback;

    private Conv2dSpec(Builder b) {
        if (b.strideH < 1 || b.strideW < 1) {
            throw new IllegalArgumentException("stride must be >= 1, got (" + b.strideH + ", " + b.strideW + ")");
        }
        if (b.dilationH < 1 || b.dilationW < 1) {
            throw new IllegalArgumentException("dilation must be >= 1, got (" + b.dilationH + ", " + b.dilationW + ")");
        }
        if (b.groups < 1) throw new IllegalArgumentException("groups must be >= 1, got " + b.groups);
        if (b.padding == null) throw new IllegalArgumentException("padding must not be null");
        if (b.layout != Layout.NCHW && b.layout != Layout.NHWC) {
            throw new IllegalArgumentException("layout must be NCHW or NHWC, got " + b.layout);
        }
        if (b.algorithm == null) throw new IllegalArgumentException("algorithm must not be null (use ConvAlgorithm.AUTO)");
        if (b.precision != null && !b.algorithm.runs(b.precision)) {
            throw new IllegalArgumentException("precision: algorithm " + b.algorithm + " cannot run " + b.precision
                    + " (it runs " + b.algorithm.precisions() + "); use AUTO or " + ConvAlgorithm.forPrecision(b.precision));
        }
        precision = b.precision;
        precisionFallback = b.precisionFallback;
        strideH = b.strideH;
        strideW = b.strideW;
        padding = b.padding;
        dilationH = b.dilationH;
        dilationW = b.dilationW;
        groups = b.groups;
        bias = b.bias;
        layout = b.layout;
        algorithm = b.algorithm;
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().stride(strideH, strideW).padding(padding).dilation(dilationH, dilationW)
                .groups(groups).bias(bias).layout(layout).algorithm(algorithm)
                .precision(precision).allowPrecisionFallback(precisionFallback);
    }

    public int strideH() { return strideH; }
    public int strideW() { return strideW; }
    public Padding padding() { return padding; }
    public int dilationH() { return dilationH; }
    public int dilationW() { return dilationW; }
    public int groups() { return groups; }
    public boolean hasBias() { return bias; }
    public Layout layout() { return layout; }
    public ConvAlgorithm algorithm() { return algorithm; }

    /** The precision asked for, or empty: then the backend's conv default applies. */
    public java.util.Optional<Precision> precision() { return java.util.Optional.ofNullable(precision); }

    /** Whether a tensor-core precision may run as FP32 on a device without TF32 tensor cores instead of failing. */
    public boolean allowsPrecisionFallback() { return precisionFallback; }

    /** {@code {top, bottom, left, right}} for an input of H×W and filters of R×S. */
    public int[] resolvePadding(int h, int w, int r, int s) {
        return padding.resolve(h, w, r, s, strideH, strideW, dilationH, dilationW);
    }

    /**
     * The geometry of this convolution on {@code input} with {@code filters}, checked: ranks,
     * channel and group divisibility, and an output of at least 1×1.
     *
     * @throws IllegalArgumentException naming the argument and the expected and actual shapes
     */
    public Conv2dGeometry geometry(Shape input, Shape filters) {
        if (input.rank() != 4) {
            throw new IllegalArgumentException("input: expected a 4-D " + layout + " shape, got " + input);
        }
        if (filters.rank() != 4) {
            throw new IllegalArgumentException("filters: expected a 4-D [K, C/groups, R, S] shape, got " + filters);
        }
        int n = input.dim(0);
        int c = layout == Layout.NCHW ? input.dim(1) : input.dim(3);
        int h = layout == Layout.NCHW ? input.dim(2) : input.dim(1);
        int w = layout == Layout.NCHW ? input.dim(3) : input.dim(2);
        int k = filters.dim(0), r = filters.dim(2), s = filters.dim(3);
        if (c % groups != 0) {
            throw new IllegalArgumentException("input: " + c + " channels (shape " + input + ") are not divisible by groups=" + groups);
        }
        if (k % groups != 0) {
            throw new IllegalArgumentException("filters: " + k + " output channels (shape " + filters + ") are not divisible by groups=" + groups);
        }
        if (filters.dim(1) != c / groups) {
            throw new IllegalArgumentException("filters: expected shape [" + k + ", " + (c / groups) + ", " + r + ", " + s
                    + "] (C/groups = " + c + "/" + groups + "), got " + filters);
        }
        int[] pad = resolvePadding(h, w, r, s);
        // Everything in 64 bits: padded sizes and dilated windows pass 2^31 long before they pass 2^63.
        long paddedH = (long) h + pad[0] + pad[1], paddedW = (long) w + pad[2] + pad[3];
        long windowH = (long) dilationH * (r - 1) + 1, windowW = (long) dilationW * (s - 1) + 1;
        if (paddedH < windowH || paddedW < windowW) {
            throw new IllegalArgumentException("filters: the dilated " + r + "x" + s + " window (dilation " + dilationH + "x" + dilationW
                    + ") does not fit the padded " + h + "x" + w + " input (padding " + padding + "); output would be empty");
        }
        long p = (paddedH - windowH) / strideH + 1;
        long q = (paddedW - windowW) / strideW + 1;
        checkOutputDim("height P", p, "H", h, pad[0], pad[1], windowH, "strideH", strideH);
        checkOutputDim("width Q", q, "W", w, pad[2], pad[3], windowW, "strideW", strideW);
        return new Conv2dGeometry(n, c, h, w, k, r, s, (int) p, (int) q, pad[0], pad[1], pad[2], pad[3],
                strideH, strideW, dilationH, dilationW, groups, layout);
    }

    /** An output dimension must be an int like every tensor dimension; the message names the arguments that made it. */
    private void checkOutputDim(String what, long value, String in, int size, int padBefore, int padAfter, long window,
                                String stride, int strideValue) {
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding: output " + what + " = (" + in + " " + size + " + padding " + padBefore
                    + " + " + padAfter + " - dilated window " + window + ") / " + stride + " " + strideValue + " + 1 = " + value
                    + " exceeds 2^31-1 (padding " + padding + ")");
        }
    }

    @Override public String toString() {
        return "Conv2dSpec{stride=" + strideH + "x" + strideW + ", padding=" + padding + ", dilation=" + dilationH + "x"
                + dilationW + ", groups=" + groups + ", bias=" + bias + ", layout=" + layout + ", algorithm=" + algorithm
                + ", precision=" + (precision == null ? "default" : precision) + (precisionFallback ? " (fallback allowed)" : "") + "}";
    }

    public static final class Builder {
        private int strideH = 1, strideW = 1;
        private Padding padding = Padding.valid();
        private int dilationH = 1, dilationW = 1;
        private int groups = 1;
        private boolean bias;
        private Layout layout = Layout.NCHW;
        private ConvAlgorithm algorithm = ConvAlgorithm.AUTO;
        private Precision precision;
        private boolean precisionFallback;

        public Builder stride(int s) { return stride(s, s); }
        public Builder stride(int h, int w) { strideH = h; strideW = w; return this; }
        public Builder padding(Padding p) { padding = p; return this; }
        /** The same padding on all sides. */
        public Builder padding(int p) { padding = Padding.symmetric(p); return this; }
        public Builder padding(int top, int bottom, int left, int right) { padding = Padding.of(top, bottom, left, right); return this; }
        public Builder paddingSame() { padding = Padding.same(); return this; }
        public Builder paddingValid() { padding = Padding.valid(); return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder dilation(int h, int w) { dilationH = h; dilationW = w; return this; }
        public Builder groups(int g) { groups = g; return this; }
        public Builder bias(boolean b) { bias = b; return this; }
        public Builder layout(Layout l) { layout = l; return this; }
        public Builder algorithm(ConvAlgorithm a) { algorithm = a; return this; }
        /** The precision of the products; null leaves it to the backend's conv default. */
        public Builder precision(Precision p) { precision = p; return this; }
        /** Opt in to FP32 where the device has no TF32 tensor cores (else that fails). */
        public Builder allowPrecisionFallback(boolean v) { precisionFallback = v; return this; }
        public Conv2dSpec build() { return new Conv2dSpec(this); }
    }
}
