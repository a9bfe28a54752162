package dev.jkernels;

import java.util.ArrayList;
import java.util.List;

/**
 * What one op holds for its whole duration: the backends it runs on or reads from, and every
 * tensor it touches. While held, a {@link Tensor#close()} waits for the op to end and a
 * {@link Backend#close()} waits too, so no memory is freed under a running kernel; a close that
 * came first makes the op fail with {@link IllegalStateException} when it asks. Released in
 * reverse order by {@link #close()}, also when the op fails.
 */
final class OpUse implements AutoCloseable {
    private final List<AbstractBackend> backends = new ArrayList<>(2);
    private final List<Tensor> tensors = new ArrayList<>(6);
    private boolean closed;

    /** Holds {@code backend} open (nothing for a backend of another implementation). */
    OpUse backend(Backend backend) {
        if (backend instanceof AbstractBackend ab && !backends.contains(ab)) {
            ab.enterOp();
            backends.add(ab);
        }
        return this;
    }

    /** Holds {@code t} (and its backend); null is skipped (an absent bias). */
    OpUse tensor(String name, Tensor t) {
        if (t == null) return this;
        backend(t.backend());
        t.acquire(name);
        tensors.add(t);
        return this;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        for (int i = tensors.size() - 1; i >= 0; i--) tensors.get(i).release();
        for (int i = backends.size() - 1; i >= 0; i--) backends.get(i).exitOp();
    }
}
