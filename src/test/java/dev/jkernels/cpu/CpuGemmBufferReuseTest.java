package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector GEMM keeps its packing buffers and accumulator tiles between calls: a product whose
 * operands are full of NaN, followed by smaller products of odd sizes (their panels' padding rows
 * and columns land where the NaN were), must give exactly the finite results of a fresh backend,
 * checked against double precision.
 */
class CpuGemmBufferReuseTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void staleBuffersNeverLeakIntoLaterProducts(int threads) {
        try (Backend cpu = Backends.cpu(threads)) {
            float[] nan = new float[300 * 290];
            Arrays.fill(nan, Float.NaN);
            try (Tensor a = cpu.tensor(nan, 300, 290); Tensor b = cpu.tensor(nan, 290, 300); Tensor c = cpu.zeros(300, 300)) {
                cpu.gemm(GemmSpec.plain(), a, b, null, c);
            }
            int[][] sizes = {{65, 127, 129}, {1, 33, 7}, {129, 65, 127}, {31, 1, 290}};
            SplittableRandom r = new SplittableRandom(5);
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                float[] av = new float[m * k], bv = new float[k * n];
                for (int i = 0; i < av.length; i++) av[i] = (float) r.nextDouble(-1, 1);
                for (int i = 0; i < bv.length; i++) bv[i] = (float) r.nextDouble(-1, 1);
                try (Tensor a = cpu.tensor(av, m, k); Tensor b = cpu.tensor(bv, k, n); Tensor c = cpu.zeros(m, n)) {
                    cpu.gemm(GemmSpec.plain(), a, b, null, c);
                    float[] got = c.toArray();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double ref = 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                ref += (double) av[i * k + p] * bv[p * n + j];
                                mag += Math.abs((double) av[i * k + p] * bv[p * n + j]);
                            }
                            if (!(Math.abs(got[i * n + j] - ref) <= 1e-6 * mag + 1e-6)) {
                                fail(m + "x" + n + "x" + k + " at (" + i + ", " + j + "): " + got[i * n + j] + ", double gives " + ref);
                            }
                        }
                    }
                }
            }
        }
    }
}
