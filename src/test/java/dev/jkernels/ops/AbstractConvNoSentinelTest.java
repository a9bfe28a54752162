package dev.jkernels.ops;

import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, finding 5: with stride and padding of 2^29 on a 7x7 image, every output pixel but the
 * centre one reads only padding, and must be exactly the bias even when the input is +Inf. The
 * first implicit-GEMM kernel marked "no such tap" with an input row of -2^29, which such a window
 * start brought back onto row 0: Inf·0 = NaN. Every backend and every conv algorithm either gives
 * the bias or (that first kernel) rejects the geometry with an IllegalArgumentException saying why.
 */
public abstract class AbstractConvNoSentinelTest extends BackendTestBase {

    record Case(Layout layout, ConvAlgorithm algorithm) {
        @Override public String toString() { return layout + " " + algorithm; }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (Layout l : List.of(Layout.NCHW, Layout.NHWC)) {
            for (ConvAlgorithm a : List.of(ConvAlgorithm.AUTO, ConvAlgorithm.DIRECT, ConvAlgorithm.IMPLICIT_GEMM,
                    ConvAlgorithm.IMPLICIT_GEMM_PIPELINED)) out.add(new Case(l, a));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void allPaddingWindowsGiveTheBiasWithAnInfInput(Case c) {
        final int big = 1 << 29, n = 1, ch = 4, h = 7, w = 7, k = 5;
        Conv2dSpec spec = Conv2dSpec.builder().stride(big).padding(big).bias(true).layout(c.layout()).algorithm(c.algorithm()).build();
        float[] input = new float[n * ch * h * w];
        Arrays.fill(input, Float.POSITIVE_INFINITY);
        float[] filters = RandomData.uniform(RandomData.seedOf(c, 1), k * ch * 9);
        float[] bias = RandomData.uniform(RandomData.seedOf(c, 2), k);
        int[] inDims = c.layout() == Layout.NCHW ? new int[] {n, ch, h, w} : new int[] {n, h, w, ch};
        try (TensorScope scope = new TensorScope()) {
            Tensor in = scope.track(backend.tensor(input, c.layout(), inDims));
            Tensor f = scope.track(backend.tensor(filters, k, ch, 3, 3));
            Tensor b = scope.track(backend.tensor(bias, k));
            Tensor out;
            try {
                out = scope.track(backend.conv2d(spec, in, f, b));
            } catch (IllegalArgumentException e) {
                assertEquals(ConvAlgorithm.IMPLICIT_GEMM, c.algorithm(), "only the first implicit GEMM may refuse: " + e.getMessage());
                assertTrue(e.getMessage().contains("no-such-tap marker"), e.getMessage());
                return;
            }
            int[] dims = out.dims();
            int p = c.layout() == Layout.NCHW ? dims[2] : dims[1], q = c.layout() == Layout.NCHW ? dims[3] : dims[2];
            assertEquals(3, p, "P");
            assertEquals(3, q, "Q");
            float[] got = out.toArray();
            List<Float> want = new ArrayList<>(), have = new ArrayList<>();
            for (int i = 0; i < got.length; i++) {
                int kk = c.layout() == Layout.NCHW ? i / (p * q) : i % k;
                int pix = c.layout() == Layout.NCHW ? i % (p * q) : i / k;
                if (pix == 4) continue;  // the centre window (1, 1) reads real (Inf) taps
                want.add(bias[kk]);
                have.add(got[i]);
            }
            assertArrayEquals(want.toArray(), have.toArray(), "outputs of all-padding windows must be the bias, " + c);
        }
    }
}
