package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.SiLU()} (swish): x·σ(x). */
public final class SiLU extends ActivationLayer {
    public SiLU() { super(Activation.silu(), "SiLU()"); }
}
