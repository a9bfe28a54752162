package dev.jkernels.nn;

import dev.jkernels.Activation;

/**
 * Hard sigmoid, clamp(α·x + β, 0, 1). The no-argument form is PyTorch's {@code nn.Hardsigmoid()}
 * (α = 1/6, β = 1/2); {@link #onnx()} is ONNX's HardSigmoid and Keras 2's hard_sigmoid (0.2, 0.5).
 */
public final class HardSigmoid extends ActivationLayer {
    public HardSigmoid() { super(Activation.hardSigmoid(), "HardSigmoid()"); }

    public HardSigmoid(float alpha, float beta) {
        super(Activation.hardSigmoid(alpha, beta), "HardSigmoid(" + alpha + ", " + beta + ")");
    }

    /** ONNX's and Keras 2's (α, β) = (0.2, 0.5). */
    public static HardSigmoid onnx() { return new HardSigmoid(0.2f, 0.5f); }
}
