package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.GELU(approximate=...)}: exact 0.5·x·(1 + erf(x/√2)) by default, or the tanh approximation. */
public final class GELU extends ActivationLayer {
    /** Exact GELU (erf), PyTorch's and Keras's default. */
    public GELU() { this("none"); }

    /** {@code "none"} (exact, erf) or {@code "tanh"} (the tanh approximation), as PyTorch's {@code approximate=}. */
    public GELU(String approximate) { super(parse(approximate), "GELU(approximate=" + approximate.trim().toLowerCase(java.util.Locale.ROOT) + ")"); }

    private static Activation parse(String approximate) {
        if (approximate == null) throw new IllegalArgumentException("GELU: approximate must be \"none\" or \"tanh\", got null");
        switch (approximate.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "none": return Activation.gelu();
            case "tanh": return Activation.geluTanh();
            default: throw new IllegalArgumentException("GELU: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
        }
    }
}
