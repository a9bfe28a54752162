package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Softsign()}: x / (1 + |x|). */
public final class Softsign extends ActivationLayer {
    public Softsign() { super(Activation.softsign(), "Softsign()"); }
}
