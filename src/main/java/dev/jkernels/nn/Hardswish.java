package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.Hardswish()} (Keras's {@code hard_silu}, ONNX's HardSwish): x·clamp(x + 3, 0, 6)/6. */
public final class Hardswish extends ActivationLayer {
    public Hardswish() { super(Activation.hardswish(), "Hardswish()"); }
}
