package dev.jkernels.kernel;

import dev.jkernels.nativeloader.KernelResources;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static jcuda.driver.JCudaDriver.*;

/**
 * The kernels on a GPU through JCuda's driver API: the device's primary context (retained here,
 * made current on the calling thread before every driver call: a JCuda context is per thread), the
 * jar's fatbin loaded once with {@code cuModuleLoadData}, a function cache, and one stream for
 * every launch and device-to-device copy. Host copies are synchronous ({@code cuMemcpyHtoD/DtoH}
 * on the legacy stream, which waits for this blocking stream), so a read sees every earlier launch.
 *
 * <p>Every driver error becomes an {@link IllegalStateException} naming the call and, for a launch,
 * the op with its spec, the kernel, grid and block. A launch's own errors (bad configuration,
 * missing kernel) are reported by the launch; a fault inside the kernel surfaces at the next
 * synchronising call, whose message names the last op launched. With
 * {@code -Djkernels.cuda.syncEachLaunch=true} every launch synchronises, so a fault is reported by
 * the launch that caused it (slow; for debugging).
 */
public final class CudaLauncher implements KernelLauncher {

    private static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("jkernels.cuda.syncEachLaunch");

    static final class CudaBuffer extends DeviceBuffer {
        final AddressablePtr ptr;

        CudaBuffer(KernelLauncher owner, long bytes, AddressablePtr ptr) {
            super(owner, bytes);
            this.ptr = ptr;
        }
    }

    /** A CUdeviceptr whose 64-bit device address can be read: a by-value struct argument (jk::Epilogue) embeds it. */
    static final class AddressablePtr extends CUdeviceptr {
        long address() { return getNativePointer() + getByteOffset(); }
    }

    private final int deviceIndex;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final CUstream stream = new CUstream();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Set<CudaBuffer> live = ConcurrentHashMap.newKeySet();
    private final String deviceName;
    private final int ccMajor, ccMinor, multiprocessors;
    private volatile String lastLaunch = "(none)";
    private volatile boolean closed;

    private CudaLauncher(int deviceIndex, byte[] fatbin) {
        this.deviceIndex = deviceIndex;
        JCudaDriver.setExceptionsEnabled(true);
        call("cuInit", () -> cuInit(0));
        call("cuDeviceGet(" + deviceIndex + ")", () -> cuDeviceGet(device, deviceIndex));
        call("cuDevicePrimaryCtxRetain", () -> cuDevicePrimaryCtxRetain(context, device));
        boolean ok = false;
        try {
            makeCurrent();
            byte[] name = new byte[256];
            call("cuDeviceGetName", () -> cuDeviceGetName(name, name.length, device));
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            deviceName = new String(name, 0, len, StandardCharsets.US_ASCII);
            ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            call("cuModuleLoadData (the kernel fatbin, " + fatbin.length + " bytes, targets "
                    + KernelResources.cudaTargets().orElse("?") + ", on sm_" + ccMajor + ccMinor + ")",
                    () -> cuModuleLoadData(module, fatbin));
            call("cuStreamCreate", () -> cuStreamCreate(stream, 0));
            ok = true;
        } finally {
            if (!ok) cuDevicePrimaryCtxRelease(device);
        }
    }

    /**
     * A launcher on device {@code deviceIndex}.
     *
     * @throws IllegalStateException when this build has no kernels or the device cannot be used
     */
    public static CudaLauncher open(int deviceIndex) {
        if (deviceIndex < 0) throw new IllegalArgumentException("deviceIndex must be >= 0, got " + deviceIndex);
        byte[] fatbin = KernelResources.fatbin().orElseThrow(() -> new IllegalStateException(
                "CUDA backend: this build has no kernels (jkernels.fatbin is missing: nvcc was absent when it was built)"));
        return new CudaLauncher(deviceIndex, fatbin);
    }

    public int multiprocessorCount() { return multiprocessors; }

    public int computeCapabilityMajor() { return ccMajor; }

    public int computeCapabilityMinor() { return ccMinor; }

    public String deviceName() { return deviceName; }

    /** A {@code CU_DEVICE_ATTRIBUTE_*} of this device (for {@link DeviceProfile#of}). */
    int deviceAttribute(int attr) {
        enter();
        return attribute(attr);
    }

    /**
     * A kernel's resources as the driver reports them ({@code cuFuncGetAttribute}): registers per
     * thread and static shared memory per block; for the selection's occupancy figures.
     */
    KernelFootprint footprint(String kernel) {
        enter();
        CUfunction f = function(kernel);
        int[] regs = new int[1], smem = new int[1];
        call("cuFuncGetAttribute(NUM_REGS, " + kernel + ")",
                () -> cuFuncGetAttribute(regs, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, f));
        call("cuFuncGetAttribute(SHARED_SIZE_BYTES, " + kernel + ")",
                () -> cuFuncGetAttribute(smem, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f));
        return new KernelFootprint(regs[0], smem[0], "cuFuncGetAttribute");
    }

