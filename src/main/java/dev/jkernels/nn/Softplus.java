package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Softplus()} (β = 1): log(1 + eˣ), computed without overflow. */
public final class Softplus extends ActivationLayer {
    public Softplus() { super(Activation.softplus(), "Softplus()"); }
}
