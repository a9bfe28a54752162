package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * An element-wise activation as a layer of its own, like PyTorch's {@code nn.ReLU()}: the output has
 * the input's shape and layout. No weights. The named subclasses ({@link ReLU}, {@link LeakyReLU},
 * {@link GELU}, …) read like PyTorch; {@link #of(Activation)} takes any {@link Activation}.
 *
 * <p>Alone it is one element-wise launch. In a {@link Sequential}, directly after a {@link Linear} or
 * {@link Conv2d} that has no activation of its own, it is folded into that layer's launch
 * ({@link FusionPolicy#AUTO}).
 */
public class ActivationLayer implements Layer {
    private final Activation activation;
    private final String name;

    /** For the named subclasses. */
    protected ActivationLayer(Activation activation, String name) {
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        this.activation = activation;
        this.name = name;
    }

    /** A layer applying {@code activation}. */
    public static ActivationLayer of(Activation activation) {
        if (activation == null) throw new IllegalArgumentException("activation must not be null");
        return new ActivationLayer(activation, "Activation(" + activation + ")");
    }

    /** By name: "relu", "leaky_relu", "gelu_tanh", "swish"… (default α). */
    public static ActivationLayer of(String activation) { return of(Activation.parse(activation)); }

    /**
     * The activation this layer applies. For {@link PReLU} with several slopes it is a nominal
     * shared-slope form; the slopes themselves are bound per backend ({@link #activationOn}).
     */
    public Activation activation() { return activation; }

    /** The activation as it runs on {@code backend} (PReLU binds its uploaded slopes here). */
    Activation activationOn(Backend backend) { return activation; }

    /** How the plan ({@link Sequential#describe}) names this layer's activation. */
    String activationLabel() { return activation.toString(); }

    @Override public String name() { return name; }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException(name + ": input shape must not be null");
        return input;
    }

    @Override public Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException(name + ": input must not be null");
        input.ensureOpen("input");
        return input.backend().activation(activationOn(input.backend()), input);
    }

    /** No weights: nothing to upload. */
    @Override public ActivationLayer to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException(name + ": backend must not be null");
        return this;
    }

    /** No weights: nothing to free. */
    @Override public void close() {}

    @Override public String toString() { return name; }
}
