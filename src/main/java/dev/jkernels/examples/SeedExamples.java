package dev.jkernels.examples;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.nn.Conv2d;
import dev.jkernels.nn.Linear;
import dev.jkernels.nn.ReLU;
import dev.jkernels.nn.Sequential;

import static dev.jkernels.examples.ExampleSupport.randn;
import static dev.jkernels.examples.ExampleSupport.shape;
import static dev.jkernels.examples.ExampleSupport.values;

/**
 * The seed essay's three snippets ("is the activation applied by a function or a layer?") in Java:
 * <ol>
 *   <li>{@code nn.Linear(10, 5)} and {@code nn.ReLU()} applied one after the other;</li>
 *   <li>the same two as {@code nn.Sequential(nn.Linear(10, 5), nn.ReLU())}: one fused launch;</li>
 *   <li>Keras's {@code Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1))} on a
 *       {@code (1, 28, 28, 1)} NHWC input, giving {@code (1, 26, 26, 32)}; and PyTorch's NCHW equivalent.</li>
 * </ol>
 * Prints the output shapes and each launch plan. Argument: {@code cpu}, {@code cuda}, {@code emulated}
 * (default: {@code Backends.auto()}).
 */
public final class SeedExamples {
    private SeedExamples() {}

    public static void main(String[] args) {
        try (Backend backend = ExampleSupport.backend(args)) {
            run(backend);
        }
    }

    static void run(Backend backend) {
        float[] input = randn(1, 10); // torch.randn(1, 10)

        System.out.println("\n== 1. Linear(10, 5), then ReLU(): two layers, two calls ==");
        Linear linearLayer = new Linear(10, 5);
        ReLU reluActivation = new ReLU();
        float[] afterLinear, afterRelu;
        try (Linear l = linearLayer.to(backend);
             Tensor x = backend.tensor(input, 1, 10);
             Tensor outputLinear = l.forward(x);
             Tensor outputActivated = reluActivation.forward(outputLinear)) {
            afterLinear = outputLinear.toArray();
            afterRelu = outputActivated.toArray();
            System.out.println("Output after linear layer:  " + shape(outputLinear.dims()) + " " + values(afterLinear));
            System.out.println("Output after activation:    " + shape(outputActivated.dims()) + " " + values(afterRelu));
        }

        System.out.println("\n== 2. Sequential(Linear(10, 5), ReLU()): the same layers, one fused launch ==");
        // The same Linear object: closing it above freed only its backend copy; to() uploads the host weights again.
        try (Sequential combined = new Sequential(linearLayer, reluActivation).to(backend)) {
            float[] out = combined.predict(input, 1, 10);
            System.out.println("Output of combined layer:   " + shape(combined.outputShape(1, 10).dims()) + " " + values(out));
            System.out.println("same as 1. (max |diff|):    " + maxAbsDiff(out, afterRelu));
            System.out.print(combined.describe(1, 10));
        }

        System.out.println("\n== 3. Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)), NHWC like Keras ==");
        float[] image = randn(2, 28 * 28);
        try (Sequential keras = new Sequential(Conv2d.builder(1, 32, 3).activation("relu").layout(Layout.NHWC).build()).to(backend)) {
            float[] out = keras.predict(image, 1, 28, 28, 1);
            System.out.println("Shape of output: " + keras.outputShape(1, 28, 28, 1) + "  (Keras prints (1, 26, 26, 32))"
                    + "  min " + min(out) + " (relu: never negative)");
            System.out.print(keras.describe(1, 28, 28, 1));
        }
        System.out.println("\n   the same convolution in PyTorch's layout: nn.Conv2d(1, 32, 3) + ReLU on NCHW [1, 1, 28, 28]");
        try (Sequential torch = new Sequential(new Conv2d(1, 32, 3), new ReLU()).to(backend)) {
            torch.predict(image, 1, 1, 28, 28); // one channel: the NHWC and NCHW arrays hold the same numbers
            System.out.println("Shape of output: " + torch.outputShape(1, 1, 28, 28));
            System.out.print(torch.describe(1, 1, 28, 28));
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    private static float min(float[] a) {
        float m = Float.POSITIVE_INFINITY;
        for (float v : a) m = Math.min(m, v);
        return m;
    }
}
