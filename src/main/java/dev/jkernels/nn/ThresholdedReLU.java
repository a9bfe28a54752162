package dev.jkernels.nn;

import dev.jkernels.Activation;

/** Keras's {@code ThresholdedReLU(theta)} (ONNX's ThresholdedRelu): x &gt; θ ? x : 0. Default θ = 1. */
public final class ThresholdedReLU extends ActivationLayer {
    public ThresholdedReLU() { this(1f); }

    public ThresholdedReLU(float theta) { super(Activation.thresholdedRelu(theta), "ThresholdedReLU(" + theta + ")"); }
}
