package dev.jkernels.nn;

import dev.jkernels.Activation;

/** PyTorch's {@code nn.LeakyReLU(negative_slope)}: x &gt; 0 ? x : α·x. The no-argument form takes PyTorch's α = 0.01 (Keras's layer defaults to 0.3: pass it). */
public final class LeakyReLU extends ActivationLayer {
    /** α = 0.01, PyTorch's default. */
    public LeakyReLU() { this(Activation.LEAKY_RELU_DEFAULT_ALPHA); }

    public LeakyReLU(float negativeSlope) {
        super(Activation.leakyRelu(negativeSlope), "LeakyReLU(" + negativeSlope + ")");
    }
}
