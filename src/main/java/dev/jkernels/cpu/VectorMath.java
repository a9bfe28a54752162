package dev.jkernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
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

    // Constants as vectors, made once: fewer IR nodes per use than a broadcast, which keeps the
    // longer functions (erfc) under C2's inlining node budget; over it, vectors get boxed.
    private static final FloatVector K_1_9875691500E_4F = FloatVector.broadcast(S, 1.9875691500e-4f);
    private static final FloatVector K_1_3981999507E_3F = FloatVector.broadcast(S, 1.3981999507e-3f);
    private static final FloatVector K_8_3334519073E_3F = FloatVector.broadcast(S, 8.3334519073e-3f);
    private static final FloatVector K_4_1665795894E_2F = FloatVector.broadcast(S, 4.1665795894e-2f);
    private static final FloatVector K_1_6666665459E_1F = FloatVector.broadcast(S, 1.6666665459e-1f);
    private static final FloatVector K_5_0000001201E_1F = FloatVector.broadcast(S, 5.0000001201e-1f);
    private static final FloatVector K__LN2_HI = FloatVector.broadcast(S, -LN2_HI);
    private static final FloatVector K__LN2_LO = FloatVector.broadcast(S, -LN2_LO);
    private static final FloatVector K_1F = FloatVector.broadcast(S, 1f);
    private static final FloatVector K_1_48851587F = FloatVector.broadcast(S, 1.48851587f);
    private static final FloatVector K__1_13520398F = FloatVector.broadcast(S, -1.13520398f);
    private static final FloatVector K_0_27886807F = FloatVector.broadcast(S, 0.27886807f);
    private static final FloatVector K__0_18628806F = FloatVector.broadcast(S, -0.18628806f);
    private static final FloatVector K_0_09678418F = FloatVector.broadcast(S, 0.09678418f);
    private static final FloatVector K_0_37409196F = FloatVector.broadcast(S, 0.37409196f);
    private static final FloatVector K_1_00002368F = FloatVector.broadcast(S, 1.00002368f);
    private static final FloatVector K__1_26551223F = FloatVector.broadcast(S, -1.26551223f);
    private static final FloatVector K__1F___1320F = FloatVector.broadcast(S, -1f / 1320f);
    private static final FloatVector K_1F___216F = FloatVector.broadcast(S, 1f / 216f);
    private static final FloatVector K__1F___42F = FloatVector.broadcast(S, -1f / 42f);
    private static final FloatVector K_1F___10F = FloatVector.broadcast(S, 1f / 10f);
    private static final FloatVector K__1F___3F = FloatVector.broadcast(S, -1f / 3f);
    private static final FloatVector K_2F___13 = FloatVector.broadcast(S, 2f / 13);
    private static final FloatVector K_2F___11 = FloatVector.broadcast(S, 2f / 11);
    private static final FloatVector K_2F___9 = FloatVector.broadcast(S, 2f / 9);
    private static final FloatVector K_2F___7 = FloatVector.broadcast(S, 2f / 7);
    private static final FloatVector K_2F___5 = FloatVector.broadcast(S, 2f / 5);
    private static final FloatVector K_2F___3 = FloatVector.broadcast(S, 2f / 3);

    /**
     * e^r − 1 for |r| ≤ ln2/2, without the leading 1 (so that expm1 keeps its precision near 0):
     * Cephes expf's minimax polynomial, r + r²·P(r).
     */
    private static FloatVector expPolyMinus1(FloatVector r) {
        // Estrin's scheme, not Horner's: three FMAs deep instead of five. The activation loops are
        // latency-bound chains (one vector's exp, division, polynomial), and with 16 AVX2 registers
        // too few iterations fit in flight to hide them (GELU on one Zen 2 core: 48 cycles a vector).
        FloatVector r2 = r.mul(r);
        FloatVector p = r.fma(K_1_9875691500E_4F, K_1_3981999507E_3F)
                .fma(r2, r.fma(K_8_3334519073E_3F, K_4_1665795894E_2F))
                .fma(r2, r.fma(K_1_6666665459E_1F, K_5_0000001201E_1F));
        return p.fma(r2, r);
    }

    /**
     * x limited to [lo, hi], NaN kept: compare and blend. {@code max(lo).min(hi)} is Java's min and
     * max, whose NaN and −0 rules cost five instructions each on AVX2 (blend, blend, max, unordered
     * compare, blend), a quarter of sigmoid's loop.
     */
    static FloatVector clamp(FloatVector x, float lo, float hi) {
        return x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi));
    }

    /**
     * e^x: x = n·ln2 + r, e^r by polynomial, 2ⁿ built in the exponent bits as two factors so that
     * results down to the smallest subnormal (x ≈ −103.3) are still right and x ≥ 88.73 gives +Inf.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = clamp(x, -104f, 89f);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);                   // ROUND_MAGIC + round(x·log2 e)
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(K__LN2_HI, xc).sub(n.mul(LN2_LO));        // x − n·ln2, in two steps
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
        FloatVector xc = clamp(x, -88f, 88f);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(K__LN2_HI, xc).sub(n.mul(LN2_LO));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);   // [−127, 127]
        FloatVector s = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).fma(s, s.sub(1f));
    }

    /** 1 / (1 + e^−x) from e^−|x| ∈ (0, 1], so nothing overflows and tiny results keep their precision. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector pos = K_1F.div(e.add(1f));   // one division for both sides
        return pos.blend(e.mul(pos), x.lt(0f));
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
        // Lanes past 9.3 (erfc 0 there) are evaluated at z = 1 and blended to 0 at the end: at the
        // clamp value itself every step ends in subnormals, which x86 computes through microcode,
        // about 100× slower (measured: GELU over conv outputs, most of them past |x| = 13, 3× slower per element).
        FloatVector t = K_1F.div(z.fma(0.5f, 1f));
        FloatVector p = t.fma(0.17087277f, -0.82215223f)
                .fma(t, K_1_48851587F)
                .fma(t, K__1_13520398F)
                .fma(t, K_0_27886807F)
                .fma(t, K__0_18628806F)
                .fma(t, K_0_09678418F)
                .fma(t, K_0_37409196F)
                .fma(t, K_1_00002368F)
                .fma(t, K__1_26551223F);
        VectorMask<Float> far = z.compare(VectorOperators.GT, 9.3f);  // erfc 9.3 ≈ 5e-39; beyond: 0 (blend below)
        FloatVector zc = z.blend(1f, far);
        FloatVector hi = zc.mul(zc);
        FloatVector lo = zc.fma(zc, hi.neg());                         // z² = hi + lo exactly
        FloatVector r = t.mul(expHiLo(hi.neg(), p.sub(lo)));          // e^(−hi + (p − lo))
        return r.blend(0f, far);
    }

    // Q(t) for normalTail, t = 1/(1 + z/2): a degree-7 minimax fit of log(erfc(z)/(2t)) + z² on
    // z = |x|/√2 ∈ [0, 9.2] (absolute error 6.2e-7, so 6.2e-7 relative in the result).
    private static final FloatVector K_Q7 = FloatVector.broadcast(S, -0.18166561424732208f);
    private static final FloatVector K_Q6 = FloatVector.broadcast(S, 0.7252063751220703f);
    private static final FloatVector K_Q5 = FloatVector.broadcast(S, -0.9540761709213257f);
    private static final FloatVector K_Q4 = FloatVector.broadcast(S, 0.305215060710907f);
    private static final FloatVector K_Q3 = FloatVector.broadcast(S, -0.015341836027801037f);
    private static final FloatVector K_Q2 = FloatVector.broadcast(S, 0.3864058554172516f);
    private static final FloatVector K_Q1 = FloatVector.broadcast(S, 0.9998125433921814f);
    private static final FloatVector K_Q0 = FloatVector.broadcast(S, -1.9587039947509766f);

    /** 13f's bits plus one: ax's bits minus it are negative exactly where 0 ≤ ax ≤ 13 (see normalTail). */
    private static final IntVector K_NEAR_LIMIT = IntVector.broadcast(S.withLanes(int.class), Float.floatToRawIntBits(13f) + 1);

    /**
     * Φ(−|x|) = erfc(|x|/√2)/2, the normal distribution's tail, for ax = |x| (0 for +Inf and past
     * |x| = 13, where Φ falls under 1e-38; NaN lanes give 0 or NaN: GELU multiplies by x, which is NaN
     * there): t·e^(Q(t) − x²/2), t = 1/(1 + z/2).
     * GELU's form of {@link #erfc}, cheaper by a third: the factor ½ lives in Q's constant term,
     * and the exponent −x²/2 + Q(t) is one FMA (−x/2 exact), rounded once, instead of a hi + lo
     * pair carried through the exponential; its rounding, at most 3.8e-6 relative at the far end,
     * is the main error term (4.3e-6 relative at most over the normal range, checked in float
     * against 30-digit erfc; 2.6e-6 for |x| &lt; 9; measured with Q by Horner's scheme, and
     * {@code VectorActivationsTest} holds the Estrin form below to 5e-6).
     */
    static FloatVector normalTail(FloatVector ax) {
        // Lanes past 13 are evaluated at 0 and zeroed at the end, both through one integer mask (all
        // ones where ax ≤ 13, from the sign of bits − bits(13) − 1): a compare and two blends took
        // six instructions on JDK 17 (the mask goes to a vector and back for each blend), this four,
        // each of one cycle. Far lanes are not evaluated at 13 itself: the result there is subnormal
        // (see erfc).
        IntVector bits = ax.reinterpretAsInts();
        IntVector near = bits.sub(K_NEAR_LIMIT).lanewise(VectorOperators.ASHR, 31);
        FloatVector xc = bits.and(near).reinterpretAsFloats();
        FloatVector t = K_1F.div(xc.fma(0.35355339059327376f, 1f));   // 1/(1 + z/2), z = |x|/√2
        FloatVector t2 = t.mul(t);                                     // Q by Estrin's scheme (see expPolyMinus1)
        FloatVector q = t.fma(K_Q7, K_Q6).fma(t2, t.fma(K_Q5, K_Q4))
                .fma(t2.mul(t2), t.fma(K_Q3, K_Q2).fma(t2, t.fma(K_Q1, K_Q0)));
        FloatVector arg = xc.mul(-0.5f).fma(xc, q);                   // −x²/2 + Q(t) ∈ [−87, −0.69]
        return t.mul(expNonPositive(arg)).reinterpretAsInts().and(near).reinterpretAsFloats();
    }

    /**
     * e^a for a in [−87, 0] (so 2ⁿ is one normal factor): {@link #exp} without its clamps and split
     * scale, the reduction's low part and the scale each one FMA ((p + 1)·2ⁿ = p·2ⁿ + 2ⁿ, rounded once).
     */
    private static FloatVector expNonPositive(FloatVector a) {
        FloatVector t = a.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(K__LN2_LO, n.fma(K__LN2_HI, a));
        FloatVector s = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).fma(s, s);
    }

    /**
     * e^(xh + xl) for a sum the float xh + xl would round too coarsely (erfc: xh = −z² down to −87,
     * whose ulp would cost 4e-6 relative): n comes from the rounded sum, the reduced argument from
     * (xh − n·ln2_hi), exact by Sterbenz, plus xl. Domain: xh + xl in [−88, 0] (one exponent
     * factor suffices there; results below FLT_MIN lose bits, down to −103 where they are 0).
     */
    private static FloatVector expHiLo(FloatVector xh, FloatVector xl) {
        FloatVector t = xh.add(xl).fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(K__LN2_HI, xh).add(xl).sub(n.mul(LN2_LO));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS - 127);
        FloatVector s = ni.max(0).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return expPolyMinus1(r).add(1f).mul(s);
    }

    /**
     * erf x: for |x| < 0.5 its Maclaurin series to x¹⁵ (relative error below 1e-8 there), beyond it
     * sign(x)·(1 − erfc|x|) (absolute error ≤ 1.2e-7 on a value ≥ 0.52). GELU uses {@link #erfc} directly.
     */
    static FloatVector erf(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector series = x2.fma(-1f / 75600f, 1f / 9360f)           // coefficients of x^(2n+1): (−1)ⁿ/(n!(2n+1))
                .fma(x2, K__1F___1320F)
                .fma(x2, K_1F___216F)
                .fma(x2, K__1F___42F)
                .fma(x2, K_1F___10F)
                .fma(x2, K__1F___3F)
                .fma(x2, K_1F)
                .mul(x).mul(1.1283791670955126f);
        FloatVector far = copySign(K_1F.sub(erfc(x.abs())), x);
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
                .fma(s2, K_2F___13)
                .fma(s2, K_2F___11)
                .fma(s2, K_2F___9)
                .fma(s2, K_2F___7)
                .fma(s2, K_2F___5)
                .fma(s2, K_2F___3);
        return p.mul(s2).fma(s, s.mul(2f));
    }
}
