package dev.jkernels.testing;

import dev.jkernels.Layout;

/**
 * Double-precision references for the CNN ops, written from the frameworks' definitions (PyTorch's
 * pooling_output_shape and avg_pool2d divisor, TensorFlow's SAME), sharing no code with the backends.
 */
public final class CnnReference {
    private CnnReference() {}

    /** Output size per PyTorch's pooling_output_shape (with the "last window starts inside" rule). */
    static int poolOut(int in, int k, int s, int d, int pb, int pe, boolean ceil) {
        int num = in + pb + pe - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
        int out = Math.floorDiv(num, s) + 1;
        if (ceil && (out - 1) * s >= in + pb) out--;
        return out;
    }

    /** {top, bottom, left, right, P, Q} for a window case. */
    public static int[] poolGeometry(PoolCase pc) {
        int pt, pb, pl, pr, p, q;
        if (pc.padMode().equals("same")) {
            p = (pc.h() + pc.sh() - 1) / pc.sh();
            q = (pc.w() + pc.sw() - 1) / pc.sw();
            int th = Math.max((p - 1) * pc.sh() + (pc.kh() - 1) * pc.dh() + 1 - pc.h(), 0);
            int tw = Math.max((q - 1) * pc.sw() + (pc.kw() - 1) * pc.dw() + 1 - pc.w(), 0);
            pt = th / 2; pb = th - pt; pl = tw / 2; pr = tw - pl;
        } else {
            pt = pc.pads()[0]; pb = pc.pads()[1]; pl = pc.pads()[2]; pr = pc.pads()[3];
            p = poolOut(pc.h(), pc.kh(), pc.sh(), pc.dh(), pt, pb, pc.ceil());
            q = poolOut(pc.w(), pc.kw(), pc.sw(), pc.dw(), pl, pr, pc.ceil());
        }
        return new int[] {pt, pb, pl, pr, p, q};
    }

    public static int[] poolOutputDims(PoolCase pc) {
        int p, q;
        switch (pc.mode()) {
            case "global": p = 1; q = 1; break;
            case "adaptive": p = pc.outH(); q = pc.outW(); break;
            default: { int[] g = poolGeometry(pc); p = g[4]; q = g[5]; }
        }
        return pc.layout() == Layout.NCHW ? new int[] {pc.n(), pc.c(), p, q} : new int[] {pc.n(), p, q, pc.c()};
    }

    public static double[] pool2d(PoolCase pc, float[] x) { return pool2d(pc, RandomData.toDouble(x)); }

    public static double[] pool2d(PoolCase pc, double[] x) {
        int n = pc.n(), c = pc.c(), h = pc.h(), w = pc.w();
        int[] od = poolOutputDims(pc);
        boolean nchw = pc.layout() == Layout.NCHW;
        int p = nchw ? od[2] : od[1], q = nchw ? od[3] : od[2];
        int[] g = pc.mode().equals("window") ? poolGeometry(pc) : new int[6];
        double[] out = new double[n * c * p * q];
        for (int in = 0; in < n; in++) for (int ch = 0; ch < c; ch++) for (int oh = 0; oh < p; oh++) for (int ow = 0; ow < q; ow++) {
            // The window, as a list of (row, col) taps and its divisor.
            int[] rows, cols;
            double divisor;
            if (pc.mode().equals("global")) {
                rows = range(0, h, 1); cols = range(0, w, 1); divisor = h * w;
            } else if (pc.mode().equals("adaptive")) {
                int hs = (int) Math.floor((double) oh * h / p), he = (int) Math.ceil((double) (oh + 1) * h / p);
                int ws = (int) Math.floor((double) ow * w / q), we = (int) Math.ceil((double) (ow + 1) * w / q);
                rows = range(hs, he, 1); cols = range(ws, we, 1); divisor = (he - hs) * (we - ws);
            } else {
                int hs = oh * pc.sh() - g[0], ws = ow * pc.sw() - g[2];
                rows = clip(hs, pc.kh(), pc.dh(), 0, h);
                cols = clip(ws, pc.kw(), pc.dw(), 0, w);
                if (pc.includePad()) {
                    // PyTorch avg_pool2d: the window clipped to the padded input [-pad, in + pad).
                    divisor = (double) clip(hs, pc.kh(), pc.dh(), -g[0], h + g[1]).length
                            * clip(ws, pc.kw(), pc.dw(), -g[2], w + g[3]).length;
                } else {
                    divisor = (double) rows.length * cols.length;
                }
            }
            double acc = pc.max() ? Double.NEGATIVE_INFINITY : 0;
            boolean nan = false;
            for (int r : rows) for (int col : cols) {
                double v = x[nchw ? ((in * c + ch) * h + r) * w + col : ((in * h + r) * w + col) * c + ch];
                if (Double.isNaN(v)) nan = true;
                acc = pc.max() ? Math.max(acc, v) : acc + v;
            }
            double v = nan ? Double.NaN : pc.max() ? acc : acc / divisor;
            out[nchw ? ((in * c + ch) * p + oh) * q + ow : ((in * p + oh) * q + ow) * c + ch] = v;
        }
        return out;
    }

