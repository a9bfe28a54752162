package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Mish()}: x·tanh(softplus(x)). */
public final class Mish extends ActivationLayer {
    public Mish() { super(Activation.mish(), "Mish()"); }
}
