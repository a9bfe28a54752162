package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.ELU(alpha)}: x &gt; 0 ? x : α·(eˣ − 1). Default α = 1. */
public final class ELU extends ActivationLayer {
    public ELU() { this(1f); }

    public ELU(float alpha) { super(Activation.elu(alpha), "ELU(" + alpha + ")"); }
}
