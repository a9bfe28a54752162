package dev.jkernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise float transcendentals on the Vector API, for {@link VectorActivations}: no branches, no
 * table look-ups, only FMAs, compares and blends, so a whole vector is one straight-line sequence.
 * Loaded only when {@code jdk.incubator.vector} is present (see {@link CpuBackend}).
 *
 * <p>Accuracy, checked against double precision in {@code VectorMathTest} over the whole float range:
 * {@link #exp} and {@link #expm1} ≤ 2 ulp-ish (≤ 3e-7 relative), {@link #tanh} and {@link #sigmoid}
 * ≤ 5e-7 relative, {@link #erfc} ≤ 1e-6 relative on [0, 9.3] (its fit is good to 1.2e-7),
 * {@link #log1p} ≤ 3e-7 relative on [0, 1]. NaN gives NaN; ±Inf give the limits.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512
            : FloatVector.SPECIES_PREFERRED.length() >= 8 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;

    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    /**
     * e^r − 1 for |r| ≤ ln2/2, without the leading 1 (so that expm1 keeps its precision near 0):
     * Cephes expf's minimax polynomial, r + r²·P(r).
     */
    private static FloatVector expPolyMinus1(FloatVector r) {
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f)
                .fma(r, FloatVector.broadcast(S, 8.3334519073e-3f))
                .fma(r, FloatVector.broadcast(S, 4.1665795894e-2f))
                .fma(r, FloatVector.broadcast(S, 1.6666665459e-1f))
                .fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        return p.mul(r.mul(r)).add(r);
    }

    /**
     * e^x: x = n·ln2 + r, e^r by polynomial, 2ⁿ built in the exponent bits as two factors so that
     * results down to the smallest subnormal (x ≈ −103.3) are still right and x ≥ 88.73 gives +Inf.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-104f).min(89f);                       // NaN stays NaN
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);                   // ROUND_MAGIC + round(x·log2 e)
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc).sub(n.mul(LN2_LO));        // x − n·ln2, in two steps
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);   // n as int, in [−150, 129]
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).add(1f).mul(s1).mul(s2);
    }

    /**
     * e^x − 1, accurate near 0 (the polynomial carries no leading 1): 2ⁿ·(p + 1) − 1 =
     * 2ⁿ·p + (2ⁿ − 1). Valid for x ≤ 88 (the activations call it for x ≤ 0); below −88 it is −1.
     */
    static FloatVector expm1(FloatVector x) {
        FloatVector xc = x.max(-88f).min(88f);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc).sub(n.mul(LN2_LO));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);   // [−127, 127]
        FloatVector s = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).fma(s, s.sub(1f));
    }

    /** 1 / (1 + e^−x) from e^−|x| ∈ (0, 1], so nothing overflows and tiny results keep their precision. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector inv = e.add(1f);
        FloatVector pos = FloatVector.broadcast(S, 1f).div(inv);
        return pos.blend(e.div(inv), x.lt(0f));
    }

    /** σ(−x) = 1 − σ(x), computed without the cancellation (for derivatives that need both). */
    static FloatVector sigmoidNeg(FloatVector x) { return sigmoid(x.neg()); }

    /** tanh x = −expm1(−2|x|) / (2 + expm1(−2|x|)), with x's sign: accurate near 0, ±1 beyond ±9. */
    static FloatVector tanh(FloatVector x) {
        FloatVector em = expm1(x.abs().mul(-2f));
        FloatVector t = em.neg().div(em.add(2f));
        return copySign(t, x);
    }

    /** |m| with the sign bit of s (keeps −0 → −0). */
    static FloatVector copySign(FloatVector m, FloatVector s) {
        IntVector mi = m.reinterpretAsInts().and(0x7fffffff);
        IntVector si = s.reinterpretAsInts().and(0x80000000);
        return mi.or(si).reinterpretAsFloats();
    }

    /**
     * erfc z for z ≥ 0 (NaN for NaN, 0 for +Inf): t·exp(−z² + P(t)) with t = 1/(1 + z/2), the
     * Chebyshev fit of Numerical Recipes' erfcc (fractional error below 1.2e-7 for every z ≥ 0).
     * −z² is formed as hi + lo with an FMA so that the exponent's rounding does not cost
     * precision at large z.
     */
    static FloatVector erfc(FloatVector z) {
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
        FloatVector p = t.fma(0.17087277f, -0.82215223f)
                .fma(t, FloatVector.broadcast(S, 1.48851587f))
                .fma(t, FloatVector.broadcast(S, -1.13520398f))
                .fma(t, FloatVector.broadcast(S, 0.27886807f))
                .fma(t, FloatVector.broadcast(S, -0.18628806f))
                .fma(t, FloatVector.broadcast(S, 0.09678418f))
                .fma(t, FloatVector.broadcast(S, 0.37409196f))
                .fma(t, FloatVector.broadcast(S, 1.00002368f))
                .fma(t, FloatVector.broadcast(S, -1.26551223f));
        FloatVector zc = z.min(12f);                                   // erfc 12 ≈ 1e-64: 0 in float
        FloatVector hi = zc.mul(zc);
        FloatVector lo = zc.fma(zc, hi.neg());                         // z² = hi + lo exactly
        return t.mul(expHiLo(hi.neg(), p.sub(lo)));                   // e^(−hi + (p − lo))
    }

    /**
     * e^(xh + xl) for a sum the float xh + xl would round too coarsely (erfc: xh = −z² up to −145,
     * whose ulp would cost 4e-6 relative): n comes from the rounded sum, the reduced argument from
     * (xh − n·ln2_hi), exact by Sterbenz, plus xl. Domain: finite xh + xl in [−150, 0].
     */
    private static FloatVector expHiLo(FloatVector xh, FloatVector xl) {
        FloatVector t = xh.add(xl).max(-150f).fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xh).add(xl).sub(n.mul(LN2_LO));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).add(1f).mul(s1).mul(s2);
    }

    /**
     * erf x: for |x| < 0.5 its Maclaurin series to x¹⁵ (relative error below 1e-8 there), beyond it
     * sign(x)·(1 − erfc|x|) (absolute error ≤ 1.2e-7 on a value ≥ 0.52). GELU uses {@link #erfc} directly.
     */
    static FloatVector erf(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector series = x2.fma(-1f / 75600f, 1f / 9360f)           // coefficients of x^(2n+1): (−1)ⁿ/(n!(2n+1))
                .fma(x2, FloatVector.broadcast(S, -1f / 1320f))
                .fma(x2, FloatVector.broadcast(S, 1f / 216f))
                .fma(x2, FloatVector.broadcast(S, -1f / 42f))
                .fma(x2, FloatVector.broadcast(S, 1f / 10f))
                .fma(x2, FloatVector.broadcast(S, -1f / 3f))
                .fma(x2, FloatVector.broadcast(S, 1f))
                .mul(x).mul(1.1283791670955126f);
        FloatVector far = copySign(FloatVector.broadcast(S, 1f).sub(erfc(x.abs())), x);
        return far.blend(series, x.abs().lt(0.5f));
    }

    /**
     * log(1 + u) for 0 ≤ u ≤ 1 (what softplus and Mish need: u = e^−|x|): 2·atanh(s) with
     * s = u / (2 + u) ∈ [0, 1/3], as the odd series 2(s + s³/3 + … + s¹⁷/17), good to 1 ulp-ish
     * and exact in its relative error for tiny u (no 1 + u is ever rounded).
     */
    static FloatVector log1p(FloatVector u) {
        FloatVector s = u.div(u.add(2f));
        FloatVector s2 = s.mul(s);
        FloatVector p = s2.fma(2f / 17, 2f / 15)
                .fma(s2, FloatVector.broadcast(S, 2f / 13))
                .fma(s2, FloatVector.broadcast(S, 2f / 11))
                .fma(s2, FloatVector.broadcast(S, 2f / 9))
                .fma(s2, FloatVector.broadcast(S, 2f / 7))
                .fma(s2, FloatVector.broadcast(S, 2f / 5))
                .fma(s2, FloatVector.broadcast(S, 2f / 3));
        return p.mul(s2).fma(s, s.mul(2f));
    }
}
