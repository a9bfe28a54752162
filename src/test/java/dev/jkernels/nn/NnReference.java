package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Layout;
import dev.jkernels.testing.Reference;

/**
 * Double-precision forward passes written out as naive loops for the layer tests. Nothing here calls
 * the code under test: padding (including TensorFlow's SAME) and output sizes are computed here from
 * the literal parameters the test also gives the layer, and activations come from the test's
 * {@link Reference} (textbook formulas, never {@code Activation.apply}).
 */
final class NnReference {
    private NnReference() {}

    /** y[n, o] = act(Σᵢ x[n, i]·W[o, i] + b[o]) with W in PyTorch's [out, in] layout. */
    static double[] linear(double[] x, int n, int in, int out, float[] w, float[] b, Activation act) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double acc = 0;
                for (int i = 0; i < in; i++) acc += x[r * in + i] * w[o * in + i];
                if (b != null) acc += b[o];
                y[r * out + o] = Reference.activation(act, acc);
            }
        }
        return y;
    }

    /** The same with W in Keras's Dense [in, out] layout, indexed directly (no conversion). */
    static double[] denseKeras(double[] x, int n, int in, int out, float[] kernel, float[] b, Activation act) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double acc = 0;
                for (int i = 0; i < in; i++) acc += x[r * in + i] * kernel[i * out + o];
                if (b != null) acc += b[o];
                y[r * out + o] = Reference.activation(act, acc);
            }
        }
        return y;
    }

    static double[] activation(double[] x, Activation act) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Reference.activation(act, x[i]);
        return y;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** A convolution's literal parameters; {@code pads} null means SAME, all zeros VALID. */
    record Conv(int n, int c, int h, int w, int k, int r, int s, int strideH, int strideW, int[] pads,
                int dilH, int dilW, int groups, Layout layout) {

        static Conv valid(int n, int c, int h, int w, int k, int r, int s, Layout layout) {
            return new Conv(n, c, h, w, k, r, s, 1, 1, new int[4], 1, 1, 1, layout);
        }

        /** {top, bottom, left, right}; SAME as TensorFlow: out = ⌈in/stride⌉, the odd pixel bottom/right. */
        int[] padding() {
            if (pads != null) return pads;
            int outH = (h + strideH - 1) / strideH, outW = (w + strideW - 1) / strideW;
            int th = Math.max((outH - 1) * strideH + dilH * (r - 1) + 1 - h, 0);
            int tw = Math.max((outW - 1) * strideW + dilW * (s - 1) + 1 - w, 0);
            return new int[] {th / 2, th - th / 2, tw / 2, tw - tw / 2};
        }

        int p() { int[] pd = padding(); return (h + pd[0] + pd[1] - dilH * (r - 1) - 1) / strideH + 1; }

        int q() { int[] pd = padding(); return (w + pd[2] + pd[3] - dilW * (s - 1) - 1) / strideW + 1; }

        int[] inputDims() { return layout == Layout.NCHW ? new int[] {n, c, h, w} : new int[] {n, h, w, c}; }

        int[] outputDims() { return layout == Layout.NCHW ? new int[] {n, k, p(), q()} : new int[] {n, p(), q(), k}; }

        int weightCount() { return k * (c / groups) * r * s; }

        int inputCount() { return n * c * h * w; }

        long reduction() { return (long) (c / groups) * r * s; }
    }

    /** Cross-correlation with W [K, C/groups, R, S] (PyTorch), input/output in {@code cv.layout()}. */
    static double[] conv(double[] x, Conv cv, float[] wt, float[] b, Activation act) {
        return conv(x, cv, b, act, (f, ch, y, xx) -> wt[((f * (cv.c() / cv.groups()) + ch) * cv.r() + y) * cv.s() + xx]);
    }

    /** The same with the Keras kernel [R, S, C/groups, K], indexed directly (no conversion). */
    static double[] convKeras(double[] x, Conv cv, float[] kernel, float[] b, Activation act) {
        int cpg = cv.c() / cv.groups();
        return conv(x, cv, b, act, (f, ch, y, xx) -> kernel[((y * cv.s() + xx) * cpg + ch) * cv.k() + f]);
    }

    interface WeightAt { double at(int filter, int channelInGroup, int y, int x); }

    private static double[] conv(double[] x, Conv cv, float[] b, Activation act, WeightAt wt) {
        int n = cv.n(), c = cv.c(), h = cv.h(), w = cv.w(), k = cv.k(), p = cv.p(), q = cv.q();
        int[] pad = cv.padding();
        int cpg = c / cv.groups(), kpg = k / cv.groups();
        boolean nchw = cv.layout() == Layout.NCHW;
        double[] out = new double[n * k * p * q];
        for (int in = 0; in < n; in++)
            for (int f = 0; f < k; f++)
                for (int op = 0; op < p; op++)
                    for (int oq = 0; oq < q; oq++) {
                        double acc = 0;
                        for (int ic = 0; ic < cpg; ic++) {
                            int ch = (f / kpg) * cpg + ic;
                            for (int ry = 0; ry < cv.r(); ry++) {
                                int y = op * cv.strideH() - pad[0] + ry * cv.dilH();
                                if (y < 0 || y >= h) continue;
                                for (int sx = 0; sx < cv.s(); sx++) {
                                    int xx = oq * cv.strideW() - pad[2] + sx * cv.dilW();
                                    if (xx < 0 || xx >= w) continue;
                                    int idx = nchw ? ((in * c + ch) * h + y) * w + xx : ((in * h + y) * w + xx) * c + ch;
                                    acc += x[idx] * wt.at(f, ic, ry, sx);
                                }
                            }
                        }
                        if (b != null) acc += b[f];
                        int o = nchw ? ((in * k + f) * p + op) * q + oq : ((in * p + op) * q + oq) * k + f;
                        out[o] = Reference.activation(act, acc);
                    }
        return out;
    }
}
