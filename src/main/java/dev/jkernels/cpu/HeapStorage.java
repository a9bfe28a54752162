package dev.jkernels.cpu;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;

/** A tensor's floats in one Java array: what the CPU backend computes on directly. */
final class HeapStorage implements TensorStorage {
    /** The longest float[] every JVM allocates (a few header words below 2^31−1). */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private volatile float[] data;
    private final int length;
    private final Object owner;
    /**
     * Changes with every write: {@link #write}, {@link #free} and each CPU op that writes this
     * storage ({@code CpuBackend.written}). What {@link FilterCache} compares before it reuses a
     * layout made from these floats. Atomic: two writers racing must not leave an earlier value.
     */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();

    private HeapStorage(float[] data, Object owner) {
        this.data = data;
        this.length = data.length;
        this.owner = owner;
    }

    /** The backend that allocated this storage. */
    Object owner() { return owner; }

    /**
     * Zero-filled storage of {@code count} floats.
     *
     * @throws IllegalArgumentException when {@code count} does not fit one Java array
     * @throws IllegalStateException when the Java heap cannot hold it
     */
    static HeapStorage allocate(long count, Object owner) {
        if (count < 0 || count > MAX_ELEMENTS) {
            throw new IllegalArgumentException("cpu backend: a tensor of " + count + " elements does not fit one Java array"
                    + " (at most " + MAX_ELEMENTS + " elements, about 2^31−1)");
        }
        try {
            return new HeapStorage(new float[(int) count], owner);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("cpu backend: the Java heap cannot hold a tensor of " + count + " floats ("
                    + (count * 4 >> 20) + " MiB); raise -Xmx", e);
        }
    }

    /** The backing array; valid until {@link #free()}. */
    float[] array() { return data; }

    /** See {@link #version}. */
    long version() { return version.get(); }

    /** Marks the floats as changed (before or while they are written: any later reader sees a new version). */
    void modified() { version.incrementAndGet(); }

    @Override public long elementCount() { return length; }

    @Override public void write(long offset, float[] src, int srcOffset, int length) {
        modified();
        System.arraycopy(src, srcOffset, data, (int) offset, length);
    }

    @Override public void read(long offset, float[] dst, int dstOffset, int length) {
        System.arraycopy(data, (int) offset, dst, dstOffset, length);
    }

    @Override public void write(long offset, FloatBuffer src) {
        modified();
        src.get(src.position(), data, (int) offset, src.remaining());
    }

    @Override public void read(long offset, FloatBuffer dst) {
        dst.put(dst.position(), data, (int) offset, dst.remaining());
    }

    /** Drops the array so the memory can be collected even if the tensor object lives on. */
    @Override public void free() {
        modified();
        data = null;
    }

    /** The same array: heap storages are whole arrays, never parts of one. */
    @Override public boolean overlaps(TensorStorage other) {
        if (other == this) return true;
        float[] d = data;
        return d != null && other instanceof HeapStorage h && h.data == d;
    }
}
