package dev.jkernels.nn;

import dev.jkernels.Activation;

/**
 * PyTorch's {@code nn.SELU()}: γ·(x &gt; 0 ? x : α·(eˣ − 1)) with the standard α = 1.6732632… and
 * γ = 1.0507009… ; ONNX's Selu(alpha, gamma) with other constants through {@link #SELU(float, float)}.
 */
public final class SELU extends ActivationLayer {
    public SELU() { super(Activation.selu(), "SELU()"); }

    public SELU(float alpha, float gamma) { super(Activation.selu(alpha, gamma), "SELU(" + alpha + ", " + gamma + ")"); }
}
