package dev.jkernels.nn;

import dev.jkernels.Activation;

/** Swish with a fixed β: x·σ(β·x). {@link SiLU} is β = 1. */
public final class Swish extends ActivationLayer {
    public Swish() { this(1f); }

    public Swish(float beta) { super(Activation.swish(beta), "Swish(" + beta + ")"); }
}
