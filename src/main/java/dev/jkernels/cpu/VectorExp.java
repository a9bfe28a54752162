package dev.jkernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exponentials of the CPU softmax on the Vector API ({@code lanewise(EXP)}: the JDK's vector
 * math stubs, about 1 ulp), so that a softmax costs a few cycles per element instead of one scalar
 * {@code Math.exp} call each; and the channel loops of NHWC pooling (C2 does not vectorise a
 * NaN-propagating float max). Only loaded when {@link CpuBackend#VECTOR_API_AVAILABLE}; sums are
 * float lanes reduced in a fixed order (deterministic).
 */
final class VectorExp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorExp() {}

    /** {@code y[yo+i] = exp(x[xo+i] − m)} for i < n (y may be null: sum only); returns the sum. */
    static float expShifted(float[] x, int xo, float m, float[] y, int yo, int n) {
        FloatVector acc = FloatVector.zero(S);
        FloatVector mv = FloatVector.broadcast(S, m);
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).sub(mv).lanewise(VectorOperators.EXP);
            if (y != null) e.intoArray(y, yo + i);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - m);
            if (y != null) y[yo + i] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code s[i] += exp(x[xo+i] − m[i])} for i < n. */
    static void accumulateExp(float[] x, int xo, float[] m, float[] s, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, m, i)).lanewise(VectorOperators.EXP);
            FloatVector.fromArray(S, s, i).add(e).intoArray(s, i);
        }
        for (; i < n; i++) s[i] += (float) Math.exp(x[xo + i] - m[i]);
    }

    /** {@code y[yo+i] = exp(x[xo+i] − m[i]) · inv[i]} for i < n. */
    static void expScaled(float[] x, int xo, float[] m, float[] inv, float[] y, int yo, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, m, i)).lanewise(VectorOperators.EXP)
                    .mul(FloatVector.fromArray(S, inv, i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = (float) Math.exp(x[xo + i] - m[i]) * inv[i];
    }

    /** {@code acc[i] = max(acc[i], x[xo+i])} for i < n, NaN-propagating (Math.max semantics): NHWC max pooling. */
    static void maxInto(float[] acc, float[] x, int xo, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, acc, i).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] = Math.max(acc[i], x[xo + i]);
    }

    /** {@code acc[i] += x[xo+i]} for i < n: NHWC average pooling. */
    static void addInto(float[] acc, float[] x, int xo, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, acc, i).add(FloatVector.fromArray(S, x, xo + i)).intoArray(acc, i);
        }
        for (; i < n; i++) acc[i] += x[xo + i];
    }
}
