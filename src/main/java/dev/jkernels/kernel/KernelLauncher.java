package dev.jkernels.kernel;

import java.nio.FloatBuffer;

/**
 * Device memory and kernel launches: the GPU ({@link CudaLauncher}) or the same kernels compiled
 * for the CPU ({@link EmulatedLauncher}). {@link KernelBackend} computes every {@link KernelLaunch}
 * once and hands it to whichever launcher it has, so the emulator exercises the exact launch code
 * the GPU runs.
 *
 * <p>Offsets and lengths are in floats, already checked by the caller. Launches and device-to-device
 * copies may be asynchronous (the GPU's stream); reads and writes from or to the host are not, and
 * see every earlier launch. Thread-safe.
 */
public interface KernelLauncher extends AutoCloseable {

    /** For logs: the device or the emulator mode. */
    String description();

    /** {@code bytes} of device memory, contents undefined. */
    DeviceBuffer allocate(long bytes);

    /** Frees {@code buffer}; a second free of the same buffer is a no-op. */
    void free(DeviceBuffer buffer);

    /** Sets {@code count} floats from {@code offset} to zero. */
    void zero(DeviceBuffer buffer, long offset, long count);

    void write(DeviceBuffer dst, long offset, float[] src, int srcOffset, int length);

    void read(DeviceBuffer src, long offset, float[] dst, int dstOffset, int length);

    /** Writes {@code src.remaining()} floats; the position is not moved. */
    void write(DeviceBuffer dst, long offset, FloatBuffer src);

    /** Reads {@code dst.remaining()} floats; the position is not moved. */
    void read(DeviceBuffer src, long offset, FloatBuffer dst);

    /** Device-to-device copy of {@code count} floats from the start of each buffer. */
    void copy(DeviceBuffer src, DeviceBuffer dst, long count);

    /** Launches the kernel; throws with the launch (op, kernel, grid, block) in the message if it fails. */
    void launch(KernelLaunch launch);

    /** Whether this launcher has a kernel of that {@code extern "C"} name. */
    boolean hasKernel(String name);

    /** Waits for every launch and copy issued so far; reports an asynchronous failure. */
    void synchronize();

    /** Runs {@code op} and returns its time in ms: CUDA events on the stream, or the wall clock. */
    double timeMillis(Runnable op);

    /** Frees every buffer still allocated and releases the device (context, module, stream). */
    @Override void close();
}
