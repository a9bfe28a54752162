package dev.jkernels.kernel;

import dev.jkernels.spi.TensorStorage;

import java.nio.FloatBuffer;
import java.util.function.Consumer;

/** A tensor's floats in a {@link DeviceBuffer}; freed by the owning tensor's close. */
final class DeviceStorage implements TensorStorage {
    private final KernelLauncher launcher;
    private final DeviceBuffer buffer;
    private final long count;
    private final Consumer<DeviceBuffer> beforeFree;

    DeviceStorage(KernelLauncher launcher, DeviceBuffer buffer, long count) { this(launcher, buffer, count, b -> {}); }

    /** @param beforeFree called with the buffer just before it is freed (drops what was derived from it) */
    DeviceStorage(KernelLauncher launcher, DeviceBuffer buffer, long count, Consumer<DeviceBuffer> beforeFree) {
        this.launcher = launcher;
        this.buffer = buffer;
        this.count = count;
        this.beforeFree = beforeFree;
    }

    DeviceBuffer buffer() { return buffer; }

    KernelLauncher launcher() { return launcher; }

    @Override public boolean overlaps(TensorStorage other) {
        return other == this || other instanceof DeviceStorage d && buffer.overlaps(d.buffer);
    }

    @Override public long elementCount() { return count; }

    @Override public void write(long offset, float[] src, int srcOffset, int length) {
        buffer.noteWrite();
        launcher.write(buffer, offset, src, srcOffset, length);
    }

    @Override public void read(long offset, float[] dst, int dstOffset, int length) {
        launcher.read(buffer, offset, dst, dstOffset, length);
    }

    @Override public void write(long offset, FloatBuffer src) {
        buffer.noteWrite();
        launcher.write(buffer, offset, src);
    }

    @Override public void read(long offset, FloatBuffer dst) { launcher.read(buffer, offset, dst); }

    @Override public void free() {
        try {
            beforeFree.accept(buffer);
        } finally {
            launcher.free(buffer);
        }
    }
}
