package dev.jkernels.nn;

/** PyTorch's {@code nn.LogSoftmax(dim)}: {@code x − max − log Σ exp(x − max)} along {@code dim}. */
public final class LogSoftmax extends Softmax {
    public LogSoftmax() { this(-1); }

    public LogSoftmax(int dim) { super(dim, true); }
}
