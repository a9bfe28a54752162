package dev.jkernels;

/**
 * A pooling's resolved sizes: what every backend and kernel launch computes from. Made (and checked)
 * by {@link Pool2dSpec#geometry(Shape)}.
 *
 * @param n batch  @param c channels  @param h input height  @param w input width
 * @param p output height  @param q output width
 * @param adaptive windows from {@code [floor(i·in/out), ceil((i+1)·in/out))} instead of kernel/stride/padding
 * @param countIncludePad average pooling: divide by the window clipped to the padded input
 *     {@code [−padTop, h + padBottom)} × {@code [−padLeft, w + padRight)}, not by its input elements
 */
public record Pool2dGeometry(Pool2dSpec.Kind kind, int n, int c, int h, int w, int p, int q,
                             int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                             int padTop, int padBottom, int padLeft, int padRight,
                             boolean adaptive, boolean countIncludePad, Layout layout) {

    /** The output shape, in the input's layout. */
    public int[] outputDims() {
        return layout == Layout.NCHW ? new int[] {n, c, p, q} : new int[] {n, p, q, c};
    }

    public long outputCount() { return (long) n * c * p * q; }

    public long inputCount() { return (long) n * c * h * w; }

    /** Bytes a pooling pass must move at least: the input read once, the output written once. */
    public double bytesMoved() { return 4.0 * (inputCount() + outputCount()); }

    /** True when a window is the whole image (global pooling, adaptive 1×1). */
    public boolean global() {
        return p == 1 && q == 1 && (adaptive || (kernelH == h && kernelW == w && padTop == 0 && padLeft == 0
                && dilationH == 1 && dilationW == 1 && padBottom == 0 && padRight == 0));
    }
}
