package dev.jkernels;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A dense FP32 tensor in row-major order, owned by one {@link Backend}. It owns its memory (heap,
 * native host or GPU) until {@link #close()}; every use after that throws
 * {@link IllegalStateException}. Copies between host arrays and the tensor are explicit.
 *
 * <p>Make one with {@link Backend#tensor(float[], int...)}, {@link Backend#zeros(int...)} and friends.
 *
 * <p><b>Lifetime.</b> Every op and copy holds the tensors it uses until it returns. A {@link #close()}
 * racing with one waits for it to end before the memory is freed; an op that starts after a close
 * fails with {@link IllegalStateException}. Tensors made on the same storage (views, see
 * {@link #ofStorage}) share one lifetime: closing any of them frees the memory of all, and the
 * others then fail as closed.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final TensorStorage storage;
    private final Shape shape;
    private final Layout layout;
    private final Lifetime life;
    private volatile boolean closed;
    /** The tensor whose memory this view shares (and which owns it), or null for an owning tensor. */
    private final Tensor parent;

    /** One per storage: every tensor on it shares it. Weak keys: storages compare by identity. */
    private static final Map<TensorStorage, Lifetime> LIFETIMES = Collections.synchronizedMap(new WeakHashMap<>());

    private Tensor(Backend backend, TensorStorage storage, Shape shape, Layout layout, Lifetime life, Tensor parent) {
        this.backend = backend;
        this.storage = storage;
        this.shape = shape;
        this.layout = layout;
        this.life = life;
        this.parent = parent;
    }

    /**
     * For backends and views: a tensor on {@code storage}, freshly allocated or another tensor's (a
     * view re-labelling the same memory, which then shares that tensor's lifetime). Checks that the
     * layout fits the rank, that the storage belongs to {@code backend} and that its memory is live.
     *
     * @throws IllegalArgumentException for a storage of another backend or of another size
     * @throws IllegalStateException when the backend is closed or the storage's memory was freed
     */
    public static Tensor ofStorage(Backend backend, TensorStorage storage, Shape shape, Layout layout) {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        if (storage == null) throw new IllegalArgumentException("storage must not be null");
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        checkLayout(shape, layout);
        if (backend instanceof AbstractBackend ab) {
            if (ab.isClosed()) throw new IllegalStateException("storage: backend " + ab.identity() + " is closed");
            if (!ab.ownsStorage(storage)) {
                throw new IllegalArgumentException("storage: belongs to another backend, not " + ab.identity()
                        + " (copy its tensor with copyOf)");
            }
        }
        if (storage.elementCount() != shape.elementCount()) {
            throw new IllegalArgumentException("storage holds " + storage.elementCount()
                    + " floats, shape " + shape + " needs " + shape.elementCount());
        }
        Lifetime life;
        synchronized (LIFETIMES) {
            life = LIFETIMES.computeIfAbsent(storage, k -> new Lifetime());
        }
        if (life.isFreed()) {
            throw new IllegalStateException("storage: its memory was freed (a tensor on it was closed); shape " + shape);
        }
        return new Tensor(backend, storage, shape, layout, life, null);
    }

    /**
     * The use count of one storage: ops hold it ({@link #acquire}), the first close waits until
     * none does and then frees. A thread that holds it and closes it would wait for itself: that is
     * an {@link IllegalStateException} instead.
     */
    private static final class Lifetime {
        private final Map<Thread, Integer> holders = new HashMap<>(4);
        private int users;
        private boolean closing;

        synchronized boolean isFreed() { return closing; }

        synchronized void acquire(String argument, Tensor t) {
            if (closing) throw closedException(argument, t);
            users++;
            holders.merge(Thread.currentThread(), 1, Integer::sum);
        }

        synchronized void release() {
            Thread me = Thread.currentThread();
            Integer n = holders.get(me);
            if (n == null) throw new IllegalStateException("tensor released by a thread that does not hold it");
            if (n == 1) holders.remove(me);
            else holders.put(me, n - 1);
            if (--users == 0) notifyAll();
        }

        /** True for the one caller that must free the memory, once no op holds it. */
        synchronized boolean beginFree(Tensor t) {
            if (closing) return false;
            if (holders.containsKey(Thread.currentThread())) {
                throw new IllegalStateException("close: tensor " + t.shape + " is in use by an op on this thread");
            }
            closing = true;
            boolean interrupted = false;
            while (users > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the memory may not be freed under the op: keep waiting
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            return true;
        }
    }

    private static IllegalStateException closedException(String argument, Tensor t) {
        if (!t.closed && t.parent != null) {
            return new IllegalStateException(argument + ": view " + t.shape + " of tensor " + t.parent.shape()
                    + " is unusable: that tensor is closed");
        }
        return new IllegalStateException(argument + ": tensor " + t.shape + " is closed"
                + (t.closed ? "" : " (its memory was freed by closing another tensor on the same storage)"));
    }

    /** Holds this tensor open for an op; every acquire is paired with one {@link #release()}. */
    void acquire(String argument) {
        if (closed) throw closedException(argument, this);
        life.acquire(argument, this);
    }

    void release() { life.release(); }

    /** Whether this tensor's memory overlaps {@code other}'s: the same tensor, a view of it, or one storage range. */
    public boolean sharesMemoryWith(Tensor other) {
        if (other == null) return false;
        return other == this || other.storage == storage || storage.overlaps(other.storage);
    }

    /** Throws unless {@code layout} may tag a tensor of {@code shape}'s rank. */
    public static void checkLayout(Shape shape, Layout layout) {
        if (layout == null) throw new IllegalArgumentException("layout must not be null");
        if (layout != Layout.PLAIN && shape.rank() != 4) {
            throw new IllegalArgumentException("layout " + layout + " needs a 4-D shape, got " + shape);
        }
    }

    public Backend backend() { return backend; }

    public Shape shape() { return shape; }

    public int[] dims() { return shape.dims(); }

    public int rank() { return shape.rank(); }

    public int dim(int i) { return shape.dim(i); }

    public long size() { return shape.elementCount(); }

    public Layout layout() { return layout; }

    public boolean isClosed() { return closed || life.isFreed(); }

    /** For backends: the memory, after checking the tensor is open. */
    public TensorStorage storage() {
        ensureOpen("tensor");
        return storage;
    }

    /** Throws {@link IllegalStateException} naming {@code argument} if this tensor was closed. */
    public void ensureOpen(String argument) {
        if (closed || life.isFreed()) throw closedException(argument, this);
    }

    private OpUse use(String argument) {
        OpUse u = new OpUse();
        try {
            return u.tensor(argument, this);
        } catch (RuntimeException e) {
            u.close();
            throw e;
        }
    }

    /**
     * A view of this tensor's memory under another shape with as many elements (no copy, no launch):
     * ONNX Reshape, {@code torch.reshape}, Flatten. One dimension may be −1 (inferred). The view is
     * PLAIN; closing it frees nothing, and it throws once this tensor is closed.
     */
    public Tensor reshape(int... dims) { return reshape(Layout.PLAIN, dims); }

    /** As {@link #reshape(int...)} with a layout for a 4-D view (NCHW/NHWC). */
    public Tensor reshape(Layout layout, int... dims) {
        ensureOpen("tensor");
        if (dims == null) throw new IllegalArgumentException("reshape: dims must not be null");
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: at most one dimension may be -1, got " + java.util.Arrays.toString(dims));
                infer = i;
            } else if (d[i] < 1) {
                throw new IllegalArgumentException("reshape: dimension " + i + " must be >= 1 or -1, got " + java.util.Arrays.toString(dims));
            } else {
                known = known * d[i];
                if (known > size()) break;
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0 || size() / known > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("reshape: cannot infer dimension " + infer + " of " + java.util.Arrays.toString(dims)
                        + " for a tensor " + shape + " of " + size() + " elements");
            }
            d[infer] = (int) (size() / known);
        }
        Shape s = Shape.of(d);
        if (s.elementCount() != size()) {
            throw new IllegalArgumentException("reshape: shape " + s + " holds " + s.elementCount() + " elements, tensor "
                    + shape + " holds " + size());
        }
        checkLayout(s, layout);
        Tensor owner = parent == null ? this : parent;
        return new Tensor(backend, storage, s, layout, life, owner);
    }

    /** True for a view made by {@link #reshape}. */
    public boolean isView() { return parent != null; }

    /** Copies the whole tensor into a new array. */
    public float[] toArray() {
        int n = shape.elementCountAsInt("toArray");
        try (OpUse u = use("tensor")) {
            float[] out = new float[n];
            storage.read(0, out, 0, n);
            return out;
        }
    }

    /**
     * Copies the whole tensor into {@code dst} from its position on; the position is not moved.
     *
     * @throws IllegalArgumentException when {@code dst} is read-only (checked before anything is written) or
     *     has not exactly {@link #size()} floats remaining
     */
    public void copyTo(FloatBuffer dst) {
        if (dst == null) throw new IllegalArgumentException("dst must not be null");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst: the buffer is read-only (a read-only view or a READ_ONLY mapping); "
                    + "tensor " + shape + " cannot be copied into it");
        }
        if (dst.remaining() != size()) {
            throw new IllegalArgumentException("dst: expected " + size() + " floats remaining for tensor "
                    + shape + ", got " + dst.remaining());
        }
        try (OpUse u = use("tensor")) {
            storage.read(0, dst);
        }
    }

    /** Overwrites the whole tensor from {@code src}, which must hold exactly {@link #size()} floats. */
    public void copyFrom(float[] src) {
        if (src == null) throw new IllegalArgumentException("src must not be null");
        if (src.length != size()) {
            throw new IllegalArgumentException("src: expected " + size() + " floats for tensor " + shape
                    + ", got " + src.length);
        }
        try (OpUse u = use("tensor")) {
            storage.write(0, src, 0, src.length);
        }
    }

    /** Overwrites the whole tensor from {@code src}'s remaining floats; the position is not moved. */
    public void copyFrom(FloatBuffer src) {
        if (src == null) throw new IllegalArgumentException("src must not be null");
        if (src.remaining() != size()) {
            throw new IllegalArgumentException("src: expected " + size() + " floats remaining for tensor "
                    + shape + ", got " + src.remaining());
        }
        try (OpUse u = use("tensor")) {
            storage.write(0, src);
        }
    }

    /**
     * Frees the memory, after every op that holds it (on any thread) has returned. Idempotent.
     *
     * @throws IllegalStateException when called from inside an op that holds this tensor (it would wait for itself)
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            if (parent != null) {  // a reshape view frees nothing: its parent owns the memory
                closed = true;
                return;
            }
            if (!life.beginFree(this)) {  // freed through another tensor on the same storage
                closed = true;
                return;
            }
            closed = true;
        }
        storage.free();
    }

    @Override
    public String toString() {
        return "Tensor" + shape + (layout == Layout.PLAIN ? "" : " " + layout) + " on " + backend.name()
                + (isClosed() ? " (closed)" : "");
    }
}
