package dev.jkernels.kernel;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.jkernels.Settings;
import dev.jkernels.nativeloader.KernelResources;

import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernels compiled for the CPU ({@code libjkernels-emu.so}, see cuda/emu/), called through JNA
 * with the same {@code void**} argument array {@code cuLaunchKernel} takes. "Device" memory is host
 * memory from the library's allocator, which counts live allocations (the leak test reads it).
 * Launches are synchronous.
 *
 * <p><b>Host budget.</b> All emulated backends of a JVM together hold at most
 * {@value #MAX_BYTES_PROPERTY} bytes (or {@code JKERNELS_EMULATOR_MAX_BYTES}; {@code 4g}, {@code 512m},
 * a plain byte count), {@value #DEFAULT_MAX_BYTES_TEXT} by default: an allocation past it is refused
 * before anything is allocated or zero-filled.
 *
 * <p>For the sanitizer runs of the property tests: {@value #LIBRARY_PROPERTY} names another build of
 * the library (the ASan one), and {@code -D}{@value #TRACE_PROPERTY}{@code =true} prints every launch
 * to stderr before it runs, so a crash report names the kernel.
 */
public final class EmulatedLauncher implements KernelLauncher {

    /** The C API of cuda/emu/emu_runtime.cpp. */
    interface EmuLibrary extends Library {
        String jkemu_launch(String name, int gx, int gy, int gz, int bx, int by, int bz, long sharedBytes,
                            Pointer params, int[] argSizes, int nparams, int mode);
        int jkemu_kernel_count();
        String jkemu_kernel_name(int i);
        int jkemu_kernel_arity(String name);
        Pointer jkemu_malloc(long bytes);
        int jkemu_free(Pointer p);
        long jkemu_live_allocations();
        long jkemu_live_bytes();
        void jkemu_memcpy(Pointer dst, Pointer src, long bytes);
        void jkemu_memset(Pointer dst, int value, long bytes);
    }

    /** The property (and, upper-cased with _ for ., the environment variable) of the host budget. */
    public static final String MAX_BYTES_PROPERTY = "jkernels.emulator.maxBytes";
    static final String DEFAULT_MAX_BYTES_TEXT = "4 GiB";
    static final long DEFAULT_MAX_BYTES = 4L << 30;
    /** A path to an emulator library to load instead of the jar's (the sanitizer build). */
    public static final String LIBRARY_PROPERTY = "jkernels.emulator.library";
    /** Prints each launch to stderr before it runs. */
    public static final String TRACE_PROPERTY = "jkernels.emulator.traceLaunches";

    /** Whether {@value #TRACE_PROPERTY} is on (read per launch: a bad value is an IllegalArgumentException there). */
    private static boolean trace() {
        String v = System.getProperty(TRACE_PROPERTY);
        return v != null && !v.isBlank() && Settings.parseBoolean(TRACE_PROPERTY, v);
    }

    /** Bytes reserved by every emulated launcher of this JVM (the budget's counter). */
    private static final java.util.concurrent.atomic.AtomicLong RESERVED = new java.util.concurrent.atomic.AtomicLong();

    /**
     * The host budget of the emulator in bytes: {@value #MAX_BYTES_PROPERTY} or
     * {@code JKERNELS_EMULATOR_MAX_BYTES}, else {@value #DEFAULT_MAX_BYTES_TEXT}. Read on every allocation.
     *
     * @throws IllegalArgumentException when the setting is not a byte count
     */
    public static long maxBytes() {
        String v = Settings.raw(MAX_BYTES_PROPERTY, "JKERNELS_EMULATOR_MAX_BYTES");
        return v == null || v.isBlank() ? DEFAULT_MAX_BYTES : Settings.parseBytes(MAX_BYTES_PROPERTY, v);
    }

    /** Bytes of every emulated backend of this JVM counted against {@link #maxBytes()}. */
    public static long budgetedBytes() { return RESERVED.get(); }

    private static final class Holder {
        static final EmuLibrary LIB;
        static final String ERROR;
        static {
            EmuLibrary lib = null;
            String error = null;
            try {
                String override = System.getProperty(LIBRARY_PROPERTY);
                Path path = override != null && !override.isBlank() ? Path.of(override)
                        : KernelResources.emulatorLibrary().orElse(null);
                if (path != null && !Files.isRegularFile(path)) throw new IllegalStateException(LIBRARY_PROPERTY + ": no file " + path);
                if (path == null) {
                    error = "this build has no emulator library for " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch") + " (" + KernelResources.EMULATOR_LINUX_X86_64
                            + " is built by cuda/build-emu.sh when g++ is present)";
                } else {
                    lib = Native.load(path.toString(), EmuLibrary.class);
                }
            } catch (RuntimeException | LinkageError e) {
                error = "the emulator library does not load: " + e;
            }
            LIB = lib;
            ERROR = error;
        }
    }

    /** Host memory of the emulator's allocator. */
    static final class EmuBuffer extends DeviceBuffer {
        final Pointer pointer;

        EmuBuffer(KernelLauncher owner, long bytes, Pointer pointer) {
            super(owner, bytes);
            this.pointer = pointer;
        }

        @Override protected long address() { return Pointer.nativeValue(pointer); }
    }

    private final EmuLibrary lib;
    private final EmulatorMode mode;
    private final Set<EmuBuffer> live = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EmulatedLauncher(EmuLibrary lib, EmulatorMode mode) {
        this.lib = lib;
        this.mode = mode;
    }

    /** @throws IllegalStateException when the build has no emulator library or it does not load */
    public static EmulatedLauncher open(EmulatorMode mode) {
        return new EmulatedLauncher(library(), mode);
    }

    private static EmuLibrary library() {
        if (Holder.LIB == null) throw new IllegalStateException("emulated backend unavailable: " + Holder.ERROR);
        return Holder.LIB;
    }

    /** Live allocations of the emulator's allocator, process-wide (every emulated backend). */
    public static long liveAllocations() { return library().jkemu_live_allocations(); }

    /** Live bytes of the emulator's allocator, process-wide. */
    public static long liveBytes() { return library().jkemu_live_bytes(); }

    /** Every kernel name the emulator library registered, sorted. */
    public static Set<String> kernelNames() {
        EmuLibrary l = library();
        Set<String> names = new LinkedHashSet<>();
        int n = l.jkemu_kernel_count();
        for (int i = 0; i < n; i++) names.add(l.jkemu_kernel_name(i));
        return names;
    }

    public EmulatorMode mode() { return mode; }

    @Override public String description() { return "emulator (" + mode + " mode)"; }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the emulated launcher is closed");
    }

    private EmuBuffer own(DeviceBuffer b, String what) {
        ensureOpen();
        b.check(this, what);
        return (EmuBuffer) b;
    }

    @Override public DeviceBuffer allocate(long bytes) {
        ensureOpen();
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        long budget = maxBytes();
        if (bytes > budget) {
            throw new IllegalArgumentException("emulated backend: a tensor of " + bytes + " bytes (" + mib(bytes)
                    + ") exceeds the emulator's host budget of " + budget + " bytes (" + mib(budget) + "; set "
                    + MAX_BYTES_PROPERTY + " or JKERNELS_EMULATOR_MAX_BYTES to raise it)");
        }
        long after = RESERVED.addAndGet(bytes);
        if (after > budget) {
            RESERVED.addAndGet(-bytes);
            throw new IllegalStateException("emulated backend: " + bytes + " more bytes (" + mib(bytes) + ") would bring the"
                    + " emulator's live memory to " + after + " bytes, over its host budget of " + budget + " bytes ("
                    + mib(budget) + "; close tensors, or raise " + MAX_BYTES_PROPERTY + ")");
        }
        Pointer p;
        try {
            p = lib.jkemu_malloc(bytes);
        } catch (RuntimeException | Error e) {
            RESERVED.addAndGet(-bytes);
            throw e;
        }
        if (p == null) {
            RESERVED.addAndGet(-bytes);
            throw new IllegalStateException("emulated backend: the host could not allocate " + bytes + " bytes (" + mib(bytes) + ")");
        }
        EmuBuffer b = new EmuBuffer(this, bytes, p);
        live.add(b);
        return b;
    }

    private static String mib(long bytes) { return (bytes >> 20) + " MiB"; }

    @Override public void free(DeviceBuffer buffer) {
        if (buffer.owner() != this) throw new IllegalArgumentException("free: buffer belongs to " + buffer.owner().description());
        EmuBuffer b = (EmuBuffer) buffer;
        if (!b.markFreed()) return;
        live.remove(b);
        RESERVED.addAndGet(-b.bytes());
        if (lib.jkemu_free(b.pointer) != 0) throw new IllegalStateException("emulator: free of an unknown pointer " + b.pointer);
    }

    @Override public void zero(DeviceBuffer buffer, long offset, long count) {
        EmuBuffer b = own(buffer, "zero");
        lib.jkemu_memset(b.pointer.share(offset * Float.BYTES), 0, count * Float.BYTES);
    }

    @Override public void write(DeviceBuffer dst, long offset, float[] src, int srcOffset, int length) {
        own(dst, "write").pointer.write(offset * Float.BYTES, src, srcOffset, length);
    }

    @Override public void read(DeviceBuffer src, long offset, float[] dst, int dstOffset, int length) {
        own(src, "read").pointer.read(offset * Float.BYTES, dst, dstOffset, length);
    }

    @Override public void write(DeviceBuffer dst, long offset, FloatBuffer src) {
        Pointer p = own(dst, "write").pointer.share(offset * Float.BYTES);
        int n = src.remaining();
        if (src.isDirect() && src.order() == ByteOrder.nativeOrder()) {  // a raw copy is right only in native order
            lib.jkemu_memcpy(p, Native.getDirectBufferPointer(src).share((long) src.position() * Float.BYTES), (long) n * Float.BYTES);
        } else if (src.hasArray()) {
            p.write(0, src.array(), src.arrayOffset() + src.position(), n);
        } else {
            float[] tmp = new float[n];
            src.duplicate().get(tmp);
            p.write(0, tmp, 0, n);
        }
    }

    @Override public void read(DeviceBuffer src, long offset, FloatBuffer dst) {
        if (dst.isReadOnly()) throw new ReadOnlyBufferException();  // checked before the raw copy below writes through it
        Pointer p = own(src, "read").pointer.share(offset * Float.BYTES);
        int n = dst.remaining();
        if (dst.isDirect() && dst.order() == ByteOrder.nativeOrder()) {
            lib.jkemu_memcpy(Native.getDirectBufferPointer(dst).share((long) dst.position() * Float.BYTES), p, (long) n * Float.BYTES);
        } else if (dst.hasArray() && !dst.isReadOnly()) {
            p.read(0, dst.array(), dst.arrayOffset() + dst.position(), n);
        } else {
            float[] tmp = new float[n];
            p.read(0, tmp, 0, n);
            dst.duplicate().put(tmp);
        }
    }

    @Override public void copy(DeviceBuffer src, DeviceBuffer dst, long count) {
        lib.jkemu_memcpy(own(dst, "copy dst").pointer, own(src, "copy src").pointer, count * Float.BYTES);
    }

    @Override public void launch(KernelLaunch l) {
        ensureOpen();
        KernelArgs args = l.args();
        int n = args.size();
        // One 8-byte-aligned slot per argument value (a struct takes its size), and the array of pointers to the slots.
        long[] offsets = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            offsets[i] = total;
            total += (args.type(i).bytes + 7) & ~7L;
        }
        Memory values = new Memory(Math.max(8, total));
        Memory params = new Memory(Math.max(1, n) * (long) Native.POINTER_SIZE);
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            long off = offsets[i];
            String what = l.kernel() + " argument " + i;
            switch (args.type(i)) {
                case POINTER -> values.setPointer(off, own(args.buffer(i), what).pointer);
                case INT32 -> values.setInt(off, args.int32(i));
                case INT64 -> values.setLong(off, args.int64(i));
                case FLOAT32 -> values.setFloat(off, args.float32(i));
                case EPILOGUE -> values.write(off, args.epilogue(i).toBytes(b -> Pointer.nativeValue(own(b, what + " (epilogue)").pointer)), 0,
                        EpilogueArgs.BYTES);
            }
            sizes[i] = args.type(i).bytes;
            params.setPointer((long) i * Native.POINTER_SIZE, values.share(off));
        }
        if (trace()) System.err.println("[jkernels-emu] launch " + l.kernel() + " grid " + l.grid() + " block " + l.block() + ": " + l.op());
        String err = lib.jkemu_launch(l.kernel(), l.grid().x(), l.grid().y(), l.grid().z(), l.block().x(), l.block().y(),
                l.block().z(), l.sharedBytes(), params, sizes, n, mode.code);
        Reference.reachabilityFence(values); // the slots must outlive the native call
        if (err != null) throw new IllegalStateException("emulated launch failed: " + l + ": " + err);
    }

    @Override public boolean hasKernel(String name) { return lib.jkemu_kernel_arity(name) >= 0; }

    @Override public void synchronize() { ensureOpen(); }

    @Override public double timeMillis(Runnable op) {
        ensureOpen();
        long t0 = System.nanoTime();
        op.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    @Override public void close() {
        closed = true;
        for (EmuBuffer b : live.toArray(new EmuBuffer[0])) free(b);
    }
}
