package dev.jkernels;

import dev.jkernels.Activation.Framework;
import dev.jkernels.Activation.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names as Keras, PyTorch and ONNX spell them, each framework's defaults, and the parameter checks. */
class ActivationNamesTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            // framework, name, kind, a, b
            "KERAS, relu, RELU, 0, 0",
            "KERAS, linear, IDENTITY, 0, 0",
            "KERAS, leaky_relu, LEAKY_RELU, 0.2, 0",
            "KERAS, LeakyReLU, LEAKY_RELU, 0.3, 0",
            "KERAS, elu, ELU, 1, 0",
            "KERAS, swish, SILU, 1, 0",
            "KERAS, silu, SILU, 1, 0",
            "KERAS, gelu, GELU, 0, 0",
            "KERAS, hard_sigmoid, HARD_SIGMOID, 0.2, 0.5",
            "KERAS, hard_silu, HARDSWISH, 0, 0",
            "KERAS, hard_swish, HARDSWISH, 0, 0",
            "KERAS, softplus, SOFTPLUS, 1, Infinity",
            "KERAS, softsign, SOFTSIGN, 0, 0",
            "KERAS, relu6, RELU6, 0, 0",
            "KERAS, mish, MISH, 0, 0",
            "KERAS, celu, CELU, 1, 0",
            "KERAS, hard_tanh, HARDTANH, -1, 1",
            "KERAS, ThresholdedReLU, THRESHOLDED_RELU, 1, 0",
            "KERAS, PReLU, PRELU, 0, 0",
            "PYTORCH, ReLU, RELU, 0, 0",
            "PYTORCH, LeakyReLU, LEAKY_RELU, 0.01, 0",
            "PYTORCH, leaky_relu, LEAKY_RELU, 0.01, 0",
            "PYTORCH, Hardswish, HARDSWISH, 0, 0",
            "PYTORCH, Hardsigmoid, HARD_SIGMOID, 0.16666667, 0.5",
            "PYTORCH, Softplus, SOFTPLUS, 1, 20",
            "PYTORCH, SELU, SELU, 1.6732632, 1.050701",
            "PYTORCH, SiLU, SILU, 1, 0",
            "PYTORCH, GELU, GELU, 0, 0",
            "PYTORCH, gelu_tanh, GELU_TANH, 0, 0",
            "PYTORCH, Hardtanh, HARDTANH, -1, 1",
            "PYTORCH, PReLU, PRELU, 0.25, 0",
            "PYTORCH, CELU, CELU, 1, 0",
            "PYTORCH, Mish, MISH, 0, 0",
            "PYTORCH, Softsign, SOFTSIGN, 0, 0",
            "PYTORCH, ReLU6, RELU6, 0, 0",
            "ONNX, Relu, RELU, 0, 0",
            "ONNX, LeakyRelu, LEAKY_RELU, 0.01, 0",
            "ONNX, HardSigmoid, HARD_SIGMOID, 0.2, 0.5",
            "ONNX, HardSwish, HARDSWISH, 0, 0",
            "ONNX, Selu, SELU, 1.6732632, 1.050701",
            "ONNX, Softplus, SOFTPLUS, 1, Infinity",
            "ONNX, Clip, HARDTANH, -Infinity, Infinity",
            "ONNX, ThresholdedRelu, THRESHOLDED_RELU, 1, 0",
            "ONNX, PRelu, PRELU, 0.25, 0",
            "ONNX, Celu, CELU, 1, 0",
            "ONNX, Elu, ELU, 1, 0",
            "ONNX, Identity, IDENTITY, 0, 0",
    })
    void frameworkNamesAndDefaults(Framework fw, String name, Kind kind, float a, float b) {
        Activation act = Activation.parse(name, fw);
        assertEquals(kind, act.kind(), name);
        assertEquals(a, act.a(), 1e-7f, name + " a");
        assertEquals(b, act.b(), 1e-7f, name + " b");
    }

    @Test
    void onnxClipWithoutBoundsIsIdentity() {
        Activation clip = Activation.parse("Clip", Framework.ONNX);
        for (float x : new float[] {-1e30f, -1f, 0f, 3f, Float.MAX_VALUE}) assertEquals(x, clip.apply(x));
        assertTrue(Float.isNaN(clip.apply(Float.NaN)));
    }

    @Test
    void defaultsAreChosenByTheCaller() {
        // the same name, three slopes
        assertEquals(0.01f, Activation.parse("LeakyReLU", Framework.PYTORCH).a());
        assertEquals(0.3f, Activation.parse("LeakyReLU", Framework.KERAS).a());
        assertEquals(0.2f, Activation.parse("leaky_relu", Framework.KERAS).a());
        assertEquals(Activation.hardSigmoid(), Activation.parse("hard_sigmoid", Framework.PYTORCH));
        assertEquals(Activation.hardSigmoidOnnx(), Activation.parse("hard_sigmoid", Framework.KERAS));
        assertEquals(Activation.hardSigmoidOnnx(), Activation.parse("HardSigmoid", Framework.ONNX));
        assertEquals(Activation.silu(), Activation.swish(1f));
        // ReLU6 is Hardtanh(0, 6)
        for (float x = -8f; x <= 8f; x += 0.125f) assertEquals(Activation.relu6().apply(x), Activation.hardtanh(0f, 6f).apply(x));
        assertEquals(Activation.softplus(), Activation.parse("softplus"));
    }

    @Test
    void unknownNamesListTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("softmax", Framework.KERAS));
        assertTrue(e.getMessage().contains("'softmax'") && e.getMessage().contains("hard_sigmoid") && e.getMessage().contains("leaky_relu"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("Swishy", Framework.ONNX));
        assertTrue(e.getMessage().contains("HardSigmoid") && e.getMessage().contains("ThresholdedRelu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.Kind.parse("nope"));
        assertTrue(e.getMessage().contains("prelu") && e.getMessage().contains("LeakyReLU"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Activation.parse("relu", null));
        assertThrows(IllegalArgumentException.class, () -> Activation.parse(null, Framework.ONNX));
    }

    @Test
    void badParametersAreRejectedByName() {
        assertMessage(() -> Activation.leakyRelu(Float.NaN), "leaky_relu: alpha must not be NaN");
        assertMessage(() -> Activation.leakyRelu(Float.POSITIVE_INFINITY), "leaky_relu: alpha must be finite");
        assertMessage(() -> Activation.elu(-1f), "elu: alpha must be >= 0");
        assertMessage(() -> Activation.celu(0f), "celu: alpha must be > 0");
        assertMessage(() -> Activation.celu(-1f), "celu: alpha must be > 0");
        assertMessage(() -> Activation.softplus(0f, 20f), "softplus: beta must be > 0");
        assertMessage(() -> Activation.softplus(1f, Float.NaN), "softplus: threshold must not be NaN");
        assertMessage(() -> Activation.selu(1f, -1f), "selu: gamma must be > 0");
        assertMessage(() -> Activation.hardtanh(2f, 1f), "hardtanh: min must be <= max, got min 2.0, max 1.0");
        assertMessage(() -> Activation.hardtanh(Float.NaN, 1f), "hardtanh: min must not be NaN");
        assertMessage(() -> Activation.hardSigmoid(Float.POSITIVE_INFINITY, 0.5f), "hard_sigmoid: alpha must be finite");
        assertMessage(() -> Activation.thresholdedRelu(Float.NaN), "thresholded_relu: theta must not be NaN");
        assertMessage(() -> Activation.swish(Float.NaN), "silu: beta must not be NaN");
        assertMessage(() -> Activation.prelu(Float.NaN), "prelu: slope must not be NaN");
        assertMessage(() -> Activation.prelu((Tensor) null), "prelu: slopes must not be null");
        // accepted: infinite bounds and threshold
        Activation.hardtanh(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        Activation.softplus(1f, Float.POSITIVE_INFINITY);
        Activation.hardtanh(1f, 1f);
    }

    @Test
    void parametersAndNames() {
        assertEquals(2, Kind.SELU.parameterCount());
        assertEquals("gamma", Kind.SELU.parameterNames()[1]);
        assertEquals(0, Kind.MISH.parameterCount());
        assertEquals(0f, Activation.of(Kind.MISH, 3f, 4f).a(), "kinds without parameters drop them");
        assertEquals(0f, Activation.of(Kind.LEAKY_RELU, 0.1f, 4f).b(), "one-parameter kinds drop b");
        assertEquals("hardtanh(-2.0, 0.5)", Activation.hardtanh(-2f, 0.5f).toString());
        assertEquals("mish", Activation.mish().toString());
        assertEquals("silu(1.7)", Activation.swish(1.7f).toString());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String expected) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(expected), "message '" + ex.getMessage() + "' should contain '" + expected + "'");
    }
}
