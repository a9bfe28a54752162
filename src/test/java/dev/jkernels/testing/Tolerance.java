package dev.jkernels.testing;

import org.opentest4j.AssertionFailedError;

/**
 * How far an FP32 result may be from its FP64 reference: {@code |got − expected| ≤ atol + rtol·|expected|}.
 * For a reduction of length n, rounding errors of a float sum grow like √n (random walk), so both
 * bounds are scaled by √n; a wrong index or a missed term is off by O(0.1) and still fails.
 */
public record Tolerance(double atol, double rtol) {

    /** Per-element error budget of one FP32 operation chain, before the √n growth. */
    private static final double FP32_UNIT = 4e-6;

    public Tolerance {
        if (!(atol >= 0) || !(rtol >= 0)) throw new IllegalArgumentException("atol, rtol must be >= 0");
    }

    /** For a result that sums {@code reductionLength} products of values of order 1. */
    public static Tolerance forReduction(long reductionLength) {
        double grow = Math.sqrt(Math.max(1, reductionLength));
        return new Tolerance(FP32_UNIT * grow, FP32_UNIT * grow);
    }

    /** For an element-wise FP32 function of one value (a few ulps). */
    public static Tolerance elementwise() { return new Tolerance(1e-6, 8e-6); }

    public Tolerance times(double factor) { return new Tolerance(atol * factor, rtol * factor); }

    public boolean accepts(double got, double expected) {
        if (Double.isNaN(expected)) return Double.isNaN(got);
        if (Double.isInfinite(expected)) return got == expected;
        if (!Double.isFinite(got)) return false;
        return Math.abs(got - expected) <= atol + rtol * Math.abs(expected);
    }

    /** Fails on the first element out of tolerance, naming its index, the values and how many failed. */
    public void assertClose(String what, float[] got, double[] expected) {
        if (got.length != expected.length) {
            throw new AssertionFailedError(what + ": length " + got.length + ", expected " + expected.length);
        }
        int bad = 0, first = -1;
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (!accepts(got[i], expected[i])) {
                if (first < 0) first = i;
                bad++;
            }
            double err = Math.abs(got[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
            if (err > worst || Double.isNaN(err)) worst = err;
        }
        if (bad > 0) {
            throw new AssertionFailedError(String.format(
                    "%s: %d of %d elements out of tolerance (atol=%.3g, rtol=%.3g); first at index %d: got %s, expected %s"
                            + " (|diff| = %.3g, allowed %.3g)",
                    what, bad, got.length, atol, rtol, first, Float.toString(got[first]), Double.toString(expected[first]),
                    Math.abs(got[first] - expected[first]), atol + rtol * Math.abs(expected[first])));
        }
    }

    public void assertClose(String what, float[] got, float[] expected) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = expected[i];
        assertClose(what, got, e);
    }

    /** Fails unless the two arrays hold exactly the same bits (NaN payloads aside). */
    public static void assertUnchanged(String what, float[] before, float[] after) {
        if (before.length != after.length) {
            throw new AssertionFailedError(what + ": length changed from " + before.length + " to " + after.length);
        }
        for (int i = 0; i < before.length; i++) {
            if (Float.floatToIntBits(before[i]) != Float.floatToIntBits(after[i])) {
                throw new AssertionFailedError(what + " was modified: index " + i + " was " + before[i] + ", now " + after[i]);
            }
        }
    }
}
