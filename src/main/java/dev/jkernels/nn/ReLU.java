package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.ReLU()}: max(x, 0). */
public final class ReLU extends ActivationLayer {
    public ReLU() { super(Activation.relu(), "ReLU()"); }
}