    private static int[] range(int from, int to, int step) {
        int[] r = new int[Math.max(0, (to - from + step - 1) / step)];
        for (int i = 0; i < r.length; i++) r[i] = from + i * step;
        return r;
    }

    /** Taps start + j·d, j in [0, k), inside [lo, hi). */
    private static int[] clip(int start, int k, int d, int lo, int hi) {
        return java.util.stream.IntStream.range(0, k).map(j -> start + j * d).filter(v -> v >= lo && v < hi).toArray();
    }

    /** Softmax (or log-softmax) along {@code axis} of {@code dims}, in double. */
    public static double[] softmax(float[] x, int[] dims, int axis, boolean log) {
        return softmax(RandomData.toDouble(x), dims, axis, log);
    }

    public static double[] softmax(double[] x, int[] dims, int axis, boolean log) {
        int outer = 1, inner = 1, len = dims[axis];
        for (int d = 0; d < axis; d++) outer *= dims[d];
        for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) {
            double m = Double.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int l = 0; l < len; l++) {
                double v = x[(o * len + l) * inner + i];
                nan |= Double.isNaN(v);
                m = Math.max(m, v);
            }
            double s = 0;
            for (int l = 0; l < len; l++) s += Math.exp(x[(o * len + l) * inner + i] - m);
            for (int l = 0; l < len; l++) {
                double v = x[(o * len + l) * inner + i];
                y[(o * len + l) * inner + i] = nan ? Double.NaN : log ? v - m - Math.log(s) : Math.exp(v - m) / s;
            }
        }
        return y;
    }

    /** NumPy broadcasting of {@code b} (dims {@code bd}) into {@code a} (dims {@code ad}), in double. */
    public static double[] binary(boolean add, float[] a, int[] ad, float[] b, int[] bd) {
        int r = ad.length;
        int[] bb = new int[r];
        java.util.Arrays.fill(bb, 1);
        System.arraycopy(bd, 0, bb, r - bd.length, bd.length);
        double[] out = new double[a.length];
        int[] idx = new int[r];
        for (int i = 0; i < a.length; i++) {
            int rem = i;
            for (int d = r - 1; d >= 0; d--) { idx[d] = rem % ad[d]; rem /= ad[d]; }
            int j = 0;
            for (int d = 0; d < r; d++) j = j * bb[d] + (bb[d] == 1 ? 0 : idx[d]);
            out[i] = add ? (double) a[i] + b[j] : (double) a[i] * b[j];
        }
        return out;
    }

    /** Batch norm over channel axis {@code axis}; gamma/beta may be null. */
    public static double[] batchNorm(float[] x, int[] dims, int axis, float[] gamma, float[] beta, float[] mean, float[] var,
                                     double eps) {
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
        int c = dims[axis];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / inner) % c;
            double g = gamma == null ? 1 : gamma[ch], b = beta == null ? 0 : beta[ch];
            y[i] = (x[i] - (double) mean[ch]) / Math.sqrt((double) var[ch] + eps) * g + b;
        }
        return y;
    }

    /** Concat along {@code axis}. */
    public static double[] concat(float[][] xs, int[][] dims, int axis) {
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= dims[0][d];
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (int o = 0; o < outer; o++) {
            for (int t = 0; t < xs.length; t++) {
                int rows = xs[t].length / outer;
                for (int j = 0; j < rows; j++) out.add((double) xs[t][o * rows + j]);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
