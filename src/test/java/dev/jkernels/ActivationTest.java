package dev.jkernels;

import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Java definition of every activation ({@link Activation}) against the independent reference
 * in the test code (own erf, own sigmoid, derivatives in x), over a dense grid with the extremes;
 * the derivative against finite differences; names, parameters and their checks.
 */
class ActivationTest {

    static List<Activation> activations() { return ActivationCatalog.all(); }

    /** [−20, 20] every 1/512, plus ±90, ±1000, ±3.4e38 and values around the kinks. */
    static double[] grid() {
        int n = 40 * 512 + 1;
        double[] extra = {-90, 90, -1000, 1000, -3.4e38, 3.4e38, 0, -0.0, 1e-300, -1e-300, 6, 3, -3,
                Math.nextUp(6.0), Math.nextDown(6.0), Math.nextUp(0.0), 5.999, 6.001, -2.999, 2.999};
        double[] x = new double[n + extra.length];
        for (int i = 0; i < n; i++) x[i] = -20 + i / 512.0;
        System.arraycopy(extra, 0, x, n, extra.length);
        return x;
    }

    private static void close(String what, double got, double expected, double atol, double rtol) {
        if (!(Math.abs(got - expected) <= atol + rtol * Math.abs(expected))) {
            fail(what + ": got " + got + ", expected " + expected + " (|diff| " + Math.abs(got - expected) + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void forwardMatchesReference(Activation act) {
        for (double x : grid()) {
            double y = act.apply(x);
            assertFalse(Double.isNaN(y), act + "(" + x + ") is NaN");
            // atol 1e-14: GELU's 1 + erf(x/√2) cancels for x below about −8 (as in PyTorch), leaving ±0
            // where the true value is below 1e-15
            close(act + "(" + x + ")", y, Reference.activation(act, x), 1e-14, 1e-13);
            float yf = act.apply((float) x);
            if (Math.abs(x) < 1e30) close(act + "(float " + (float) x + ")", yf, Reference.activation(act, (float) x), 1e-14, 1.2e-7);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void derivativeMatchesReference(Activation act) {
        boolean fromOutput = act.kind().backwardInput() == Activation.BackwardInput.OUTPUT;
        for (double x : grid()) {
            double saved = fromOutput ? act.apply(x) : x;
            double d = act.derivative(saved);
            assertTrue(Double.isFinite(d), act + "'(" + x + ") = " + d);
            // from y, 1 − y loses digits where y is near 1: an absolute 1e-13 allows for that
            close(act + "'(" + x + ")", d, Reference.derivative(act, x), 1e-13, 1e-11);
        }
    }

    /** Central differences of f (double), h = 1e-5·max(1, |x|), away from the kinks. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void derivativeMatchesFiniteDifferences(Activation act) {
        boolean fromOutput = act.kind().backwardInput() == Activation.BackwardInput.OUTPUT;
        for (int i = 0; i <= 4000; i++) {
            double x = -10 + i * 0.005 + 0.0013; // off the grid of kinks
            double h = 1e-5 * Math.max(1, Math.abs(x));
            boolean nearKink = false;
            for (double k : Reference.kinks(act)) nearKink |= Math.abs(x - k) < 2 * h;
            if (nearKink) continue;
            double fd = (act.apply(x + h) - act.apply(x - h)) / (2 * h);
            double d = act.derivative(fromOutput ? act.apply(x) : x);
            close(act + "' vs finite differences at " + x, d, fd, 1e-8, 1e-7);
            float dx = act.backward((float) (fromOutput ? act.apply(x) : x), 2f);
            close(act + " backward(float) at " + x, dx, 2 * fd, 1e-6, 1e-6);
        }
    }

    /** sigmoid, tanh, ELU and softplus at ±90 (and beyond): finite, and the right limits. */
    @Test
    void largeMagnitudes() {
        for (Activation act : List.of(Activation.sigmoid(), Activation.tanh(), Activation.elu(), Activation.softplus(),
                Activation.selu(), Activation.gelu(), Activation.geluTanh(), Activation.silu())) {
            for (double x : new double[] {-90, 90, -1e4, 1e4, -Float.MAX_VALUE, Float.MAX_VALUE}) {
                float y = act.apply((float) x);
                assertFalse(Float.isNaN(y), act + "(" + x + ") is NaN");
                if (Math.abs(x) <= 1e4) assertTrue(Float.isFinite(y), act + "(" + x + ") = " + y);
                float g = act.backward(act.kind().backwardInput() == Activation.BackwardInput.OUTPUT ? y : (float) x, 1f);
                assertTrue(Float.isFinite(g), act + " backward at " + x + " = " + g);
            }
        }
        assertEquals(1f, Activation.sigmoid().apply(90f));
        assertEquals(0f, Activation.sigmoid().apply(-90f), 1e-38f);
        assertEquals(-1f, Activation.tanh().apply(-90f));
        assertEquals(90f, Activation.softplus().apply(90f));
        assertEquals(0f, Activation.softplus().apply(-90f), 1e-38f);
        assertEquals(-1f, Activation.elu().apply(-90f));
        assertEquals((float) (-Activation.SELU_SCALE * Activation.SELU_ALPHA), Activation.selu().apply(-90f));
    }

    /** The reference erf itself against published values (Abramowitz–Stegun table 7.1, 15 digits). */
    @ParameterizedTest(name = "erf({0}) = {1}")
    @CsvSource({
            "0.0, 0.0",
            "0.1, 0.1124629160182849",
            "0.5, 0.5204998778130465",
            "1.0, 0.8427007929497149",
            "1.5, 0.9661051464753108",
            "2.0, 0.9953222650189527",
            "2.5, 0.9995930479825550",
            "3.0, 0.9999779095030014",
            "4.0, 0.9999999845827421",
            "-0.7, -0.6778011938374184",
    })
    void referenceErf(double x, double erf) {
        assertEquals(erf, Reference.erf(x), 2e-15);
        // and GELU(x) = x·Φ(x) with Φ from that erf, in Activation too
        assertEquals(0.5 * x * (1 + Reference.erf(x / Math.sqrt(2))), Activation.gelu().apply(x), 1e-14 * Math.max(1, Math.abs(x)));
    }

    @Test
    void knownValues() {
        assertEquals(0.5, Activation.sigmoid().apply(0.0));
        assertEquals(Math.log(2), Activation.softplus().apply(0.0), 1e-16);
        assertEquals(0.5, Activation.hardSigmoid().apply(0.0));
        assertEquals(1.0, Activation.hardSigmoid().apply(3.0));
        assertEquals(6.0, Activation.relu6().apply(7.0));
        assertEquals(-0.02, Activation.leakyRelu(0.01f).apply(-2.0), 1e-9);
        assertEquals(-0.4, Activation.leakyRelu(0.2f).apply(-2.0), 1e-7);
        assertEquals(0.8413447460685429, Activation.gelu().apply(1.0), 1e-15);     // Φ(1)
        assertEquals(0.8411919906082768, Activation.geluTanh().apply(1.0), 1e-15); // PyTorch approximate='tanh'
        assertEquals(0.7310585786300049, Activation.silu().apply(1.0), 1e-15);
        assertEquals(0.0, Activation.relu().derivative(0.0), "ReLU'(0) = 0, as PyTorch");
    }

    @Test
    void namesParametersAndChecks() {
        assertEquals(Activation.Kind.SILU, Activation.Kind.parse("swish"));
        assertEquals(Activation.Kind.GELU_TANH, Activation.Kind.parse("GELU-TANH"));
        assertEquals(Activation.Kind.IDENTITY, Activation.Kind.parse("linear"));
        assertEquals(Activation.Kind.MISH, Activation.Kind.parse("mish"));
        assertThrows(IllegalArgumentException.class, () -> Activation.Kind.parse("softmax"));
        assertEquals(0.01f, Activation.leakyRelu().alpha());
        assertEquals(1f, Activation.elu().alpha());
        assertEquals(0f, Activation.of(Activation.Kind.RELU, 5f).alpha(), "kinds without alpha drop it");
        assertEquals(Activation.of(Activation.Kind.RELU, 5f), Activation.relu());
        assertNotEquals(Activation.leakyRelu(0.2f), Activation.leakyRelu(0.3f));
        assertEquals("leaky_relu(0.2)", Activation.leakyRelu(0.2f).toString());
        assertThrows(IllegalArgumentException.class, () -> Activation.leakyRelu(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Activation.elu(-1f));
        assertThrows(IllegalArgumentException.class, () -> Activation.of(null));
        for (Activation.Kind k : Activation.Kind.values()) assertEquals(k.ordinal(), k.code());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void arrayFormEqualsScalarFormBitForBit(Activation act) {
        float[] x = {0f, -0f, 1e-30f, -1e-30f, 0.5f, -0.5f, 3f, -3f, 5.999f, 6f, 6.001f, 90f, -90f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] y = new float[x.length + 2];
        float[] padded = new float[x.length + 2];
        System.arraycopy(x, 0, padded, 1, x.length);
        act.apply(padded, y, 1, x.length + 1);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(act.apply(x[i])), Float.floatToIntBits(y[i + 1]),
                    act + " at x=" + x[i] + ": array form " + y[i + 1] + ", scalar form " + act.apply(x[i]));
        }
        assertEquals(0f, y[0], "wrote before the range");
        assertEquals(0f, y[x.length + 1], "wrote after the range");
        act.apply(padded, padded, 1, x.length + 1); // in place
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(y[i + 1]), Float.floatToIntBits(padded[i + 1]), act + " in place at x=" + x[i]);
        }
    }
}
