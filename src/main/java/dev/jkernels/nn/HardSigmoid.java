package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Hardsigmoid()}: clamp(x/6 + 1/2, 0, 1) (not older Keras's 0.2·x + 0.5). */
public final class HardSigmoid extends ActivationLayer {
    public HardSigmoid() { super(Activation.hardSigmoid(), "HardSigmoid()"); }
}
