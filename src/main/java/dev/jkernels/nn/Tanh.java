package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Tanh()}: tanh(x). */
public final class Tanh extends ActivationLayer {
    public Tanh() { super(Activation.tanh(), "Tanh()"); }
}
