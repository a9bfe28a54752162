package dev.jkernels.nn;

import dev.jkernels.Activation;

/**
 * PyTorch's {@code nn.Softplus(beta, threshold)}: β·x &gt; threshold ? x : log(1 + e^(βx))/β,
 * computed without overflow. Default β = 1, threshold = 20; threshold +∞ gives Keras's and ONNX's
 * exact log(1 + eˣ).
 */
public final class Softplus extends ActivationLayer {
    public Softplus() { super(Activation.softplus(), "Softplus()"); }

    public Softplus(float beta, float threshold) {
        super(Activation.softplus(beta, threshold), "Softplus(beta=" + beta + ", threshold=" + threshold + ")");
    }
}
