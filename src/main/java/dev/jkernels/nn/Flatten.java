package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * PyTorch's {@code nn.Flatten()} / Keras's {@code Flatten()}: {@code [N, d1, d2, …]} →
 * {@code [N, d1·d2·…]} in storage order. So an NCHW batch flattens channel-major (as PyTorch does) and
 * an NHWC batch channel-last (as Keras does); a Linear after it must have been trained on the same
 * order. No weights, no launch of its own inside a {@link Sequential} (there it re-labels the
 * intermediate tensor's memory); alone it is one same-backend copy.
 */
public final class Flatten implements Layer {

    public Flatten() {}

    @Override public String name() { return "Flatten()"; }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException("Flatten: input shape must not be null");
        if (input.rank() < 2) throw new IllegalArgumentException("expected input [N, ...] of rank >= 2, got " + input);
        long rest = input.elementCount() / input.dim(0);
        if (rest > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input " + input + " flattens to " + rest + " features per sample, more than 2^31-1");
        }
        return Shape.of(input.dim(0), (int) rest);
    }

    @Override public Layout outputLayout(Layout input) { return Layout.PLAIN; }

    /** A new flattened copy on the input's backend (device-to-device on a GPU). */
    @Override public Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException("Flatten: input must not be null");
        input.ensureOpen("input");
        Shape out;
        try {
            out = outputShape(input.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Flatten(): " + e.getMessage(), e);
        }
        Backend b = input.backend();
        Tensor result = b.zeros(out.dims());
        try {
            // The same memory seen with the input's shape: lets Backend.copy (which wants equal shapes)
            // do the copy on the device. The view is never closed; result owns the memory.
            Tensor view = Tensor.ofStorage(b, result.storage(), input.shape(), input.layout());
            b.copy(input, view);
            return result;
        } catch (RuntimeException | Error e) {
            result.close();
            throw e;
        }
    }

    /**
     * Takes over {@code owned}'s memory under the flattened shape, without a copy. The caller must own
     * {@code owned} and must not use or close it afterwards; the returned tensor owns the memory.
     */
    static Tensor flattenInPlace(Tensor owned, Shape out) {
        return Tensor.ofStorage(owned.backend(), owned.storage(), out, Layout.PLAIN);
    }

    @Override public Flatten to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("Flatten: backend must not be null");
        return this;
    }

    @Override public void close() {}

    @Override public String toString() { return name(); }
}
