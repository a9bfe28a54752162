package dev.jkernels.cpu;

import static dev.jkernels.cpu.VectorMath.S;

import dev.jkernels.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Every activation's forward and backward as one small Vector API function each, and the loops that
 * run them over array ranges. The scalar twin of each function is its definition in
 * {@link Activation} ({@code apply}, {@code derivative}); {@code VectorActivationsTest} checks one
 * against the other and both against double precision, at NaN, ±Inf, ±0, subnormals and the
 * saturation thresholds.
 *
 * <p>Rules every function here follows:
 * <ul>
 *   <li>Piecewise kinds are masks and blends, never a branch per element: every lane computes every
 *       piece, a compare picks one. Compares are written so that NaN fails them and the NaN lane
 *       falls through to an arithmetic piece, so NaN in gives NaN out.</li>
 *   <li>Backward: NaN in {@code saved} or {@code dy} gives NaN ({@link #nanFrom}); this is stricter
 *       than PyTorch, whose ReLU backward passes dy through at a NaN input.</li>
 *   <li>Parameters arrive as two floats {@code a, b} ({@link #paramA}, {@link #paramB}); a kind that
 *       needs per-channel slopes (PReLU) or a third parameter has no vector form here yet and takes
 *       the scalar fallback.</li>
 * </ul>
 *
 * <p>Adding a kind: write {@code fooFwd(FloatVector x, float a, float b)} and {@code fooBwd(FloatVector
 * saved, FloatVector dy, float a, float b)} below, and add one line for it in each switch of
 * {@link #forward} and {@link #backward}. A kind without a line returns false there, and the caller
 * ({@link ActivationRanges}) runs the scalar definition instead: never wrong, only slower.
 *
 * <p>Why one loop per kind rather than one loop calling a per-kind function object: the Vector API
 * only stays in registers when C2 inlines the whole chain; a shared loop calling many different
 * lambdas becomes megamorphic and every vector is then boxed (10–50× slower).
 */
final class VectorActivations {
    private VectorActivations() {}

    private static final int L = S.length();
    private static final float INV_SQRT_2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286536f;
    private static final float GELU_TANH_C = 0.044715f;
    private static final float SELU_ALPHA = (float) Activation.SELU_ALPHA;
    private static final float SELU_SCALE = (float) Activation.SELU_SCALE;
    private static final float SELU_SCALE_ALPHA = (float) (Activation.SELU_SCALE * Activation.SELU_ALPHA);

    /** The activation's first parameter (LeakyReLU's slope, ELU's α, …); one place to map it. */
    static float paramA(Activation act) { return act.alpha(); }

    /** The activation's second parameter (0 for every kind that has none). */
    static float paramB(Activation act) { return 0f; }

    // ---------------------------------------------------------------- forward, one function per kind

    static FloatVector identityFwd(FloatVector x, float a, float b) { return x; }

    static FloatVector reluFwd(FloatVector x, float a, float b) { return x.blend(0f, x.lt(0f)); }

    static FloatVector leakyReluFwd(FloatVector x, float a, float b) { return x.blend(x.mul(a), x.lt(0f)); }

    static FloatVector eluFwd(FloatVector x, float a, float b) {
        return x.blend(VectorMath.expm1(x).mul(a), x.lt(0f));
    }

    static FloatVector sigmoidFwd(FloatVector x, float a, float b) { return VectorMath.sigmoid(x); }

    static FloatVector tanhFwd(FloatVector x, float a, float b) { return VectorMath.tanh(x); }

    /** x·Φ(x) with Φ from erfc on both sides, so the negative tail keeps its relative precision. */
    static FloatVector geluFwd(FloatVector x, float a, float b) { return x.mul(normalCdf(x)); }

    /** 0.5·x·(1 + tanh u) = x·σ(2u): the same value, without the cancellation of 1 + tanh at −∞. */
    static FloatVector geluTanhFwd(FloatVector x, float a, float b) {
        return x.mul(VectorMath.sigmoid(geluTanhU(x).mul(2f)));
    }

    static FloatVector siluFwd(FloatVector x, float a, float b) { return x.mul(VectorMath.sigmoid(x)); }

    static FloatVector relu6Fwd(FloatVector x, float a, float b) {
        return x.blend(0f, x.lt(0f)).blend(6f, x.compare(VectorOperators.GT, 6f));
    }

    static FloatVector seluFwd(FloatVector x, float a, float b) {
        return x.mul(SELU_SCALE).blend(VectorMath.expm1(x).mul(SELU_SCALE_ALPHA), x.lt(0f));
    }

    /** max(x, 0) + log1p(e^−|x|). */
    static FloatVector softplusFwd(FloatVector x, float a, float b) {
        return x.max(0f).add(VectorMath.log1p(VectorMath.exp(x.abs().neg())));
    }

    static FloatVector hardSigmoidFwd(FloatVector x, float a, float b) {
        FloatVector v = x.fma(1f / 6f, 0.5f);
        return v.blend(0f, v.lt(0f)).blend(1f, v.compare(VectorOperators.GT, 1f));
    }

    // --------------------------------------------------------------- backward, one function per kind
    // saved is x or y = f(x) as the kind's Activation.BackwardInput says; kinks take the left derivative.

    static FloatVector identityBwd(FloatVector s, FloatVector dy, float a, float b) { return dy; }

    static FloatVector reluBwd(FloatVector y, FloatVector dy, float a, float b) {
        return nanFrom(y, dy.blend(0f, y.compare(VectorOperators.LE, 0f)));
    }

    static FloatVector leakyReluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return nanFrom(x, dy.blend(dy.mul(a), x.compare(VectorOperators.LE, 0f)));
    }

    static FloatVector eluBwd(FloatVector x, FloatVector dy, float a, float b) {
        return nanFrom(x, dy.blend(dy.mul(VectorMath.exp(x.min(0f)).mul(a)), x.compare(VectorOperators.LE, 0f)));
    }

    static FloatVector sigmoidBwd(FloatVector y, FloatVector dy, float a, float b) {
        return dy.mul(y).mul(y.neg().add(1f));
    }

    static FloatVector tanhBwd(FloatVector y, FloatVector dy, float a, float b) {
        return dy.mul(y.neg().fma(y, FloatVector.broadcast(S, 1f)));
    }

    /** Φ(x) + x·φ(x). */
    static FloatVector geluBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector pdf = VectorMath.exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
        return dy.mul(x.fma(pdf, normalCdf(x)));
    }

    /** σ(2u) + 2x·σ(2u)·σ(−2u)·u′: 0.5(1 + t) and 0.5x(1 − t²)u′ without cancellation. */
    static FloatVector geluTanhBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector u2 = geluTanhU(x).mul(2f);
        FloatVector s = VectorMath.sigmoid(u2), sn = VectorMath.sigmoidNeg(u2);
        FloatVector du = x.mul(x).fma(3f * GELU_TANH_C * SQRT_2_OVER_PI, SQRT_2_OVER_PI);
        return dy.mul(x.mul(2f).mul(s).mul(sn).fma(du, s));
    }

    /** σ(x)·(1 + x·σ(−x)). */
    static FloatVector siluBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector s = VectorMath.sigmoid(x), sn = VectorMath.sigmoidNeg(x);
        return dy.mul(s.mul(x.fma(sn, FloatVector.broadcast(S, 1f))));
    }

    static FloatVector relu6Bwd(FloatVector x, FloatVector dy, float a, float b) {
        VectorMask<Float> inside = x.compare(VectorOperators.GT, 0f).and(x.lt(6f));
        return nanFrom(x, FloatVector.zero(S).blend(dy, inside));
    }

    static FloatVector seluBwd(FloatVector x, FloatVector dy, float a, float b) {
        FloatVector neg = VectorMath.exp(x.min(0f)).mul(SELU_SCALE_ALPHA);
        return nanFrom(x, dy.mul(SELU_SCALE).blend(dy.mul(neg), x.compare(VectorOperators.LE, 0f)));
    }

    static FloatVector softplusBwd(FloatVector x, FloatVector dy, float a, float b) {
        return dy.mul(VectorMath.sigmoid(x));
    }

    static FloatVector hardSigmoidBwd(FloatVector x, FloatVector dy, float a, float b) {
        VectorMask<Float> inside = x.compare(VectorOperators.GT, -3f).and(x.lt(3f));
        return nanFrom(x, FloatVector.zero(S).blend(dy.mul(1f / 6f), inside));
    }

    // ------------------------------------------------------------------------------------ shared pieces

    /** r, except NaN wherever {@code in} is NaN. */
    private static FloatVector nanFrom(FloatVector in, FloatVector r) {
        return r.blend(in, in.test(VectorOperators.IS_NAN));
    }

    /** Φ(x) = erfc(−x/√2)/2: 1 − erfc(|x|/√2)/2 for x ≥ 0, erfc(|x|/√2)/2 for x < 0. */
    private static FloatVector normalCdf(FloatVector x) {
        FloatVector half = VectorMath.erfc(x.abs().mul(INV_SQRT_2)).mul(0.5f);
        return half.neg().add(1f).blend(half, x.lt(0f));
    }

    /** √(2/π)·(x + 0.044715·x³). */
    private static FloatVector geluTanhU(FloatVector x) {
        return x.mul(x).fma(GELU_TANH_C, 1f).mul(x).mul(SQRT_2_OVER_PI);
    }

    // ------------------------------------------------------------------------------------------- loops

    /**
     * y[i] = f(x[i]) for from ≤ i < to ({@code y} may be {@code x}). Full vectors, then one masked
     * vector for the tail, so every element gets the same vector formula. False when the kind has no
     * vector form (nothing is written then).
     */
    static boolean forward(Activation act, float[] x, float[] y, int from, int to) {
        float a = paramA(act), b = paramB(act);
        int i = from, end = from + (to - from) / L * L;
        VectorMask<Float> m = S.indexInRange(0, (to - from) % L);
        switch (act.kind()) {
            case IDENTITY:
                if (x != y) System.arraycopy(x, from, y, from, to - from);
                return true;
            case RELU:         for (; i < end; i += L) reluFwd(ld(x, i), a, b).intoArray(y, i);        if (i < to) reluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case LEAKY_RELU:   for (; i < end; i += L) leakyReluFwd(ld(x, i), a, b).intoArray(y, i);   if (i < to) leakyReluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case ELU:          for (; i < end; i += L) eluFwd(ld(x, i), a, b).intoArray(y, i);         if (i < to) eluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case SIGMOID:      for (; i < end; i += L) sigmoidFwd(ld(x, i), a, b).intoArray(y, i);     if (i < to) sigmoidFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case TANH:         for (; i < end; i += L) tanhFwd(ld(x, i), a, b).intoArray(y, i);        if (i < to) tanhFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case GELU:         for (; i < end; i += L) geluFwd(ld(x, i), a, b).intoArray(y, i);        if (i < to) geluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case GELU_TANH:    for (; i < end; i += L) geluTanhFwd(ld(x, i), a, b).intoArray(y, i);    if (i < to) geluTanhFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case SILU:         for (; i < end; i += L) siluFwd(ld(x, i), a, b).intoArray(y, i);        if (i < to) siluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case RELU6:        for (; i < end; i += L) relu6Fwd(ld(x, i), a, b).intoArray(y, i);       if (i < to) relu6Fwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case SELU:         for (; i < end; i += L) seluFwd(ld(x, i), a, b).intoArray(y, i);        if (i < to) seluFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case SOFTPLUS:     for (; i < end; i += L) softplusFwd(ld(x, i), a, b).intoArray(y, i);    if (i < to) softplusFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            case HARD_SIGMOID: for (; i < end; i += L) hardSigmoidFwd(ld(x, i), a, b).intoArray(y, i); if (i < to) hardSigmoidFwd(ld(x, i, m), a, b).intoArray(y, i, m); return true;
            default: return false;
        }
    }

    /** dx[i] = dy[i]·f′(saved[i]) for from ≤ i < to; false when the kind has no vector form. */
    static boolean backward(Activation act, float[] s, float[] g, float[] dx, int from, int to) {
        float a = paramA(act), b = paramB(act);
        int i = from, end = from + (to - from) / L * L;
        VectorMask<Float> m = S.indexInRange(0, (to - from) % L);
        switch (act.kind()) {
            case IDENTITY:
                if (g != dx) System.arraycopy(g, from, dx, from, to - from);
                return true;
            case RELU:         for (; i < end; i += L) reluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);        if (i < to) reluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case LEAKY_RELU:   for (; i < end; i += L) leakyReluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);   if (i < to) leakyReluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case ELU:          for (; i < end; i += L) eluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);         if (i < to) eluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case SIGMOID:      for (; i < end; i += L) sigmoidBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);     if (i < to) sigmoidBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case TANH:         for (; i < end; i += L) tanhBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);        if (i < to) tanhBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case GELU:         for (; i < end; i += L) geluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);        if (i < to) geluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case GELU_TANH:    for (; i < end; i += L) geluTanhBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);    if (i < to) geluTanhBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case SILU:         for (; i < end; i += L) siluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);        if (i < to) siluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case RELU6:        for (; i < end; i += L) relu6Bwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);       if (i < to) relu6Bwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case SELU:         for (; i < end; i += L) seluBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);        if (i < to) seluBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case SOFTPLUS:     for (; i < end; i += L) softplusBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i);    if (i < to) softplusBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            case HARD_SIGMOID: for (; i < end; i += L) hardSigmoidBwd(ld(s, i), ld(g, i), a, b).intoArray(dx, i); if (i < to) hardSigmoidBwd(ld(s, i, m), ld(g, i, m), a, b).intoArray(dx, i, m); return true;
            default: return false;
        }
    }

    private static FloatVector ld(float[] a, int i) { return FloatVector.fromArray(S, a, i); }

    private static FloatVector ld(float[] a, int i, VectorMask<Float> m) { return FloatVector.fromArray(S, a, i, m); }
}
