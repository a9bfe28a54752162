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
    /** The tensor whose memory this view shares (and which owns it), or null for an owning tensor. */
    private final Tensor parent;

    private Tensor(Backend backend, TensorStorage storage, Shape shape, Layout layout) {
        this(backend, storage, shape, layout, null);
    }

    private Tensor(Backend backend, TensorStorage storage, Shape shape, Layout layout, Tensor parent) {
        this.backend = backend;
        this.storage = storage;
        this.shape = shape;
        this.layout = layout;
        this.parent = parent;
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

    public boolean isClosed() { return closed || (parent != null && parent.closed); }

    /** For backends: the memory, after checking the tensor is open. */
    public TensorStorage storage() {
        ensureOpen("tensor");
        return storage;
    }

    /** Throws {@link IllegalStateException} naming {@code argument} if this tensor was closed. */
    public void ensureOpen(String argument) {
        if (closed) throw new IllegalStateException(argument + ": tensor " + shape + " is closed");
        if (parent != null && parent.isClosed()) {
            throw new IllegalStateException(argument + ": view " + shape + " of tensor " + parent.shape()
                    + " is unusable: that tensor is closed");
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
        return new Tensor(backend, storage, s, layout, owner);
    }

    /** True for a view made by {@link #reshape}. */
    public boolean isView() { return parent != null; }

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
        if (parent == null) storage.free();
    }

    @Override
    public String toString() {
        return "Tensor" + shape + (layout == Layout.PLAIN ? "" : " " + layout) + " on " + backend.name()
                + (closed ? " (closed)" : "");
    }
}
