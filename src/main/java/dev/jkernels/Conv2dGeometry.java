package dev.jkernels;

/**
 * A convolution's resolved sizes: what every backend and kernel launch computes from. Made by
 * {@link Conv2dSpec#geometry(Shape, Shape)}, which checks it.
 *
 * @param n batch  @param c input channels  @param h input height  @param w input width
 * @param k output channels  @param r filter height  @param s filter width
 * @param p output height  @param q output width
 */
public record Conv2dGeometry(int n, int c, int h, int w, int k, int r, int s, int p, int q,
                             int padTop, int padBottom, int padLeft, int padRight,
                             int strideH, int strideW, int dilationH, int dilationW,
                             int groups, Layout layout) {

    /** The output shape, in the input's layout. */
    public int[] outputDims() {
        return layout == Layout.NCHW ? new int[] {n, k, p, q} : new int[] {n, p, q, k};
    }

    /** Input channels per group. */
    public int channelsPerGroup() { return c / groups; }

    /** Output channels per group. */
    public int filtersPerGroup() { return k / groups; }

    /** Multiply-adds × 2: the FLOP count benchmarks report. */
    public double flops() {
        return 2.0 * n * k * (double) p * q * channelsPerGroup() * r * s;
    }
}
