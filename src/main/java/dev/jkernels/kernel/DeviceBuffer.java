package dev.jkernels.kernel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory a {@link KernelLauncher} allocated: GPU memory, or host memory standing in for it in the
 * emulator. Only its launcher can read, write, free or pass it to a kernel; a buffer of another
 * launcher is rejected. Freed exactly once, by {@link KernelLauncher#free}.
 */
public abstract class DeviceBuffer {
    private final KernelLauncher owner;
    private final long bytes;
    private volatile boolean freed;
    private final AtomicLong writes = new AtomicLong();

    protected DeviceBuffer(KernelLauncher owner, long bytes) {
        this.owner = owner;
        this.bytes = bytes;
    }

    public final KernelLauncher owner() { return owner; }

    public final long bytes() { return bytes; }

    public final boolean isFreed() { return freed; }

    /**
     * How many times the buffer's contents were replaced through a tensor (host writes, op outputs):
     * what caches derived from it (ConvFilterCache) compare against.
     */
    public final long writes() { return writes.get(); }

    /** Notes a write into the buffer (DeviceStorage writes, KernelBackend op outputs). */
    final void noteWrite() { writes.incrementAndGet(); }

    /** The start address, where the launcher knows it (0 when not); for the overlap check. */
    protected long address() { return 0; }

    /** Whether the two buffers' byte ranges overlap: the same buffer, or ranges that intersect. */
    final boolean overlaps(DeviceBuffer other) {
        if (other == this) return true;
        if (other == null || other.owner != owner) return false;
        long a = address(), b = other.address();
        if (a == 0 || b == 0) return false;
        return a < b + Math.max(other.bytes, 1) && b < a + Math.max(bytes, 1);
    }

    /** Marks the buffer freed; true for the one caller that did it. For launchers. */
    protected final synchronized boolean markFreed() {
        if (freed) return false;
        freed = true;
        return true;
    }

    /** Throws unless this is a live buffer of {@code launcher}. */
    final void check(KernelLauncher launcher, String what) {
        if (owner != launcher) throw new IllegalArgumentException(what + ": buffer belongs to " + owner.description());
        if (freed) throw new IllegalStateException(what + ": device buffer of " + bytes + " bytes was already freed");
    }
}
