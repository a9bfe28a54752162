package dev.jkernels.cpu;

import dev.jkernels.Layout;
import dev.jkernels.Pool2dGeometry;
import dev.jkernels.Pool2dSpec;

/**
 * Max/average/global/adaptive pooling on the CPU backend. NCHW: one task per (image, channel) plane,
 * each output a reduction over its window's taps. NHWC: one task per (image, output row), the
 * channel loop innermost so it runs over contiguous memory (and vectorises). Max propagates NaN;
 * sums are float in a fixed order (deterministic, as the kernels).
 */
final class CpuPool2d {
    private CpuPool2d() {}

    static void run(Pool2dGeometry g, float[] in, float[] out, WorkerPool pool) {
        PoolWindows wh = PoolWindows.height(g), ww = PoolWindows.width(g);
        boolean max = g.kind() == Pool2dSpec.Kind.MAX;
        boolean includePad = g.countIncludePad() && !g.adaptive();
        if (g.layout() == Layout.NCHW) {
            int planes = g.n() * g.c();
            pool.forEach(planes, plane -> nchwPlane(g, in, out, plane, wh, ww, max, includePad));
        } else {
            pool.forEach(g.n() * g.p(), row -> nhwcRow(g, in, out, row, wh, ww, max, includePad));
        }
    }

    private static float divisor(PoolWindows wh, PoolWindows ww, int oh, int ow, boolean includePad) {
        return includePad ? (float) wh.padded[oh] * ww.padded[ow] : (float) wh.count(oh) * ww.count(ow);
    }

    private static void nchwPlane(Pool2dGeometry g, float[] in, float[] out, int plane, PoolWindows wh, PoolWindows ww,
                                  boolean max, boolean includePad) {
        int h = g.h(), w = g.w(), p = g.p(), q = g.q();
        long inBase = (long) plane * h * w, outBase = (long) plane * p * q;
        for (int oh = 0; oh < p; oh++) {
            for (int ow = 0; ow < q; ow++) {
                float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                for (int th = wh.offset[oh]; th < wh.offset[oh + 1]; th++) {
                    int rowBase = (int) (inBase + (long) wh.taps[th] * w);
                    for (int tw = ww.offset[ow]; tw < ww.offset[ow + 1]; tw++) {
                        float v = in[rowBase + ww.taps[tw]];
                        if (max) {
                            if (v > acc || v != v) acc = v;
                        } else {
                            acc += v;
                        }
                    }
                }
                // A NaN seen earlier must survive later comparisons: v > NaN is false, so it does.
                out[(int) (outBase + (long) oh * q + ow)] = max ? acc : acc / divisor(wh, ww, oh, ow, includePad);
            }
        }
    }

    private static void nhwcRow(Pool2dGeometry g, float[] in, float[] out, int row, PoolWindows wh, PoolWindows ww,
                                boolean max, boolean includePad) {
        int n = row / g.p(), oh = row % g.p();
        int h = g.h(), w = g.w(), q = g.q(), c = g.c();
        float[] acc = new float[c];
        for (int ow = 0; ow < q; ow++) {
            java.util.Arrays.fill(acc, max ? Float.NEGATIVE_INFINITY : 0f);
            for (int th = wh.offset[oh]; th < wh.offset[oh + 1]; th++) {
                for (int tw = ww.offset[ow]; tw < ww.offset[ow + 1]; tw++) {
                    int base = (int) ((((long) n * h + wh.taps[th]) * w + ww.taps[tw]) * c);
                    if (max) {
                        for (int ch = 0; ch < c; ch++) {
                            float v = in[base + ch];
                            if (v > acc[ch] || v != v) acc[ch] = v;
                        }
                    } else {
                        for (int ch = 0; ch < c; ch++) acc[ch] += in[base + ch];
                    }
                }
            }
            int o = (int) ((((long) n * g.p() + oh) * q + ow) * c);
            if (max) {
                System.arraycopy(acc, 0, out, o, c);
            } else {
                float inv = divisor(wh, ww, oh, ow, includePad);
                for (int ch = 0; ch < c; ch++) out[o + ch] = acc[ch] / inv;
            }
        }
    }
}
