package dev.jkernels.cpu;

import dev.jkernels.Activation;
import dev.jkernels.testing.Reference;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Vector API activations ({@link VectorActivations}) and their math ({@link VectorMath}) against
 * double-precision references written here, and against their scalar twins in {@link Activation}:
 * a dense grid, random values over the whole float range, NaN, ±Inf, ±0, subnormals and each
 * function's saturation thresholds, in arrays whose lengths leave every possible masked tail.
 */
class VectorActivationsTest {
    private static final float REL = 1e-5f;
    /** Results in the subnormal range carry fewer bits: an absolute floor a little above FLT_MIN. */
    private static final double ATOL = 1e-37;

    @BeforeAll
    static void needsVectorApi() {
        Assumptions.assumeTrue(CpuBackend.VECTOR_API_AVAILABLE, "Vector API not available: " + CpuBackend.VECTOR_API_REASON);
    }

    static float[] inputs() {
        List<Float> xs = new ArrayList<>();
        for (int i = 0; i <= 4000; i++) xs.add(-20f + 40f * i / 4000);
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL, -Float.MIN_NORMAL,
                1e-30f, -1e-30f, 1e-7f, -1e-7f, 1e-4f, -1e-4f, 3f, -3f, 6f, -6f, Math.nextUp(6f), Math.nextDown(6f),
                Math.nextUp(3f), Math.nextDown(-3f), 9f, -9f, 13.9f, -13.9f, 17.5f, -17.5f, 20f, -20f, 30f, -30f,
                87f, -87f, 88.7f, -88.7f, 88.73f, 89f, -89f, 90f, -90f, -103f, -103.5f, -104f, -110f, 1e4f, -1e4f,
                1e10f, -1e10f, Float.MAX_VALUE, -Float.MAX_VALUE};
        for (float v : special) xs.add(v);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 3000; i++) xs.add((float) ((r.nextBoolean() ? 1 : -1) * Math.exp(r.nextDouble(-90, 25))));
        float[] x = new float[xs.size() + 5];   // + 5: a length that is no multiple of any vector width
        for (int i = 0; i < xs.size(); i++) x[i] = xs.get(i);
        for (int i = xs.size(); i < x.length; i++) x[i] = 0.5f * i / x.length;
        return x;
    }

    /** erfc in double to ~1e-15 relative over [0, 27] (continued fraction beyond 2, 1 − erf below). */
    static double erfc(double z) {
        if (z < 2) return 1 - Reference.erf(z);
        double f = z;
        for (int n = 200; n >= 1; n--) f = z + (n / 2.0) / f;
        return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
    }

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

    static double cdf(double x) { return x < 0 ? 0.5 * erfc(-x / Math.sqrt(2)) : 1 - 0.5 * erfc(x / Math.sqrt(2)); }

    /** The double reference of each kind's forward, written independently of Activation. */
    static double fwdRef(Activation.Kind k, double a, double x) {
        final double c = Math.sqrt(2 / Math.PI);
        return switch (k) {
            case IDENTITY -> x;
            case RELU -> x < 0 ? 0 : x;
            case LEAKY_RELU -> x < 0 ? a * x : x;
            case ELU -> x < 0 ? a * Math.expm1(x) : x;
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case GELU -> Double.isInfinite(x) ? x * cdf(x) : x * cdf(x);
            case GELU_TANH -> x * sigmoid(2 * c * (x + 0.044715 * x * x * x));
            case SILU -> x * sigmoid(x);
            case RELU6 -> Math.min(Math.max(x, 0), 6);
            case SELU -> Activation.SELU_SCALE * (x < 0 ? Activation.SELU_ALPHA * Math.expm1(x) : x);
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            case HARD_SIGMOID -> Math.min(Math.max(x / 6 + 0.5, 0), 1);
            case PRELU -> x > 0 ? x : a * x;
            case HARDSWISH -> x * Math.min(Math.max(x + 3, 0), 6) / 6;
            case MISH -> x * Math.tanh(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
            case CELU -> x < 0 ? a * Math.expm1(x / a) : x;
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case HARDTANH -> x < HARDTANH_MIN ? HARDTANH_MIN : x > HARDTANH_MAX ? HARDTANH_MAX : x;
            case THRESHOLDED_RELU -> x <= a ? 0 : x;
            default -> Double.NaN;
        };
    }

    /** f′ at x (not at the saved value), left derivative at kinks. */
    static double derivRef(Activation.Kind k, double a, double x) {
        final double c = Math.sqrt(2 / Math.PI);
        return switch (k) {
            case IDENTITY -> 1;
            case RELU -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> x > 0 ? 1 : a;
            case ELU -> x > 0 ? 1 : a * Math.exp(x);
            case SIGMOID -> sigmoid(x) * sigmoid(-x);
            case TANH -> 1 / (Math.cosh(x) * Math.cosh(x));
            case GELU -> cdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> {
                double u = 2 * c * (x + 0.044715 * x * x * x);
                yield sigmoid(u) + 2 * x * sigmoid(u) * sigmoid(-u) * c * (1 + 3 * 0.044715 * x * x);
            }
            case SILU -> sigmoid(x) * (1 + x * sigmoid(-x));
            case RELU6 -> x > 0 && x < 6 ? 1 : 0;
            case SELU -> Activation.SELU_SCALE * (x > 0 ? 1 : Activation.SELU_ALPHA * Math.exp(x));
            case SOFTPLUS -> sigmoid(x);
            case HARD_SIGMOID -> x > -3 && x < 3 ? 1.0 / 6 : 0;
            case PRELU -> x > 0 ? 1 : a;
            case HARDSWISH -> x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1;
            case MISH -> {
                double sp = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), t = Math.tanh(sp);
                yield t + x * sigmoid(x) * (1 - t * t);
            }
            case CELU -> x > 0 ? 1 : Math.exp(x / a);
            case SOFTSIGN -> 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x)));
            case HARDTANH -> x > HARDTANH_MIN && x < HARDTANH_MAX ? 1 : 0;
            case THRESHOLDED_RELU -> x > a ? 1 : 0;
            default -> Double.NaN;
        };
    }

    static boolean hasVectorForm(Activation.Kind k) {
        return VectorActivations.forward(Activation.of(k), new float[1], new float[1], 0, 1);
    }

    static final float HARDTANH_MIN = -0.5f, HARDTANH_MAX = 2f;

    static Activation withParam(Activation.Kind k) {
        return switch (k) {
            case ELU, CELU -> Activation.of(k, 0.7f);
            case LEAKY_RELU, PRELU -> Activation.of(k, 0.2f);
            case THRESHOLDED_RELU -> Activation.of(k, 0.3f);
            case HARDTANH -> Activation.of(k, HARDTANH_MIN, HARDTANH_MAX);
            default -> Activation.of(k);   // the others at their defaults, which the references below spell out
        };
    }

    static boolean exactKind(Activation.Kind k) {
        return switch (k) { case IDENTITY, RELU, LEAKY_RELU, RELU6, PRELU, HARDTANH, THRESHOLDED_RELU -> true; default -> false; };
    }

    @ParameterizedTest
    @EnumSource(Activation.Kind.class)
    void forwardMatchesDoubleAndScalarTwin(Activation.Kind k) {
        Assumptions.assumeTrue(hasVectorForm(k), k + " has no vector form (scalar fallback)");
        Activation act = withParam(k);
        float[] x = inputs();
        for (int from : new int[] {0, 1, 3}) {           // every tail length: different starts and ends
            float[] y = new float[x.length];
            int to = x.length - from;
            assertTrue(VectorActivations.forward(act, x, y, from, to));
            for (int i = from; i < to; i++) {
                double ref = (float) fwdRef(k, act.alpha(), x[i]);   // rounded: scale·FLT_MAX is +Inf in float
                String at = act + "(" + x[i] + ")";
                if (Double.isNaN(ref)) {
                    if (!Float.isNaN(y[i])) fail(at + " = " + y[i] + ", expected NaN");
                    continue;
                }
                if (Double.isInfinite(ref) ? y[i] != ref : !(Math.abs(y[i] - ref) <= ATOL + REL * Math.abs(ref))) {   // NaN fails
                    fail(at + " = " + y[i] + ", double gives " + ref);
                }
                if (Float.isFinite(x[i]) && (exactKind(k) || Math.abs(ref) > 1e-6)) {   // the twins cancel in the deep tails
                    float twin = act.apply(x[i]);
                    double tol = exactKind(k) ? 0 : 2 * (ATOL + REL * Math.abs(twin));
                    if (y[i] != twin && !(Math.abs(y[i] - twin) <= tol)) fail(at + " = " + y[i] + ", scalar twin gives " + twin);
                }
            }
            for (int i = 0; i < from; i++) assertEquals(0f, y[i], "written outside the range");
            for (int i = to; i < x.length; i++) assertEquals(0f, y[i], "written outside the range");
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.Kind.class)
    void backwardMatchesDouble(Activation.Kind k) {
        Assumptions.assumeTrue(hasVectorForm(k), k + " has no vector form (scalar fallback)");
        Activation act = withParam(k);
        float[] x = inputs();
        float[] saved = x.clone();
        if (k.backwardInput() == Activation.BackwardInput.OUTPUT) VectorActivations.forward(act, x, saved, 0, x.length);
        float[] dy = new float[x.length], dx = new float[x.length];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextDouble(-2, 2);
        Assumptions.assumeTrue(VectorActivations.backward(act, saved, dy, dx, 0, x.length), k + ": no vector backward");
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) continue;
            double ref;
            if (k.backwardInput() == Activation.BackwardInput.OUTPUT) {
                double y = saved[i];   // f′ from the float y, as the kernel sees it
                ref = dy[i] * (k == Activation.Kind.RELU ? (y > 0 ? 1 : 0) : k == Activation.Kind.SIGMOID ? y * (1 - y) : 1 - y * y);
            } else {
                ref = dy[i] * derivRef(k, act.alpha(), x[i]);
            }
            String at = act + "'(" + x[i] + ") dy=" + dy[i];
            if (Double.isNaN(ref)) {
                if (!Float.isNaN(dx[i])) fail(at + " = " + dx[i] + ", expected NaN");
                continue;
            }
            // f′ crosses 0 (GELU at −0.75): relative error is measured against the size of dy too.
            double tol = ATOL + REL * Math.abs(ref) + 2e-7 * Math.abs(dy[i]);
            if (!(Math.abs(dx[i] - ref) <= tol)) fail(at + " = " + dx[i] + ", double gives " + ref);
            float twin = act.backward(saved[i], dy[i]);
            if (exactKind(k) && dx[i] != twin) fail(at + " = " + dx[i] + ", scalar twin gives " + twin);
        }
    }

    /** NaN in x, y or dy gives NaN out; ±Inf give PyTorch's values (torch 1.13 here, 2026-12-01). */
    @ParameterizedTest
    @EnumSource(Activation.Kind.class)
    void nanAndInfinities(Activation.Kind k) {
        Assumptions.assumeTrue(hasVectorForm(k), k + " has no vector form (scalar fallback)");
        Activation act = Activation.of(k);
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, Float.NaN};
        float[] y = new float[x.length];
        VectorActivations.forward(act, x, y, 0, x.length);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[4]), act + "(NaN) = " + y[0]);
        float[][] torchInf = {
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, // identity
                {Float.POSITIVE_INFINITY, 0f},                      // relu
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, // leaky_relu
                {Float.POSITIVE_INFINITY, -1f},                     // elu
                {1f, 0f},                                           // sigmoid
                {1f, -1f},                                          // tanh
                {Float.POSITIVE_INFINITY, Float.NaN},               // gelu
                {Float.POSITIVE_INFINITY, Float.NaN},               // gelu_tanh
                {Float.POSITIVE_INFINITY, Float.NaN},               // silu
                {6f, 0f},                                           // relu6
                {Float.POSITIVE_INFINITY, -1.7580993f},             // selu
                {Float.POSITIVE_INFINITY, 0f},                      // softplus
                {1f, 0f},                                           // hard_sigmoid
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, // prelu
                {Float.POSITIVE_INFINITY, Float.NaN},               // hardswish
                {Float.POSITIVE_INFINITY, Float.NaN},               // mish
                {Float.POSITIVE_INFINITY, -1f},                     // celu
                {Float.NaN, Float.NaN},                             // softsign
                {1f, -1f},                                          // hardtanh
                {Float.POSITIVE_INFINITY, 0f}};                     // thresholded_relu
        if (k.ordinal() < torchInf.length) {
            assertEquals(torchInf[k.ordinal()][0], y[1], 1e-6f, act + "(+Inf)");
            assertEquals(torchInf[k.ordinal()][1], y[2], 1e-6f, act + "(-Inf)");
        }
        float[] ones = {1f, 1f, 1f, Float.NaN, 1f};
        float[] dx = new float[x.length];
        if (!VectorActivations.backward(act, x, ones, dx, 0, x.length)) return;
        if (k != Activation.Kind.IDENTITY) assertTrue(Float.isNaN(dx[0]) && Float.isNaN(dx[4]), act + "' at NaN saved = " + dx[0]);
        if (Float.isNaN(act.backward(1f, Float.NaN))) {   // x = 1 on a flat piece (hardtanh's max, a threshold): 0 whatever dy
            assertTrue(Float.isNaN(dx[3]), act + "' with NaN dy = " + dx[3]);
        } else {
            assertEquals(0f, dx[3], act + "' on its flat piece with NaN dy");
        }
    }

    /**
     * Short and odd lengths (1, primes, 65, 127, 129: every tail, and ranges shorter than one
     * vector), a NaN at the last element, against the double references; nothing written past the range.
     */
    @ParameterizedTest
    @EnumSource(Activation.Kind.class)
    void oddLengthsAndTails(Activation.Kind k) {
        Assumptions.assumeTrue(hasVectorForm(k), k + " has no vector form (scalar fallback)");
        Activation act = withParam(k);
        SplittableRandom r = new SplittableRandom(11 + k.ordinal());
        for (int n : new int[] {1, 2, 3, 5, 7, 13, 17, 31, 65, 127, 129}) {
            float[] x = new float[n + 3], y = new float[n + 3], dy = new float[n + 3], dx = new float[n + 3];
            for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextDouble(-8, 8); dy[i] = (float) r.nextDouble(-2, 2); }
            x[n - 1] = Float.NaN;
            float[] saved = x.clone();
            assertTrue(VectorActivations.forward(act, x, y, 0, n));
            if (k.backwardInput() == Activation.BackwardInput.OUTPUT) System.arraycopy(y, 0, saved, 0, n);
            boolean bwd = VectorActivations.backward(act, saved, dy, dx, 0, n);
            for (int i = 0; i < n; i++) {
                String at = act + " n=" + n + " at " + i + " x=" + x[i];
                double ref = (float) fwdRef(k, act.alpha(), x[i]);
                if (Double.isNaN(ref)) {
                    assertTrue(Float.isNaN(y[i]), at + ": " + y[i] + ", expected NaN");
                } else if (!(Math.abs(y[i] - ref) <= ATOL + REL * Math.abs(ref))) {
                    fail(at + ": " + y[i] + ", double gives " + ref);
                }
                if (!bwd) continue;
                double dref = k.backwardInput() == Activation.BackwardInput.OUTPUT
                        ? dy[i] * act.derivative((double) saved[i]) : dy[i] * derivRef(k, act.alpha(), x[i]);
                if (Float.isNaN(x[i])) {
                    if (k != Activation.Kind.IDENTITY) assertTrue(Float.isNaN(dx[i]), at + ": dx " + dx[i] + ", expected NaN");
                } else if (!(Math.abs(dx[i] - dref) <= ATOL + REL * Math.abs(dref) + 2e-7 * Math.abs(dy[i]))) {
                    fail(at + ": dx " + dx[i] + ", double gives " + dref);
                }
            }
            for (int i = n; i < x.length; i++) {
                assertEquals(0f, y[i], act + " n=" + n + ": y written past the range");
                if (bwd) assertEquals(0f, dx[i], act + " n=" + n + ": dx written past the range");
            }
        }
    }

    /**
     * HardSigmoid's backward mask is decided in double (0 &lt; a·x + b &lt; 1 with a·x exact): the
     * vector form must agree with the scalar one bit for bit at and around the kinks, where a float
     * fma would round (x just below 3 with a = 1/6 gives a·x + b = 1 − 2.5e-8).
     */
    @Test
    void hardSigmoidBackwardMaskIsTheScalarOne() {
        for (Activation act : new Activation[] {Activation.hardSigmoid(), Activation.hardSigmoidOnnx(), Activation.hardSigmoid(0.3f, 0.1f)}) {
            List<Float> xs = new ArrayList<>();
            for (float k : new float[] {3f, -3f, 2.5f, -2.5f, (1 - act.b()) / act.a(), -act.b() / act.a()}) {
                float v = k;
                for (int i = 0; i < 40; i++) v = Math.nextDown(v);
                for (int i = 0; i < 80; i++) { xs.add(v); v = Math.nextUp(v); }
            }
            for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f}) xs.add(v);
            float[] x = new float[xs.size()], dy = new float[x.length], dx = new float[x.length];
            for (int i = 0; i < x.length; i++) { x[i] = xs.get(i); dy[i] = 1f + i % 7; }
            dy[3] = Float.NaN;
            assertTrue(VectorActivations.backward(act, x, dy, dx, 0, x.length));
            for (int i = 0; i < x.length; i++) {
                float twin = act.backward(x[i], dy[i]);
                if (Float.floatToIntBits(twin) != Float.floatToIntBits(dx[i])) {
                    fail(act + "'(" + x[i] + ") dy=" + dy[i] + " = " + dx[i] + ", scalar gives " + twin);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the math functions themselves

    private static void checkMath(String name, UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, double lo, double hi,
                                  double rel) {
        int n = 20011;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + (hi - lo) * i / (n - 1));
        int w = VectorMath.S.length();
        for (int i = 0; i + w <= n; i += w) f.apply(FloatVector.fromArray(VectorMath.S, x, i)).intoArray(y, i);
        for (int i = 0; i + w <= n; i++) {
            if (i >= n / w * w) break;
            double r = ref.applyAsDouble(x[i]);
            if (!(Math.abs(y[i] - r) <= 1e-38 + rel * Math.abs(r))) fail(name + "(" + x[i] + ") = " + y[i] + ", double gives " + r);
        }
    }

    @Test
    void mathFunctionsMatchDouble() {
        checkMath("exp", VectorMath::exp, Math::exp, -103, 88.7, 5e-7);
        checkMath("expm1", VectorMath::expm1, Math::expm1, -88, 88, 5e-7);
        checkMath("expm1 near 0", VectorMath::expm1, Math::expm1, -1e-3, 1e-3, 5e-7);
        checkMath("tanh", VectorMath::tanh, Math::tanh, -12, 12, 5e-7);
        checkMath("tanh near 0", VectorMath::tanh, Math::tanh, -1e-3, 1e-3, 5e-7);
        checkMath("sigmoid", VectorMath::sigmoid, VectorActivationsTest::sigmoid, -100, 100, 1e-6);
        checkMath("erfc", VectorMath::erfc, VectorActivationsTest::erfc, 0, 9.3, 1e-6);
        // GELU's tail: 4.3e-6 relative at most in the normal range (its exponent rounded once), 0 past 13.
        checkMath("normalTail", VectorMath::normalTail, x -> 0.5 * erfc(x / Math.sqrt(2)), 0, 12.9, 5e-6);
        checkMath("normalTail near 0", VectorMath::normalTail, x -> 0.5 * erfc(x / Math.sqrt(2)), 0, 1e-3, 1e-6);
        checkMath("normalTail past 13", VectorMath::normalTail, x -> 0, 13.0001, 1e6, 0);
        checkMath("erf", VectorMath::erf, Reference::erf, -5, 5, 1e-6 /* relative to 1: see below */);
        checkMath("log1p", VectorMath::log1p, Math::log1p, 0, 1, 5e-7);
        checkMath("log1p near 0", VectorMath::log1p, Math::log1p, 0, 1e-5, 5e-7);
    }

    @Test
    void expLimits() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 89f, -104f, -103f, 0f, -0f,
                Float.MIN_VALUE, 88.72f, 88.73f, -87.5f, 1f, 2f, 3f, 4f};
        float[] y = new float[16];
        int w = VectorMath.S.length();
        for (int i = 0; i + w <= 16; i += w) VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, i)).intoArray(y, i);
        if (w > 16) return;
        assertTrue(Float.isNaN(y[0]));
        assertEquals(Float.POSITIVE_INFINITY, y[1]);
        assertEquals(0f, y[2]);
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
        assertEquals(0f, y[4]);
        assertEquals((float) Math.exp(-103), y[5], Float.MIN_VALUE * 2);
        assertEquals(1f, y[6]);
        assertEquals(1f, y[7]);
        assertEquals(Float.POSITIVE_INFINITY, y[10]);
        assertEquals((float) Math.exp(88.72f), y[9], 1e32f);
    }
}