    /**
     * For other GPU code in this package (cuBLAS): makes this launcher's context current on the
     * calling thread and returns the stream every launch goes to, so work queued on it is ordered
     * with the kernels.
     */
    CUstream enterAndGetStream() {
        enter();
        return stream;
    }

    /** The device pointer of a live buffer of this launcher (for cuBLAS). */
    CUdeviceptr devicePointer(DeviceBuffer b, String what) { return own(b, what).ptr; }

    @Override public String description() {
        return "cuda:" + deviceIndex + " " + deviceName + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs)";
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        call("cuDeviceGetAttribute(" + attr + ")", () -> cuDeviceGetAttribute(v, attr, device));
        return v[0];
    }

    @FunctionalInterface private interface DriverCall { int run(); }

    /** Runs a driver call; exceptions are on, so failures throw; wraps them with what was done. */
    private static void call(String what, DriverCall c) {
        try {
            c.run();
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA error in " + what + ": " + e.getMessage(), e);
        }
    }

    /** Makes the primary context current on this thread: JCuda's contexts are per thread. */
    private void makeCurrent() {
        call("cuCtxSetCurrent", () -> cuCtxSetCurrent(context));
    }

    private void enter() {
        if (closed) throw new IllegalStateException("the CUDA launcher of device " + deviceIndex + " is closed");
        makeCurrent();
    }

    private CudaBuffer own(DeviceBuffer b, String what) {
        enter();
        b.check(this, what);
        return (CudaBuffer) b;
    }

    @Override public DeviceBuffer allocate(long bytes) {
        enter();
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        // Refused before allocating, with the limit named: one tensor against the device's free memory.
        long[] free = new long[1], total = new long[1];
        call("cuMemGetInfo", () -> cuMemGetInfo(free, total));
        if (bytes > total[0]) {
            throw new IllegalArgumentException("cuda:" + deviceIndex + ": a tensor of " + bytes + " bytes exceeds the device's "
                    + total[0] + " bytes of memory");
        }
        if (bytes > free[0]) {
            throw new IllegalStateException("cuda:" + deviceIndex + ": a tensor of " + bytes + " bytes exceeds the device's free memory ("
                    + free[0] + " of " + total[0] + " bytes free)");
        }
        AddressablePtr p = new AddressablePtr();
        call("cuMemAlloc(" + bytes + " bytes)", () -> cuMemAlloc(p, Math.max(bytes, 4)));
        CudaBuffer b = new CudaBuffer(this, bytes, p);
        live.add(b);
        return b;
    }

    @Override public void free(DeviceBuffer buffer) {
        if (buffer.owner() != this) throw new IllegalArgumentException("free: buffer belongs to " + buffer.owner().description());
        CudaBuffer b = (CudaBuffer) buffer;
        if (!b.markFreed()) return;
        live.remove(b);
        makeCurrent();
        // Launches are asynchronous: the stream may still be using the buffer. Free only after it is done.
        call("cuStreamSynchronize before cuMemFree (after " + lastLaunch + ")", () -> cuStreamSynchronize(stream));
        call("cuMemFree", () -> cuMemFree(b.ptr));
    }

    @Override public void zero(DeviceBuffer buffer, long offset, long count) {
        CudaBuffer b = own(buffer, "zero");
        call("cuMemsetD32Async", () -> cuMemsetD32Async(b.ptr.withByteOffset(offset * Float.BYTES), 0, count, stream));
    }

    @Override public void write(DeviceBuffer dst, long offset, float[] src, int srcOffset, int length) {
        CudaBuffer b = own(dst, "write");
        call("cuMemcpyHtoD", () -> cuMemcpyHtoD(b.ptr.withByteOffset(offset * Float.BYTES),
                Pointer.to(src).withByteOffset((long) srcOffset * Float.BYTES), (long) length * Float.BYTES));
    }

    @Override public void read(DeviceBuffer src, long offset, float[] dst, int dstOffset, int length) {
        CudaBuffer b = own(src, "read");
        call("cuMemcpyDtoH (after " + lastLaunch + ")", () -> cuMemcpyDtoH(
                Pointer.to(dst).withByteOffset((long) dstOffset * Float.BYTES),
                b.ptr.withByteOffset(offset * Float.BYTES), (long) length * Float.BYTES));
    }

    @Override public void write(DeviceBuffer dst, long offset, FloatBuffer src) {
        CudaBuffer b = own(dst, "write");
        int n = src.remaining();
        if (src.isDirect() && src.order() == ByteOrder.nativeOrder()) {  // a raw copy is right only in native order
            call("cuMemcpyHtoD", () -> cuMemcpyHtoD(b.ptr.withByteOffset(offset * Float.BYTES), Pointer.to(src.slice()),
                    (long) n * Float.BYTES));
        } else {
            float[] tmp = new float[n];
            src.duplicate().get(tmp);
            write(dst, offset, tmp, 0, n);
        }
    }

    @Override public void read(DeviceBuffer src, long offset, FloatBuffer dst) {
        if (dst.isReadOnly()) throw new java.nio.ReadOnlyBufferException();  // before cuMemcpyDtoH writes through it
        CudaBuffer b = own(src, "read");
        int n = dst.remaining();
        if (dst.isDirect() && dst.order() == ByteOrder.nativeOrder()) {
            call("cuMemcpyDtoH (after " + lastLaunch + ")", () -> cuMemcpyDtoH(Pointer.to(dst.slice()),
                    b.ptr.withByteOffset(offset * Float.BYTES), (long) n * Float.BYTES));
        } else {
            float[] tmp = new float[n];
            read(src, offset, tmp, 0, n);
            dst.duplicate().put(tmp);
        }
    }

    @Override public void copy(DeviceBuffer src, DeviceBuffer dst, long count) {
        CudaBuffer s = own(src, "copy src");
        CudaBuffer d = own(dst, "copy dst");
        call("cuMemcpyDtoDAsync", () -> cuMemcpyDtoDAsync(d.ptr, s.ptr, count * Float.BYTES, stream));
    }

    private CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            call("cuModuleGetFunction(" + n + "): no such kernel in the fatbin", () -> cuModuleGetFunction(f, module, n));
            return f;
        });
    }

    @Override public void launch(KernelLaunch l) {
        enter();
        KernelArgs args = l.args();
        Pointer[] slots = new Pointer[args.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = switch (args.type(i)) {
                case POINTER -> Pointer.to(own(args.buffer(i), l.kernel() + " argument " + i).ptr);
                case INT32 -> Pointer.to(new int[] {args.int32(i)});
                case INT64 -> Pointer.to(new long[] {args.int64(i)});
                case FLOAT32 -> Pointer.to(new float[] {args.float32(i)});
                case EPILOGUE -> {
                    String what = l.kernel() + " argument " + i + " (epilogue)";
                    yield Pointer.to(args.epilogue(i).toBytes(b -> own(b, what).ptr.address()));
                }
            };
        }
        CUfunction f;
        try {
            f = function(l.kernel());
        } catch (IllegalStateException e) {
            throw new IllegalStateException("CUDA launch failed: " + l + ": " + e.getMessage(), e);
        }
        String what = l.toString();
        lastLaunch = what;
        call("cuLaunchKernel: " + what, () -> cuLaunchKernel(f, l.grid().x(), l.grid().y(), l.grid().z(),
                l.block().x(), l.block().y(), l.block().z(), l.sharedBytes(), stream, Pointer.to(slots), null));
        if (SYNC_EACH_LAUNCH) call("cuStreamSynchronize after " + what, () -> cuStreamSynchronize(stream));
    }

    @Override public boolean hasKernel(String name) {
        try {
            enter();
            function(name);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    @Override public void synchronize() {
        enter();
        call("cuStreamSynchronize (after " + lastLaunch + ")", () -> cuStreamSynchronize(stream));
    }

    @Override public double timeMillis(Runnable op) {
        enter();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        call("cuEventCreate", () -> cuEventCreate(start, 0));
        try {
            call("cuEventCreate", () -> cuEventCreate(stop, 0));
            try {
                call("cuEventRecord", () -> cuEventRecord(start, stream));
                op.run();
                makeCurrent();
                call("cuEventRecord", () -> cuEventRecord(stop, stream));
                call("cuEventSynchronize (after " + lastLaunch + ")", () -> cuEventSynchronize(stop));
                float[] ms = new float[1];
                call("cuEventElapsedTime", () -> cuEventElapsedTime(ms, start, stop));
                return ms[0];
            } finally {
                cuEventDestroy(stop);
            }
        } finally {
            cuEventDestroy(start);
        }
    }

    @Override public void close() {
        if (closed) return;
        makeCurrent();
        try {
            cuStreamSynchronize(stream);
        } catch (CudaException ignored) {
            // a sticky error: the buffers are freed with the context anyway
        }
        for (CudaBuffer b : live.toArray(new CudaBuffer[0])) {
            try {
                free(b);
            } catch (IllegalStateException ignored) {
                // keep releasing the rest
            }
        }
        closed = true;
        try {
            cuStreamDestroy(stream);
            cuModuleUnload(module);
        } finally {
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
