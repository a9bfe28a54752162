package dev.jkernels.cpu;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Layout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise conv2d (one input channel per group, C/groups = 1, any channel multiplier) on the
 * Vector API. As a GEMM it would be K/groups = 1 row of filters: 1/8 of the micro-kernel's tile
 * useful and R·S multiply-adds per output, far too little to amortise packing (measured: 3 GFLOP/s).
 * So it runs directly, vectorised along the contiguous dimension:
 * <ul>
 *   <li><b>NCHW</b>: one task per (image, output channel, block of output rows). The input plane is
 *       copied once into a zero-padded scratch plane, so the inner loop is R·S vector FMAs per
 *       vector of output pixels with no bounds tests; stride 1 loads are contiguous, larger
 *       strides gather with a constant index map.</li>
 *   <li><b>NHWC</b> (multiplier 1): one task per (image, block of output rows); per output pixel,
 *       vectors run along the channels (contiguous in NHWC), filters transposed once to [r][s][c].
 *       The channel tail past the last whole vector runs scalar.</li>
 * </ul>
 * Bias starts each accumulator; the activation runs over each finished output row while it is in
 * L1 ({@link VectorActivations}).
 */
final class VectorDepthwiseKernel {
    private VectorDepthwiseKernel() {}

    private static final VectorSpecies<Float> S = VectorGemmKernel.S;
    private static final int L = S.length();

    /** Whether this path takes the convolution. */
    static boolean applies(Conv2dGeometry g) {
        return g.channelsPerGroup() == 1 && g.groups() > 1
                && (g.layout() == Layout.NCHW || g.filtersPerGroup() == 1);
    }

    static void conv(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out, WorkerPool pool) {
        if (g.layout() == Layout.NCHW) nchw(g, in, w, bias, act, out, pool); else nhwc(g, in, w, bias, act, out, pool);
    }

    private static int ceilDiv(long a, long b) { return (int) ((a + b - 1) / b); }

    private static int rowBlocks(long planes, int rows, int threads) {
        return Math.max(1, Math.min(rows, ceilDiv(4L * threads, planes)));
    }

    private static void nchw(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out,
                             WorkerPool pool) {
        int p = g.p(), q = g.q(), r = g.r(), s = g.s(), h = g.h(), wd = g.w();
        int sh = g.strideH(), sw = g.strideW(), dh = g.dilationH(), dw = g.dilationW();
        int kpg = g.filtersPerGroup(), k = g.k();
        int qv = ceilDiv(q, L) * L;
        // Padded coordinates: yp = y + padTop, xp = x + padLeft; big enough for every (vector) load.
        int hp = (p - 1) * sh + (r - 1) * dh + 1;
        int wp = (qv - 1) * sw + (s - 1) * dw + 1;
        int[] gatherMap = new int[L];
        for (int i = 0; i < L; i++) gatherMap[i] = i * sw;
        long planes = (long) g.n() * k;
        int blocks = rowBlocks(planes, p, pool.threads());
        int rowsPer = ceilDiv(p, blocks);
        WorkerPool exec = g.flops() >= 2.0 * GemmKernel.PARALLEL_MIN_FMAS ? pool : null;
        GemmKernel.run(exec, (int) (planes * blocks), t -> {
            int plane = t / blocks, blk = t % blocks;
            int image = plane / k, oc = plane % k, ic = oc / kpg;
            int oy0 = blk * rowsPer, oy1 = Math.min(p, oy0 + rowsPer);
            if (oy0 >= oy1) return;
            // Only the padded rows this block reads.
            int yp0 = oy0 * sh, yp1 = Math.min(hp, (oy1 - 1) * sh + (r - 1) * dh + 1);
            float[] pad = new float[(yp1 - yp0) * wp + L * sw + L];
            int inBase = (image * g.c() + ic) * h * wd;
            for (int yp = yp0; yp < yp1; yp++) {
                int y = yp - g.padTop();
                if (y < 0 || y >= h) continue;
                int x0 = Math.max(0, -g.padLeft()), x1 = Math.min(wd, wp - g.padLeft());
                if (x1 > x0) System.arraycopy(in, inBase + y * wd + x0, pad, (yp - yp0) * wp + x0 + g.padLeft(), x1 - x0);
            }
            int wBase = oc * r * s;
            float b0 = bias == null ? 0f : bias[oc];
            float[] row = new float[qv];
            int outBase = (image * k + oc) * p * q;
            for (int oy = oy0; oy < oy1; oy++) {
                int rowBase = (oy * sh - yp0) * wp;
                if (sw == 1) {
                    rowStride1(pad, rowBase, wp, dh, dw, r, s, w, wBase, b0, row, qv);
                } else {
                    rowGather(pad, rowBase, wp, sw, dh, dw, r, s, w, wBase, b0, row, qv, gatherMap);
                }
                if (!act.isIdentity()) ActivationRanges.forward(act, row, row, 0, qv, true);   // whole vectors, in L1
                System.arraycopy(row, 0, out, outBase + oy * q, q);
            }
        });
    }

