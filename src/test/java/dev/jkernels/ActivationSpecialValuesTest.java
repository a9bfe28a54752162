package dev.jkernels;

import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.PyTorchSpecialValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java definitions' float forms ({@link Activation#apply(float)}, {@link Activation#backward})
 * against PyTorch's values at NaN, ±Inf, ±0, subnormals, the saturation thresholds and the largest
 * floats, and the NaN/Inf rule of {@link Activation}'s class comment, kind by kind.
 */
class ActivationSpecialValuesTest {

    static List<String> keys() { return PyTorchSpecialValues.keys(); }

    static List<Activation> activations() { return ActivationCatalog.all(); }

    private static float[] saved(Activation act, float[] x, float[] y) {
        return act.kind().backwardInput() == Activation.BackwardInput.OUTPUT ? y : x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void matchesPyTorch(String key) {
        PyTorchSpecialValues.Table t = PyTorchSpecialValues.get(key);
        Activation act = t.activation();
        int n = t.x().length;
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = act.apply(t.x()[i]);
        PyTorchSpecialValues.checkForward("cpu definition", t, y);
        float[] s = saved(act, t.x(), y);
        float[] dys = PyTorchSpecialValues.dys();
        float[] unit = new float[n];
        for (int i = 0; i < n; i++) unit[i] = act.backward(s[i], 1f);
        for (int d = 0; d < dys.length; d++) {
            float[] dx = new float[n];
            for (int i = 0; i < n; i++) dx[i] = act.backward(s[i], dys[d]);
            PyTorchSpecialValues.checkBackward("cpu definition", t, d, dx, unit);
        }
    }

    /** Every key of the table is an activation of the catalog, and every kind has a table. */
    @Test
    void tableCoversEveryKind() {
        java.util.Set<Activation.Kind> covered = java.util.EnumSet.noneOf(Activation.Kind.class);
        for (PyTorchSpecialValues.Table t : PyTorchSpecialValues.all()) covered.add(t.activation().kind());
        assertEquals(java.util.EnumSet.allOf(Activation.Kind.class), covered);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void nanInNanOut(Activation act) {
        assertTrue(Float.isNaN(act.apply(Float.NaN)), act + "(NaN) = " + act.apply(Float.NaN));
        assertTrue(Double.isNaN(act.apply(Double.NaN)), act + "(NaN) in double");
        float[] x = {1f, Float.NaN, -1f, Float.NaN, 0f};
        float[] y = new float[x.length];
        act.apply(x, y, 0, x.length);
        assertTrue(Float.isNaN(y[1]) && Float.isNaN(y[3]), act + " array form keeps NaN");
        if (!act.isIdentity()) {
            for (float dy : new float[] {1f, 0f, Float.POSITIVE_INFINITY}) {
                assertTrue(Float.isNaN(act.backward(Float.NaN, dy)), act + " backward at saved NaN, dy " + dy);
            }
        }
    }

    /** Finite x: never NaN forward, never NaN backward for finite dy (huge dy included). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void finiteInputsNeverGiveNaN(Activation act) {
        float[] xs = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, 3f, -3f, 6f, 20f, -20f, 88.8f, -88.8f,
                1e4f, -1e4f, 5e19f, -5e19f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE};
        for (float x : xs) {
            float y = act.apply(x);
            assertTrue(!Float.isNaN(y), act + "(" + x + ") = NaN");
            float saved = act.kind().backwardInput() == Activation.BackwardInput.OUTPUT ? y : x;
            for (float dy : new float[] {1f, -1f, Float.MAX_VALUE, -Float.MAX_VALUE}) {
                float dx = act.backward(saved, dy);
                assertTrue(!Float.isNaN(dx), act + " backward at " + x + ", dy " + dy + " = NaN");
            }
            assertTrue(Float.isFinite(act.backward(saved, 1f)), act + "'(" + x + ") not finite");
        }
    }

    /** Where f′ = 0 by definition, dx is exactly 0 whatever dy holds. */
    @Test
    void flatPiecesMaskTheGradient() {
        Object[][] cases = {
                {Activation.relu(), new float[] {0f, -0f}},  // from y: y = 0 for every x <= 0
                {Activation.relu6(), new float[] {-1f, 0f, 6f, 7f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}},
                {Activation.hardtanh(-2f, 0.5f), new float[] {-2f, -3f, 0.5f, 9f}},
                {Activation.hardSigmoid(), new float[] {-3f, 3f, -4f, 4f, 1e30f}},
                {Activation.hardSigmoidOnnx(), new float[] {-2.5f, 2.5f, -4f, 4f}},
                {Activation.hardswish(), new float[] {-3.0001f, -4f, -1e30f, Float.NEGATIVE_INFINITY}},
                {Activation.thresholdedRelu(0.7f), new float[] {0.7f, 0f, -5f, Float.NEGATIVE_INFINITY}},
        };
        for (Object[] c : cases) {
            Activation act = (Activation) c[0];
            for (float x : (float[]) c[1]) {
                for (float dy : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, 1f}) {
                    assertEquals(0f, Math.abs(act.backward(x, dy)), act + " backward at " + x + " with dy " + dy);
                }
            }
        }
    }

    @Test
    void edgeCasesFromTheIssue() {
        // GELU-tanh backward where x³ overflows float: the limits 1 and 0, not NaN
        for (float x : new float[] {5e19f, 1e30f, Float.MAX_VALUE}) {
            assertEquals(1f, Activation.geluTanh().backward(x, 1f), "gelu_tanh'(" + x + ")");
            assertEquals(0f, Math.abs(Activation.geluTanh().backward(-x, 1f)), "gelu_tanh'(" + -x + ")");
        }
        // SELU backward with dy near Float.MAX_VALUE where f′ < 1: finite
        float dx = Activation.selu().backward(-1f, Float.MAX_VALUE);
        assertTrue(Float.isFinite(dx) && dx > 0, "selu backward at -1 with dy MAX = " + dx);
        assertEquals((float) (Float.MAX_VALUE * Activation.SELU_SCALE * Activation.SELU_ALPHA * Math.exp(-1)), dx,
                Math.ulp(dx) * 2);
        // ReLU: NaN forward, and backward from a NaN y
        assertTrue(Float.isNaN(Activation.relu().apply(Float.NaN)));
        assertTrue(Float.isNaN(Activation.relu().backward(Float.NaN, 1f)));
        assertEquals(0f, Activation.relu().backward(0f, Float.NaN));
    }
}
