package dev.jkernels;

import dev.jkernels.Activation.Framework;
import dev.jkernels.Activation.Kind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Activation names as users write them: Keras's activation strings and layer names, PyTorch's
 * module and functional names, ONNX's operator names, and the kernel names. Matching ignores case,
 * '_', '-' and spaces ("LeakyReLU", "leaky_relu" and "LeakyRelu" are one name). The parameters are
 * the framework's defaults, which the caller names, because they differ.
 */
final class ActivationNames {
    private ActivationNames() {}

    /** Each framework's spellings, for the error message (every known spelling is accepted under each). */
    private static final Map<Framework, List<String>> SPELLINGS = Map.of(
            Framework.PYTORCH, List.of("Identity", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "gelu_tanh",
                    "SiLU", "ReLU6", "SELU", "Softplus", "Hardsigmoid", "PReLU", "Hardswish", "Mish", "CELU", "Softsign",
                    "Hardtanh"),
            Framework.KERAS, List.of("linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "swish",
                    "relu6", "selu", "softplus", "hard_sigmoid", "hard_silu", "hard_swish", "mish", "celu", "softsign",
                    "hard_tanh", "ReLU", "LeakyReLU", "ELU", "PReLU", "ThresholdedReLU"),
            Framework.ONNX, List.of("Identity", "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Gelu", "Selu", "Softplus",
                    "HardSigmoid", "PRelu", "HardSwish", "Mish", "Celu", "Softsign", "Clip", "ThresholdedRelu"));

    /** Normalised spelling → kind, every framework's and the kernel names. */
    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        for (Kind k : Kind.values()) {
            KINDS.put(norm(k.cudaName()), k);
            KINDS.put(norm(k.name()), k);
        }
        alias(Kind.IDENTITY, "linear", "none");
        alias(Kind.SILU, "swish");
        alias(Kind.GELU_TANH, "gelu_approximate_tanh", "gelu(approximate=tanh)", "gelu(approximate='tanh')", "gelu_new");
        alias(Kind.HARDSWISH, "hard_swish", "hard_silu");
        alias(Kind.HARDTANH, "hard_tanh", "clip");
        alias(Kind.THRESHOLDED_RELU, "thresholdedrelu");
    }

    private static void alias(Kind k, String... names) {
        for (String n : names) KINDS.put(norm(n), k);
    }

    private static String norm(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '_' && c != '-' && c != ' ' && c != '\'' && c != '"') sb.append(c);
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    static Kind kind(String name) {
        if (name == null) throw new IllegalArgumentException("activation: name must not be null");
        Kind k = KINDS.get(norm(name.trim()));
        if (k == null) {
            throw new IllegalArgumentException("activation: unknown name '" + name + "'; accepted (any case, '_' optional): "
                    + String.join(", ", kernelNames()) + ", and the Keras, PyTorch and ONNX spellings: "
                    + String.join(", ", SPELLINGS.get(Framework.KERAS)) + "; "
                    + String.join(", ", SPELLINGS.get(Framework.PYTORCH)) + "; "
                    + String.join(", ", SPELLINGS.get(Framework.ONNX)));
        }
        return k;
    }

    private static List<String> kernelNames() {
        return java.util.Arrays.stream(Kind.values()).map(Kind::cudaName).toList();
    }

    static Activation parse(String name, Framework framework) {
        if (framework == null) throw new IllegalArgumentException("activation: framework must not be null (KERAS, PYTORCH or ONNX)");
        if (name == null) throw new IllegalArgumentException("activation: name must not be null");
        Kind k = KINDS.get(norm(name.trim()));
        if (k == null) {
            throw new IllegalArgumentException("activation: unknown " + framework + " name '" + name + "'; accepted: "
                    + String.join(", ", SPELLINGS.get(framework)) + " (any case, '_' optional), or a kernel name: "
                    + String.join(", ", kernelNames()));
        }
        float[] d = Activation.defaults(k);
        String raw = name.trim();
        switch (k) {
            case LEAKY_RELU:
                // Keras: the function leaky_relu defaults to 0.2, the layer LeakyReLU to 0.3.
                if (framework == Framework.KERAS) d[0] = raw.equals("LeakyReLU") ? 0.3f : 0.2f;
                break;
            case HARD_SIGMOID:
                if (framework != Framework.PYTORCH) { d[0] = 0.2f; d[1] = 0.5f; }
                break;
            case SOFTPLUS:
                // Keras and ONNX: exactly log(1 + eˣ), never switched to x.
                if (framework != Framework.PYTORCH) d[1] = Float.POSITIVE_INFINITY;
                break;
            case HARDTANH:
                // ONNX's Clip without min/max is unbounded.
                if (framework == Framework.ONNX && norm(raw).equals("clip")) {
                    d[0] = Float.NEGATIVE_INFINITY;
                    d[1] = Float.POSITIVE_INFINITY;
                }
                break;
            case PRELU:
                // Keras's PReLU layer starts its slopes at zero (alpha_initializer='zeros').
                if (framework == Framework.KERAS) d[0] = 0f;
                break;
            default:
                break;
        }
        return Activation.of(k, d[0], d[1]);
    }
}
