package dev.jkernels.cpu;

import dev.jkernels.Pool2dGeometry;

/**
 * The windows of one spatial axis of a pooling, precomputed once per call: for output index o, the
 * input indices its window reads ({@code taps[offset[o] .. offset[o+1])}, padding and dilation
 * applied) and the divisor average pooling uses for it. Shared by every row/column of the pass.
 */
final class PoolWindows {
    final int[] offset;
    final int[] taps;
    final int[] padded; // taps inside the padded input [-pb, in + pe): the count_include_pad divisor

    private PoolWindows(int[] offset, int[] taps, int[] padded) {
        this.offset = offset;
        this.taps = taps;
        this.padded = padded;
    }

    static PoolWindows height(Pool2dGeometry g) {
        return of(g.adaptive(), g.h(), g.p(), g.kernelH(), g.strideH(), g.dilationH(), g.padTop(), g.padBottom());
    }

    static PoolWindows width(Pool2dGeometry g) {
        return of(g.adaptive(), g.w(), g.q(), g.kernelW(), g.strideW(), g.dilationW(), g.padLeft(), g.padRight());
    }

    private static PoolWindows of(boolean adaptive, int in, int out, int k, int s, int d, int pb, int pe) {
        int[] offset = new int[out + 1];
        int[] padded = new int[out];
        int[] taps = new int[16];
        int count = 0;
        for (int o = 0; o < out; o++) {
            offset[o] = count;
            if (adaptive) {
                int start = (int) ((long) o * in / out);
                int end = (int) (((long) (o + 1) * in + out - 1) / out);
                for (int x = start; x < end; x++) {
                    if (count == taps.length) taps = java.util.Arrays.copyOf(taps, taps.length * 2);
                    taps[count++] = x;
                }
                padded[o] = end - start;
            } else {
                long start = (long) o * s - pb;
                int pc = 0;
                for (int j = 0; j < k; j++) {
                    long x = start + (long) j * d;
                    if (x >= -pb && x < (long) in + pe) pc++;
                    if (x >= 0 && x < in) {
                        if (count == taps.length) taps = java.util.Arrays.copyOf(taps, taps.length * 2);
                        taps[count++] = (int) x;
                    }
                }
                padded[o] = pc;
            }
        }
        offset[out] = count;
        return new PoolWindows(offset, java.util.Arrays.copyOf(taps, count), padded);
    }

    int count(int o) { return offset[o + 1] - offset[o]; }
}
