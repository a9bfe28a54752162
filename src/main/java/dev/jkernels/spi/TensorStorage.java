package dev.jkernels.spi;

import java.nio.FloatBuffer;

/**
 * The memory behind a {@link dev.jkernels.Tensor}: host heap, native host memory or device memory.
 * Implemented by backends; users never see it. Offsets and lengths are in floats and are checked by
 * the caller ({@code Tensor}) before they reach an implementation.
 */
public interface TensorStorage {
    long elementCount();

    void write(long offset, float[] src, int srcOffset, int length);

    void read(long offset, float[] dst, int dstOffset, int length);

    /** Writes {@code src.remaining()} floats at {@code offset}; the buffer's position is not moved. */
    void write(long offset, FloatBuffer src);

    /** Reads {@code dst.remaining()} floats from {@code offset}; the buffer's position is not moved. */
    void read(long offset, FloatBuffer dst);

    /** Frees the memory. Called once, by the owning tensor. */
    void free();

    /**
     * Whether this storage's memory range overlaps {@code other}'s (the aliasing check of every op).
     * The default compares identity; implementations compare the memory itself.
     */
    default boolean overlaps(TensorStorage other) { return other == this; }
}