    // Row at a time, filter tap outermost: every vector value lives inside the innermost loop. (An
    // accumulator carried across the tap loops is boxed by C2 on JDK 17: 10x slower, measured.)

    /** One output row, stride 1: per filter tap, one contiguous pass of vector FMAs over the row. */
    private static void rowStride1(float[] pad, int rowBase, int wp, int dh, int dw, int r, int s, float[] w, int wBase,
                                   float b0, float[] row, int qv) {
        java.util.Arrays.fill(row, 0, qv, b0);
        for (int rr = 0; rr < r; rr++) {
            for (int ss = 0; ss < s; ss++) {
                FloatVector wv = FloatVector.broadcast(S, w[wBase + rr * s + ss]);
                int off = rowBase + rr * dh * wp + ss * dw;
                for (int ox = 0; ox < qv; ox += L) {
                    FloatVector.fromArray(S, pad, off + ox).fma(wv, FloatVector.fromArray(S, row, ox)).intoArray(row, ox);
                }
            }
        }
    }

    /** One output row, stride &gt; 1: the same with gathers (index map 0, sw, 2·sw, …). */
    private static void rowGather(float[] pad, int rowBase, int wp, int sw, int dh, int dw, int r, int s, float[] w,
                                  int wBase, float b0, float[] row, int qv, int[] map) {
        java.util.Arrays.fill(row, 0, qv, b0);
        for (int rr = 0; rr < r; rr++) {
            for (int ss = 0; ss < s; ss++) {
                FloatVector wv = FloatVector.broadcast(S, w[wBase + rr * s + ss]);
                int off = rowBase + rr * dh * wp + ss * dw;
                for (int ox = 0; ox < qv; ox += L) {
                    FloatVector.fromArray(S, pad, off + ox * sw, map, 0).fma(wv, FloatVector.fromArray(S, row, ox)).intoArray(row, ox);
                }
            }
        }
    }

    /** out[o + ch] += in[i + ch]·wt[t + ch] for every channel: vectors, then the scalar tail. */
    private static void tap(float[] in, int i, float[] wt, int t, float[] out, int o, int c, int cv) {
        int ch = 0;
        for (; ch < cv; ch += L) {
            FloatVector.fromArray(S, in, i + ch).fma(FloatVector.fromArray(S, wt, t + ch), FloatVector.fromArray(S, out, o + ch))
                    .intoArray(out, o + ch);
        }
        for (; ch < c; ch++) out[o + ch] = Math.fma(in[i + ch], wt[t + ch], out[o + ch]);
    }

    private static void nhwc(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out,
                             WorkerPool pool) {
        int p = g.p(), q = g.q(), r = g.r(), s = g.s(), h = g.h(), wd = g.w(), c = g.c();
        float[] wt = new float[r * s * c];   // [r][s][c]
        for (int ch = 0; ch < c; ch++) {
            for (int t = 0; t < r * s; t++) wt[t * c + ch] = w[ch * r * s + t];
        }
        float[] b = bias == null ? new float[c] : bias;
        int cv = c / L * L;
        int blocks = rowBlocks(g.n(), p, pool.threads());
        int rowsPer = ceilDiv(p, blocks);
        WorkerPool exec = g.flops() >= 2.0 * GemmKernel.PARALLEL_MIN_FMAS ? pool : null;
        GemmKernel.run(exec, g.n() * blocks, t -> {
            int image = t / blocks, blk = t % blocks;
            int oy0 = blk * rowsPer, oy1 = Math.min(p, oy0 + rowsPer);
            int inImage = image * h * wd * c;
            for (int oy = oy0; oy < oy1; oy++) {
                int rowStart = ((image * p + oy) * q) * c;
                for (int ox = 0; ox < q; ox++) {
                    int o = rowStart + ox * c;
                    System.arraycopy(b, 0, out, o, c);
                    for (int rr = 0; rr < r; rr++) {
                        int y = oy * g.strideH() - g.padTop() + rr * g.dilationH();
                        if (y < 0 || y >= h) continue;
                        for (int ss = 0; ss < s; ss++) {
                            int x = ox * g.strideW() - g.padLeft() + ss * g.dilationW();
                            if (x < 0 || x >= wd) continue;
                            tap(in, inImage + (y * wd + x) * c, wt, (rr * s + ss) * c, out, o, c, cv);
                        }
                    }
                }
                if (!act.isIdentity()) ActivationRanges.forward(act, out, out, rowStart, rowStart + q * c, true);
            }
        });
    }
}
