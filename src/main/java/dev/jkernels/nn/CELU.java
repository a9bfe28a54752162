package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.CELU(alpha)}: x &gt; 0 ? x : α·(e^(x/α) − 1). Default α = 1; α must be &gt; 0. */
public final class CELU extends ActivationLayer {
    public CELU() { this(1f); }

    public CELU(float alpha) { super(Activation.celu(alpha), "CELU(" + alpha + ")"); }
}
