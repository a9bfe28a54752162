package dev.jkernels.nn;

import dev.jkernels.Activation;

/**
 * PyTorch's {@code nn.Hardtanh(min_val, max_val)} (ONNX's Clip): clamp(x, min, max), default (−1, 1).
 * {@link ReLU6} is Hardtanh(0, 6). The bounds may be infinite; min must not exceed max.
 */
public final class Hardtanh extends ActivationLayer {
    public Hardtanh() { this(-1f, 1f); }

    public Hardtanh(float minVal, float maxVal) {
        super(Activation.hardtanh(minVal, maxVal), "Hardtanh(" + minVal + ", " + maxVal + ")");
    }
}
