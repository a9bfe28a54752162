package dev.jkernels.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Initialisers: the documented bounds, reproducible from a seed, and uniform within them. */
class InitializerTest {

    @Test
    void boundsAreTheDocumentedFormulas() {
        // PyTorch: kaiming_uniform_(a=√5) gives gain √(2/(1+5)) = √(1/3), bound gain·√(3/fan_in) = 1/√fan_in
        assertEquals(1 / Math.sqrt(300), Initializer.pytorchDefault().weightBound(300, 7), 1e-15);
        assertEquals(1 / Math.sqrt(300), Initializer.pytorchDefault().biasBound(300, 7), 1e-15);
        assertEquals(Math.sqrt(6.0 / 307), Initializer.kerasDefault().weightBound(300, 7), 1e-15);
        assertEquals(0.0, Initializer.kerasDefault().biasBound(300, 7));
        assertEquals(Math.sqrt(6.0 / 300), Initializer.kaimingUniform().weightBound(300, 7), 1e-15);
        assertEquals(Math.sqrt(6.0 / (1.04 * 300)), Initializer.kaimingUniform(0.2).weightBound(300, 7), 1e-15);
        assertEquals(Math.sqrt(6.0 / 307), Initializer.glorotUniform().weightBound(300, 7), 1e-15);
    }

    @Test
    void seededAndReproducible() {
        Linear a = new Linear(64, 32).initialize(Initializer.pytorchDefault(), 42);
        Linear b = new Linear(64, 32).initialize(Initializer.pytorchDefault(), 42);
        Linear c = new Linear(64, 32).initialize(Initializer.pytorchDefault(), 43);
        assertArrayEquals(a.weight(), b.weight());
        assertArrayEquals(a.bias(), b.bias());
        assertFalse(java.util.Arrays.equals(a.weight(), c.weight()));
        // Layers built without a seed still differ from each other (no two identical layers by accident)
        assertFalse(java.util.Arrays.equals(new Linear(8, 8).weight(), new Linear(8, 8).weight()));
        Conv2d k1 = new Conv2d(3, 4, 3).initialize(Initializer.kerasDefault(), 7);
        Conv2d k2 = new Conv2d(3, 4, 3).initialize(Initializer.kerasDefault(), 7);
        assertArrayEquals(k1.weight(), k2.weight());
    }

    @Test
    void linearWeightsAreUniformWithinTheBound() {
        // fan_in 400, fan_out 300: 120000 draws
        checkUniform(new Linear(400, 300).initialize(Initializer.pytorchDefault(), 1).weight(), 1 / Math.sqrt(400));
        checkUniform(new Linear(400, 300).initialize(Initializer.pytorchDefault(), 1).bias(), 1 / Math.sqrt(400));
        checkUniform(new Linear(400, 300).initialize(Initializer.kerasDefault(), 2).weight(), Math.sqrt(6.0 / 700));
        for (float v : new Linear(400, 300).initialize(Initializer.kerasDefault(), 2).bias()) assertEquals(0f, v);
        checkUniform(new Linear(400, 300).initialize(Initializer.kaimingUniform(), 3).weight(), Math.sqrt(6.0 / 400));
    }

    @Test
    void convFansCountTheReceptiveFieldAndGroups() {
        // weight [16, 8/2, 3, 3]: fan_in = 4·9 = 36, fan_out = 16·9 = 144
        Conv2d conv = Conv2d.builder(8, 16, 3).groups(2).build();
        checkUniform(conv.initialize(Initializer.pytorchDefault(), 5).weight(), 1 / 6.0);
        checkUniform(conv.initialize(Initializer.glorotUniform(), 6).weight(), Math.sqrt(6.0 / 180));
        // the default, from the constructor: PyTorch's
        for (float v : new Conv2d(8, 16, 3).weight()) assertTrue(Math.abs(v) <= 1 / Math.sqrt(72), "|" + v + "| > 1/√72");
    }

    /** All within [−b, b]; mean ≈ 0 and variance ≈ b²/3 (U(−b, b)); both tails reached. */
    private static void checkUniform(float[] w, double bound) {
        double sum = 0, sq = 0, min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float v : w) {
            assertTrue(Math.abs(v) <= bound, "|" + v + "| exceeds the bound " + bound);
            sum += v;
            sq += (double) v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        int n = w.length;
        double mean = sum / n, var = sq / n - mean * mean;
        // 6σ of the sample mean and of the sample variance
        assertEquals(0, mean, 6 * bound / Math.sqrt(3 * n), "mean");
        assertEquals(bound * bound / 3, var, 6 * bound * bound * Math.sqrt(4.0 / 45 / n), "variance");
        assertTrue(min < -0.9 * bound && max > 0.9 * bound, "range [" + min + ", " + max + "] of bound " + bound);
    }
}
