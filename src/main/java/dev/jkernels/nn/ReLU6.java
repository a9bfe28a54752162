package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.ReLU6()}: min(max(x, 0), 6). */
public final class ReLU6 extends ActivationLayer {
    public ReLU6() { super(Activation.relu6(), "ReLU6()"); }
}
