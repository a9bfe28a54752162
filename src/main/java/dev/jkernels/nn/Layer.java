package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * One step of a network's forward pass.
 *
 * <p><b>Where the weights live.</b> A layer keeps its weights on the host, in PyTorch's layouts; that
 * copy is the one {@code setWeights}, initialisers and getters work on. {@link #to(Backend)} uploads
 * them to a backend (replacing, and freeing, any copy on another backend); {@link #forward(Tensor)}
 * runs on the input tensor's backend and needs the weights there. {@link #close()} frees the
 * backend copy; the host weights stay, so {@code to(backend)} may be called again later. Layers
 * without weights accept {@code to} and {@code close} and do nothing.
 *
 * <p>A layer is not safe for {@code to}/{@code setWeights}/{@code close} concurrent with
 * {@code forward}; concurrent {@code forward} calls on one backend are fine.
 */
public interface Layer extends AutoCloseable {

    /** A short description that reads like the PyTorch constructor: {@code Linear(10 → 5, relu)}. */
    String name();

    /**
     * The shape this layer produces for an input of {@code input}.
     *
     * @throws IllegalArgumentException naming the expected and the actual input shape
     */
    Shape outputShape(Shape input);

    /**
     * The layout of the output for an input tagged {@code input} (NCHW/NHWC for 4-D image batches,
     * PLAIN otherwise). Layers that need a particular layout reject others here.
     *
     * @throws IllegalArgumentException naming the expected and the actual layout
     */
    default Layout outputLayout(Layout input) { return input; }

    /**
     * Runs the layer on {@code input}'s backend and returns a new tensor the caller owns (and
     * closes). {@code input} is not modified.
     *
     * @throws IllegalStateException when the layer's weights are not on {@code input}'s backend
     * @throws IllegalArgumentException when {@code input}'s shape or layout does not fit
     */
    Tensor forward(Tensor input);

    /** Uploads this layer's weights to {@code backend} (a no-op when they are already there). */
    Layer to(Backend backend);

    /** Frees the backend copy of the weights (idempotent); the host weights are kept. */
    @Override
    void close();
}
