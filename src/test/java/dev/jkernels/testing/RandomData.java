package dev.jkernels.testing;

import java.util.SplittableRandom;

/** Seeded test data. Never all zeros, so a kernel that writes nothing cannot pass. */
public final class RandomData {
    private RandomData() {}

    /** {@code n} floats uniform in [lo, hi), from {@code seed}. */
    public static float[] uniform(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        boolean nonZero = false;
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
            nonZero |= x[i] != 0f;
        }
        if (!nonZero && n > 0) x[0] = lo != 0f ? lo : hi / 2;
        return x;
    }

    /** {@code n} floats uniform in [-1, 1). */
    public static float[] uniform(long seed, int n) { return uniform(seed, n, -1f, 1f); }

    /** A seed derived from a case description, so each case gets its own data, reproducibly. */
    public static long seedOf(Object testCase, int salt) {
        return (long) testCase.toString().hashCode() * 1_000_003L + salt;
    }

    public static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
