package dev.jkernels.bench;

import dev.jkernels.Activation;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongFunction;

/**
 * Checks sampled output elements of a result against a reference recomputed in double precision
 * directly from the host inputs, here, with plain loops (not through any backend). Tolerance, FP32
 * against FP64: {@code |got − ref| ≤ atol + rtol·Σ|terms|}, with rtol growing with √(reduction
 * length): the sum of absolute terms bounds the rounding of a dot product whatever its cancellation.
 */
public final class SpotCheck {
    /** How many output elements each check samples (the first and the last always among them). */
    public static final int SAMPLES = 64;

    private SpotCheck() {}

    /** One reference element: its value and the sum of absolute values of the terms that made it. */
    public record Ref(double value, double absSum) {}

    /** The reference for element {@code idx} of the output, and the tolerance for it. */
    public interface Reference {
        Ref at(long idx);
        double tolerance(Ref ref);
    }

    /** The sampled indices: 0, count−1 and random ones in between, fixed by {@code seed}. */
    static long[] sample(long count, long seed) {
        int n = (int) Math.min(SAMPLES, count);
        long[] idx = new long[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            idx[i] = i == 0 ? 0 : i == 1 ? count - 1 : rnd.nextLong(count);
        }
        return idx;
    }

    /** "ok (64 samples, max err …)" or a message naming the first failing element. */
    public static Outcome check(float[] got, Reference ref, long seed, LongFunction<String> where) {
        double maxErr = 0;
        for (long i : sample(got.length, seed)) {
            Ref r = ref.at(i);
            double err = Math.abs(got[(int) i] - r.value());
            double tol = ref.tolerance(r);
            if (!(err <= tol)) {   // NaN fails too
                return new Outcome(false, String.format(Locale.ROOT, "FAILED at %s: got %.7g, expected %.7g (tolerance %.2g)",
                        where.apply(i), got[(int) i], r.value(), tol));
            }
            maxErr = Math.max(maxErr, err);
        }
        return new Outcome(true, String.format(Locale.ROOT, "ok (%d samples, max err %.1e)", Math.min(SAMPLES, got.length), maxErr));
    }

    public record Outcome(boolean ok, String message) {}

    /**
     * {@code ref} with the tolerance of {@code precision}: FP32 and FP32_3XTF32 as it is; TF32 adds
     * 2^-10 · Σ|terms| (each input rounded to 10 mantissa bits errs by at most 2^-11 relative, so each
     * product by at most about 2^-10: a bound whatever the signs, not a statistical estimate).
     */
    public static Reference inPrecision(Reference ref, dev.jkernels.Precision precision) {
        if (precision != dev.jkernels.Precision.TF32) return ref;
        return new Reference() {
            @Override public Ref at(long idx) { return ref.at(idx); }
            @Override public double tolerance(Ref r) { return ref.tolerance(r) + 0x1p-10 * r.absSum(); }
        };
    }

    /** Dot-product tolerance for a reduction of {@code length} terms. */
    static double dotTolerance(Ref r, long length) {
        return 1e-5 + 4e-7 * Math.sqrt(length) * r.absSum();
    }

    /** C[i,j] = Σₚ A[i,p]·B[p,j], A row-major [M,K], B row-major [K,N]. */
    public static Reference gemm(float[] a, float[] b, int m, int n, int k) {
        return new Reference() {
            @Override public Ref at(long idx) {
                int i = (int) (idx / n), j = (int) (idx % n);
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * k + p] * b[p * n + j];
                    s += t;
                    abs += Math.abs(t);
                }
                return new Ref(s, abs);
            }
            @Override public double tolerance(Ref r) { return dotTolerance(r, k); }
        };
    }

    /**
     * out[n,k,p,q] = act(bias[k] + Σ x[n,c,p·st−pad+r, q·st−pad+s]·w[k,c,r,s]) for an NCHW input,
     * KCRS filters, and zero padding outside the input.
     */
    public static Reference conv(float[] x, float[] w, float[] bias, Workloads.Conv cv, Activation act) {
        int p = cv.p(), q = cv.q();
        int reduction = cv.c() * cv.r() * cv.s();
        return new Reference() {
            @Override public Ref at(long idx) {
                int oq = (int) (idx % q);
                int op = (int) (idx / q % p);
                int ok = (int) (idx / ((long) q * p) % cv.k());
                int on = (int) (idx / ((long) q * p * cv.k()));
                double s = bias == null ? 0 : bias[ok];
                double abs = Math.abs(s);
                for (int c = 0; c < cv.c(); c++) {
                    for (int r = 0; r < cv.r(); r++) {
                        int ih = op * cv.stride() - cv.pad() + r;
                        if (ih < 0 || ih >= cv.h()) continue;
                        for (int t = 0; t < cv.s(); t++) {
                            int iw = oq * cv.stride() - cv.pad() + t;
                            if (iw < 0 || iw >= cv.w()) continue;
                            double term = (double) x[((on * cv.c() + c) * cv.h() + ih) * cv.w() + iw]
                                    * w[((ok * cv.c() + c) * cv.r() + r) * cv.s() + t];
                            s += term;
                            abs += Math.abs(term);
                        }
                    }
                }
                // the activation is 1.1-Lipschitz at most for those benchmarked: scale the sum's bound
                return new Ref(act.apply(s), 1.2 * abs);
            }
            @Override public double tolerance(Ref r) {
                return dotTolerance(r, reduction) + 1e-5 * Math.abs(r.value());
            }
        };
    }

    /** y[i] = f(x[i]), f as {@link Activation#apply(double)} defines it. */
    public static Reference activation(float[] x, Activation act) {
        return new Reference() {
            @Override public Ref at(long idx) { return new Ref(act.apply((double) x[(int) idx]), 0); }
            @Override public double tolerance(Ref r) { return 2e-6 + 2e-5 * Math.abs(r.value()); }
        };
    }
}
