package dev.jkernels;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Owns many tensors (or other native owners) and closes them, newest first, when it closes.
 * <pre>{@code
 * try (TensorScope scope = new TensorScope()) {
 *     Tensor x = scope.track(backend.tensor(data, 1, 10));
 *     ...
 * }
 * }</pre>
 */
public final class TensorScope implements AutoCloseable {
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private boolean closed;

    /** Takes ownership of {@code resource} and returns it. */
    public synchronized <T extends AutoCloseable> T track(T resource) {
        if (resource == null) throw new IllegalArgumentException("resource must not be null");
        if (closed) throw new IllegalStateException("scope is closed");
        owned.push(resource);
        return resource;
    }

    public synchronized int size() { return owned.size(); }

    /** Closes everything tracked, newest first; the first failure is rethrown after all were tried. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
