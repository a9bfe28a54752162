package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * PyTorch's {@code nn.Softmax(dim)} (and, with {@code log}, {@code nn.LogSoftmax(dim)}): stable along
 * any axis; negative {@code dim} counts from the end. No weights, one launch. See {@link LogSoftmax}.
 */
public class Softmax implements Layer {
    private final int dim;
    private final boolean log;

    /** {@code nn.Softmax(dim=-1)}. */
    public Softmax() { this(-1); }

    public Softmax(int dim) { this(dim, false); }

    Softmax(int dim, boolean log) {
        this.dim = dim;
        this.log = log;
    }

    public int dim() { return dim; }

    public boolean isLog() { return log; }

    @Override public String name() { return (log ? "LogSoftmax" : "Softmax") + "(dim=" + dim + ")"; }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException(name() + ": input shape must not be null");
        if (dim < -input.rank() || dim >= input.rank()) {
            throw new IllegalArgumentException("axis: expected an axis in [" + (-input.rank()) + ", " + (input.rank() - 1)
                    + "] for input " + input + ", got dim=" + dim);
        }
        return input;
    }

    @Override public Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        Backend b = input.backend();
        return log ? b.logSoftmax(input, dim) : b.softmax(input, dim);
    }

    /** In place on an intermediate the caller owns (Sequential). */
    void forwardInPlace(Tensor t) {
        Backend b = t.backend();
        if (log) b.logSoftmax(t, dim, t);
        else b.softmax(t, dim, t);
    }

    @Override public Softmax to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException(name() + ": backend must not be null");
        return this;
    }

    @Override public void close() {}

    @Override public String toString() { return name(); }
}
