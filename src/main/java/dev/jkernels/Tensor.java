package dev.jkernels;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A dense FP32 tensor in row-major order, owned by one {@link Backend}. It owns its memory (heap,
 * native host or GPU) until {@link #close()}; every use after that throws
 * {@link IllegalStateException}. Copies between host arrays and the tensor are explicit.
 *
 * <p>Make one with {@link Backend#tensor(float[], int...)}, {@link Backend#zeros(int...)} and friends.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final TensorStorage storage;
    private final Shape shape;
    private final Layout layout;
    private volatile boolean closed;

    private Tensor(Backend backend, TensorStorage storage, Shape shape, Layout layout) {
        this.backend = backend;
        this.storage = storage;
        this.shape = shape;
        this.layout = layout;
    }

    /** For backends: wraps freshly allocated storage. Checks that the layout fits the rank. */
    public static Tensor ofStorage(Backend backend, TensorStorage storage, Shape shape, Layout layout) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(shape, "shape");
        checkLayout(shape, layout);
        if (storage.elementCount() != shape.elementCount()) {
            throw new IllegalArgumentException("storage holds " + storage.elementCount()
                    + " floats, shape " + shape + " needs " + shape.elementCount());
        }
        return new Tensor(backend, storage, shape, layout);
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

    public boolean isClosed() { return closed; }

    /** For backends: the memory, after checking the tensor is open. */
    public TensorStorage storage() {
        ensureOpen("tensor");
        return storage;
    }

    /** Throws {@link IllegalStateException} naming {@code argument} if this tensor was closed. */
    public void ensureOpen(String argument) {
        if (closed) throw new IllegalStateException(argument + ": tensor " + shape + " is closed");
    }

    /** Copies the whole tensor into a new array. */
    public float[] toArray() {
        int n = shape.elementCountAsInt("toArray");
        float[] out = new float[n];
        storage().read(0, out, 0, n);
        return out;
    }

    /** Copies the whole tensor into {@code dst} from its position on; the position is not moved. */
    public void copyTo(FloatBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.remaining() != size()) {
            throw new IllegalArgumentException("dst: expected " + size() + " floats remaining for tensor "
                    + shape + ", got " + dst.remaining());
        }
        storage().read(0, dst);
    }

    /** Overwrites the whole tensor from {@code src}, which must hold exactly {@link #size()} floats. */
    public void copyFrom(float[] src) {
        Objects.requireNonNull(src, "src");
        if (src.length != size()) {
            throw new IllegalArgumentException("src: expected " + size() + " floats for tensor " + shape
                    + ", got " + src.length);
        }
        storage().write(0, src, 0, src.length);
    }

    /** Overwrites the whole tensor from {@code src}'s remaining floats; the position is not moved. */
    public void copyFrom(FloatBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src.remaining() != size()) {
            throw new IllegalArgumentException("src: expected " + size() + " floats remaining for tensor "
                    + shape + ", got " + src.remaining());
        }
        storage().write(0, src);
    }

    /** Frees the memory. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        storage.free();
    }

    @Override
    public String toString() {
        return "Tensor" + shape + (layout == Layout.PLAIN ? "" : " " + layout) + " on " + backend.name()
                + (closed ? " (closed)" : "");
    }
}
