package dev.jkernels.graph;

/**
 * The graph's host implementations, on row-major float arrays, of the ops that no {@code Backend} op
 * covers yet: they run on any backend by a copy to the host and back ({@link GraphOps} says which
 * op takes this path). Double-precision accumulation where an op reduces.
 */
final class HostOps {
    private HostOps() {}

    /** Pooling over NCHW {@code x}; {@code pads} = {top, left, bottom, right}. */
    static float[] pool2d(float[] x, int n, int c, int h, int w, PoolParams p, int oh, int ow) {
        float[] y = new float[n * c * oh * ow];
        int[] pads = p.pads;
        for (int nc = 0; nc < n * c; nc++) {
            int base = nc * h * w;
            for (int i = 0; i < oh; i++) {
                int h0 = i * p.strideH - pads[0];
                for (int j = 0; j < ow; j++) {
                    int w0 = j * p.strideW - pads[1];
                    double acc = p.max ? Double.NEGATIVE_INFINITY : 0;
                    boolean nan = false;
                    int count = 0;
                    for (int r = 0; r < p.kernelH; r++) {
                        int hh = h0 + r * p.dilationH;
                        if (hh < 0 || hh >= h) continue;
                        for (int s = 0; s < p.kernelW; s++) {
                            int ww = w0 + s * p.dilationW;
                            if (ww < 0 || ww >= w) continue;
                            float v = x[base + hh * w + ww];
                            if (p.max) {
                                if (Float.isNaN(v)) nan = true;
                                else if (v > acc) acc = v;
                            } else {
                                acc += v;
                            }
                            count++;
                        }
                    }
                    float out;
                    if (p.max) {
                        out = nan ? Float.NaN : (float) acc;
                    } else {
                        int div = count;
                        if (p.countIncludePad) {
                            // the window clipped to the padded input [-pb, in + pe): the ceil-mode overhang is not counted
                            int hs = Math.max(h0, -pads[0]), he = Math.min(h0 + (p.kernelH - 1) * p.dilationH + 1, h + pads[2]);
                            int ws = Math.max(w0, -pads[1]), we = Math.min(w0 + (p.kernelW - 1) * p.dilationW + 1, w + pads[3]);
                            div = ((he - hs + p.dilationH - 1) / p.dilationH) * ((we - ws + p.dilationW - 1) / p.dilationW);
                        }
                        out = (float) (acc / div);
                    }
                    y[nc * oh * ow + i * ow + j] = out;
                }
            }
        }
        return y;
    }

    /** Global average (or max) over the spatial dims of an [N, C, spatial...] array. */
    static float[] globalPool(float[] x, int nc, int spatial, boolean max) {
        float[] y = new float[nc];
        for (int i = 0; i < nc; i++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            boolean nan = false;
            for (int k = 0; k < spatial; k++) {
                float v = x[i * spatial + k];
                if (max) {
                    if (Float.isNaN(v)) nan = true;
                    else acc = Math.max(acc, v);
                } else acc += v;
            }
            y[i] = max ? (nan ? Float.NaN : (float) acc) : (float) (acc / spatial);
        }
        return y;
    }

    /** y = x·scale[c] + shift[c] over axis 1 of [N, C, rest...]. */
    static float[] channelAffine(float[] x, int n, int c, int inner, float[] scale, float[] shift) {
        float[] y = new float[x.length];
        for (int a = 0; a < n; a++) {
            for (int ch = 0; ch < c; ch++) {
                int off = (a * c + ch) * inner;
                float sc = scale[ch], sh = shift[ch];
                for (int k = 0; k < inner; k++) y[off + k] = x[off + k] * sc + sh;
            }
        }
        return y;
    }

    /** Softmax (or log-softmax) over the middle dimension of [outer, d, inner]; max subtracted. */
    static float[] softmax(float[] x, int outer, int d, int inner, boolean log) {
        float[] y = new float[x.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * d * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                boolean nan = false;
                for (int k = 0; k < d; k++) {
                    float v = x[base + k * inner];
                    if (Float.isNaN(v)) nan = true;
                    max = Math.max(max, v);
                }
                if (nan) {
                    for (int k = 0; k < d; k++) y[base + k * inner] = Float.NaN;
                    continue;
                }
                double sum = 0;
                for (int k = 0; k < d; k++) sum += Math.exp(x[base + k * inner] - max);
                double logSum = Math.log(sum);
                for (int k = 0; k < d; k++) {
                    double z = x[base + k * inner] - max;
                    y[base + k * inner] = (float) (log ? z - logSum : Math.exp(z) / sum);
                }
            }
        }
        return y;
    }

    /** NumPy broadcasting of a (shape sa) and b (shape sb) into out (shape so). */
    static float[] binary(float[] a, int[] sa, float[] b, int[] sb, int[] so, BinaryKind op) {
        int rank = so.length;
        long total = 1;
        for (int d : so) total *= d;
        float[] y = new float[(int) total];
        long[] stA = broadcastStrides(sa, rank), stB = broadcastStrides(sb, rank);
        int[] idx = new int[rank];
        long ia = 0, ib = 0;
        for (int i = 0; i < total; i++) {
            float u = a[(int) ia], v = b[(int) ib];
            switch (op) {
                case ADD: y[i] = u + v; break;
                case MUL: y[i] = u * v; break;
                case PRELU: y[i] = u >= 0 || Float.isNaN(u) ? u : u * v; break;
                default: throw new AssertionError(op);
            }
            for (int d = rank - 1; d >= 0; d--) {   // odometer step
                idx[d]++;
                ia += stA[d];
                ib += stB[d];
                if (idx[d] < so[d]) break;
                ia -= stA[d] * so[d];
                ib -= stB[d] * so[d];
                idx[d] = 0;
            }
        }
        return y;
    }

    private static long[] broadcastStrides(int[] s, int rank) {
        long[] st = new long[rank];
        long stride = 1;
        for (int d = s.length - 1; d >= 0; d--) {
            int od = rank - s.length + d;
            st[od] = s[d] == 1 ? 0 : stride;
            stride *= s[d];
        }
        return st;
    }

    /** Concatenation along {@code axis} of arrays of shapes {@code shapes}. */
    static float[] concat(float[][] xs, int[][] shapes, int axis, int[] out) {
        long total = 1;
        for (int d : out) total *= d;
        float[] y = new float[(int) total];
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= out[d];
        for (int d = axis + 1; d < out.length; d++) inner *= out[d];
        int outBlock = out[axis] * inner, pos = 0;
        for (int t = 0; t < xs.length; t++) {
            int block = shapes[t][axis] * inner;
            for (int o = 0; o < outer; o++) System.arraycopy(xs[t], o * block, y, o * outBlock + pos, block);
            pos += block;
        }
        return y;
    }
}
