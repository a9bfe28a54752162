package dev.jkernels.cpu;

import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Layout;

/**
 * The im2col matrix of one image and one group, gathered on the fly while the GEMM packs it (never
 * materialised): row p = (c, r, s) of the reduction, column j = (oy, ox) of the output, value
 * {@code input[n, g·C/groups + c, oy·strideH − padTop + r·dilH, ox·strideW − padLeft + s·dilW]},
 * zero in the padding. Works for both layouts; only the input index differs.
 */
final class Im2colRows implements GemmKernel.RowSource {
    private final float[] in;
    private final Conv2dGeometry g;
    private final int imageBase;   // offset of image n, group g's first channel
    private final int channelStep; // distance between channels
    private final int rowStep;     // distance between input rows
    private final int colStep;     // distance between input columns

    Im2colRows(float[] input, Conv2dGeometry g, int image, int group) {
        this.in = input;
        this.g = g;
        int c0 = group * g.channelsPerGroup();
        if (g.layout() == Layout.NCHW) {
            imageBase = (image * g.c() + c0) * g.h() * g.w();
            channelStep = g.h() * g.w();
            rowStep = g.w();
            colStep = 1;
        } else {
            imageBase = image * g.h() * g.w() * g.c() + c0;
            channelStep = 1;
            rowStep = g.w() * g.c();
            colStep = g.c();
        }
    }

    @Override public void packRow(int p, int j0, int len, float[] dst) {
        int rs = g.r() * g.s();
        int c = p / rs, r = (p / g.s()) % g.r(), s = p % g.s();
        int q = g.q();
        int oy = j0 / q, ox = j0 % q;
        int base = imageBase + c * channelStep;
        int dy = r * g.dilationH() - g.padTop(), dx = s * g.dilationW() - g.padLeft();
        int j = 0;
        while (j < len) {
            int y = oy * g.strideH() + dy;
            int run = Math.min(len - j, q - ox);
            if (y < 0 || y >= g.h()) {
                java.util.Arrays.fill(dst, j, j + run, 0f);
            } else {
                int rowBase = base + y * rowStep;
                int sw = g.strideW();
                for (int t = 0; t < run; t++) {
                    int x = (ox + t) * sw + dx;
                    dst[j + t] = x >= 0 && x < g.w() ? in[rowBase + x * colStep] : 0f;
                }
            }
            j += run;
            ox = 0;
            oy++;
        }
    }
}
