package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.SELU()}: scale·(x &gt; 0 ? x : α·(eˣ − 1)) with the standard α and scale. */
public final class SELU extends ActivationLayer {
    public SELU() { super(Activation.selu(), "SELU()"); }
}
