package dev.jkernels.bench;

import dev.jkernels.Activation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SpotCheckTest {

    @Test
    void gemmReferenceByHand() {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {7, 8, 9, 10, 11, 12};
        SpotCheck.Reference r = SpotCheck.gemm(a, b, 2, 2, 3);
        assertEquals(58, r.at(0).value());
        assertEquals(64, r.at(1).value());
        assertEquals(139, r.at(2).value());
        assertEquals(154, r.at(3).value());
        assertEquals(7 + 18 + 33, r.at(0).absSum());
        assertTrue(SpotCheck.check(new float[] {58, 64, 139, 154}, r, 1, i -> "C" + i).ok());
        SpotCheck.Outcome bad = SpotCheck.check(new float[] {58, 64, 139, 155}, r, 1, i -> "C" + i);
        assertFalse(bad.ok());
        assertTrue(bad.message().contains("C3"), bad.message());
        assertFalse(SpotCheck.check(new float[] {58, Float.NaN, 139, 154}, r, 1, i -> "C" + i).ok(), "NaN must fail");
    }

    @Test
    void convReferenceWithPaddingStrideAndBias() {
        // input 1×1×3×3 = 1..9, one 2×2 filter of ones, stride 2, pad 1: P = Q = (3 + 2 − 2)/2 + 1 = 2
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {1, 1, 1, 1};
        float[] bias = {0.5f};
        Workloads.Conv cv = new Workloads.Conv("t", 1, 1, 3, 3, 1, 2, 2, 2, 1);
        assertEquals(2, cv.p());
        SpotCheck.Reference r = SpotCheck.conv(x, w, bias, cv, Activation.identity());
        // window at (−1,−1): only x[0,0] = 1 inside; at (−1,1): 2 + 3; at (1,−1): 4 + 7; at (1,1): 5 + 6 + 8 + 9
        assertEquals(1.5, r.at(0).value());
        assertEquals(5.5, r.at(1).value());
        assertEquals(11.5, r.at(2).value());
        assertEquals(28.5, r.at(3).value());
        SpotCheck.Reference relu = SpotCheck.conv(x, new float[] {-1, -1, -1, -1}, bias, cv, Activation.relu());
        assertEquals(0.0, relu.at(3).value());
    }

    @Test
    void activationReferenceUsesTheJavaDefinition() {
        float[] x = {-2f, 0f, 3f};
        SpotCheck.Reference r = SpotCheck.activation(x, Activation.gelu());
        assertEquals(Activation.gelu().apply(-2.0), r.at(0).value());
        assertTrue(SpotCheck.check(new float[] {(float) Activation.gelu().apply(-2.0), 0f, (float) Activation.gelu().apply(3.0)}, r, 3, i -> "y" + i).ok());
    }

    @Test
    void samplesIncludeBothEndsAndStayInRange() {
        long[] s = SpotCheck.sample(1000, 7);
        assertEquals(SpotCheck.SAMPLES, s.length);
        assertEquals(0, s[0]);
        assertEquals(999, s[1]);
        for (long i : s) assertTrue(i >= 0 && i < 1000);
        assertEquals(3, SpotCheck.sample(3, 7).length);
    }
}
