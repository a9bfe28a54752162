package dev.jkernels.ops;

import dev.jkernels.Activation;

import java.util.ArrayList;
import java.util.List;

/** Every activation kind once (default α), plus the parametrised kinds with a non-default α. */
public final class ActivationCatalog {
    private ActivationCatalog() {}

    public static List<Activation> all() {
        List<Activation> all = new ArrayList<>();
        for (Activation.Kind k : Activation.Kind.values()) all.add(Activation.of(k));
        all.add(Activation.leakyRelu(0.2f));
        all.add(Activation.elu(0.5f));
        all.add(Activation.swish(1.7f));
        all.add(Activation.selu(1.5f, 1.2f));
        all.add(Activation.softplus(2f, 10f));
        all.add(Activation.softplus(0.5f, Float.POSITIVE_INFINITY)); // Keras/ONNX: never linear
        all.add(Activation.hardSigmoidOnnx());
        all.add(Activation.prelu(-0.3f));
        all.add(Activation.celu(0.5f));
        all.add(Activation.hardtanh(-2f, 0.5f));
        all.add(Activation.thresholdedRelu(0.7f));
        return all;
    }

    /** Every kind once, without the extra α variants. */
    public static List<Activation> kinds() {
        List<Activation> all = new ArrayList<>();
        for (Activation.Kind k : Activation.Kind.values()) all.add(Activation.of(k));
        return all;
    }
}
