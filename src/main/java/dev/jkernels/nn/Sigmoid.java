package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Sigmoid()}: 1 / (1 + e⁻ˣ). */
public final class Sigmoid extends ActivationLayer {
    public Sigmoid() { super(Activation.sigmoid(), "Sigmoid()"); }
}
