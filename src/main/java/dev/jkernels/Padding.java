package dev.jkernels;

/**
 * Convolution padding: explicit per side, or TensorFlow/Keras's {@code SAME} and {@code VALID},
 * which resolve against the input size. Immutable.
 */
public final class Padding {
    private enum Mode { EXPLICIT, SAME, VALID }

    private static final Padding SAME = new Padding(Mode.SAME, 0, 0, 0, 0);
    private static final Padding VALID = new Padding(Mode.VALID, 0, 0, 0, 0);

    private final Mode mode;
    private final int top, bottom, left, right;

    private Padding(Mode mode, int top, int bottom, int left, int right) {
        this.mode = mode;
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    /** Explicit padding, each side at least 0. */
    public static Padding of(int top, int bottom, int left, int right) {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("padding must be >= 0 on every side, got top=" + top
                    + " bottom=" + bottom + " left=" + left + " right=" + right);
        }
        return new Padding(Mode.EXPLICIT, top, bottom, left, right);
    }

    /** The same padding {@code p} on all four sides (PyTorch's {@code padding=p}). */
    public static Padding symmetric(int p) { return of(p, p, p, p); }

    /** {@code ph} above and below, {@code pw} left and right (PyTorch's {@code padding=(ph, pw)}). */
    public static Padding symmetric(int ph, int pw) { return of(ph, ph, pw, pw); }

    /**
     * TensorFlow's SAME: output size ⌈in/stride⌉; the total padding
     * max((out−1)·stride + (k−1)·dilation + 1 − in, 0) is split with the extra pixel at the bottom/right.
     */
    public static Padding same() { return SAME; }

    /** No padding (TensorFlow's VALID). */
    public static Padding valid() { return VALID; }

    /** Parses "same", "valid" (case-insensitive). */
    public static Padding parse(String name) {
        if (name == null) throw new IllegalArgumentException("padding must not be null");
        switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "same": return SAME;
            case "valid": return VALID;
            default: throw new IllegalArgumentException("padding: expected \"same\" or \"valid\", got \"" + name + "\"");
        }
    }

    public boolean isExplicit() { return mode == Mode.EXPLICIT; }

    /**
     * Resolves to {@code {top, bottom, left, right}} for one input size, kernel size, stride and
     * dilation.
     */
    public int[] resolve(int inH, int inW, int kH, int kW, int strideH, int strideW, int dilH, int dilW) {
        switch (mode) {
            case EXPLICIT: return new int[] {top, bottom, left, right};
            case VALID: return new int[] {0, 0, 0, 0};
            default: {
                int th = sameTotal(inH, kH, strideH, dilH);
                int tw = sameTotal(inW, kW, strideW, dilW);
                return new int[] {th / 2, th - th / 2, tw / 2, tw - tw / 2};
            }
        }
    }

    private static int sameTotal(int in, int k, int stride, int dil) {
        long out = (in + (long) stride - 1) / stride;
        long total = (out - 1) * stride + (long) (k - 1) * dil + 1 - in;  // < 2^63: each term < 2^62
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding: SAME needs " + total + " pixels of padding (input " + in + ", kernel "
                    + k + ", dilation " + dil + ", stride " + stride + "), more than 2^31-1");
        }
        return (int) Math.max(total, 0);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Padding p && p.mode == mode && p.top == top && p.bottom == bottom
                && p.left == left && p.right == right;
    }

    @Override public int hashCode() { return java.util.Objects.hash(mode, top, bottom, left, right); }

    @Override public String toString() {
        return mode == Mode.EXPLICIT ? "[" + top + "," + bottom + "," + left + "," + right + "]"
                : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
