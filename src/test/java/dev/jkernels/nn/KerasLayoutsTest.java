package dev.jkernels.nn;

import dev.jkernels.testing.RandomData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The layout converters: element positions written out by hand, round trips, and length checks. */
class KerasLayoutsTest {

    @Test
    void denseKernelTransposes() {
        // kernel [in=2, out=3] = [[1,2,3],[4,5,6]] → weight [out=3, in=2] = [[1,4],[2,5],[3,6]]
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, KerasLayouts.denseKernelToLinear(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        float[] w = RandomData.uniform(1, 7 * 13);
        assertArrayEquals(w, KerasLayouts.denseKernelToLinear(KerasLayouts.linearToDenseKernel(w, 13, 7), 13, 7));
    }

    @Test
    void conv2dKernelMovesEveryAxis() {
        int r = 3, s = 2, c = 5, k = 7;
        float[] kernel = new float[r * s * c * k];
        for (int i = 0; i < kernel.length; i++) kernel[i] = i;
        float[] w = KerasLayouts.conv2dKernelToPyTorch(kernel, r, s, c, k);
        // weight[f][ch][y][x] = kernel[y][x][ch][f]
        assertEquals(kernel[((2 * s + 1) * c + 4) * k + 6], w[((6 * c + 4) * r + 2) * s + 1]);
        assertEquals(kernel[((1 * s + 0) * c + 3) * k + 2], w[((2 * c + 3) * r + 1) * s + 0]);
        assertArrayEquals(kernel, KerasLayouts.pyTorchToConv2dKernel(w, k, c, r, s));
    }

    @Test
    void imageLayoutsRoundTrip() {
        float[] nhwc = RandomData.uniform(2, 2 * 5 * 3 * 4);
        float[] nchw = KerasLayouts.nhwcToNchw(nhwc, 2, 5, 3, 4);
        assertEquals(nhwc[((1 * 5 + 4) * 3 + 2) * 4 + 3], nchw[((1 * 4 + 3) * 5 + 4) * 3 + 2]);
        assertArrayEquals(nhwc, KerasLayouts.nchwToNhwc(nchw, 2, 4, 5, 3));
    }

    @Test
    void lengthsAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KerasLayouts.conv2dKernelToPyTorch(new float[10], 3, 3, 1, 1));
        assertEquals("kernel: shape [R, S, C, K] = [3, 3, 1, 1] needs 9 floats, got 10", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(3, 2).setKerasWeights(new float[5], new float[2]));
    }
}
