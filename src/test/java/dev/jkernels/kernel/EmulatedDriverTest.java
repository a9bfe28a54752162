package dev.jkernels.kernel;

import com.sun.jna.Memory;
import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.nativeloader.KernelResources;
import dev.jkernels.testing.TestBackends;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static jcuda.driver.JCudaDriver.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The emulated CUDA driver and cuBLAS themselves (cuda/emu/driver/), through JCuda: each misuse the
 * Java launch code could commit fails with the driver's error code, and CudaLauncher turns it into
 * an IllegalStateException naming the op; streams are really asynchronous; the device is never
 * mistaken for a GPU. Runs only in the gpu-on-emulated-driver execution (the fake on the library path).
 */
@Tag("emulated-driver")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatedDriverTest {
    private KernelBackend backend;
    private CudaLauncher launcher;

    @BeforeAll void open() {
        Backend b = TestBackends.open(BackendKind.CUDA);
        backend = (KernelBackend) b;
        launcher = (CudaLauncher) backend.launcher();
        assertTrue(CudaProbe.verdict().emulatedDriver(), "this test needs the emulated driver first on LD_LIBRARY_PATH: "
                + CudaProbe.verdict().reason());
    }

    @AfterAll void close() {
        if (backend != null) backend.close();
    }

    /** The CUDA error name JCuda's exception carries, or CUDA_SUCCESS. */
    private static String code(Runnable r) {
        try {
            r.run();
            return "CUDA_SUCCESS";
        } catch (CudaException e) {
            return e.getMessage();
        }
    }

    private static IllegalStateException failsWith(String codeName, String op, Runnable r) {
        IllegalStateException e = assertThrows(IllegalStateException.class, r::run);
        assertTrue(e.getMessage().contains(codeName), () -> "expected " + codeName + " in: " + e.getMessage());
        assertTrue(e.getMessage().contains(op), () -> "expected the op '" + op + "' in: " + e.getMessage());
        return e;
    }

    /**
     * A device-pointer object of the type CudaBuffer holds, at an arbitrary address (JCuda has no
     * public constructor for one).
     */
    private static CUdeviceptr pointerAt(long address) {
        try {
            Class<?> type = CudaLauncher.CudaBuffer.class.getDeclaredConstructors()[0].getParameterTypes()[2];
            var ctor = type.getDeclaredConstructor();
            ctor.setAccessible(true);
            CUdeviceptr p = (CUdeviceptr) ctor.newInstance();
            Field f = NativePointerObject.class.getDeclaredField("nativePointer");
            f.setAccessible(true);
            f.setLong(p, address);
            return p;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** A CudaBuffer of {@code bytes} over {@code ptr}, whatever pointer type CudaBuffer takes. */
    private CudaLauncher.CudaBuffer buffer(long bytes, CUdeviceptr ptr) {
        try {
            var ctor = CudaLauncher.CudaBuffer.class.getDeclaredConstructors()[0];
            ctor.setAccessible(true);
            return (CudaLauncher.CudaBuffer) ctor.newInstance(launcher, bytes, ptr);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static long address(CUdeviceptr p) {
        try {
            Field f = NativePointerObject.class.getDeclaredField("nativePointer");
            f.setAccessible(true);
            return f.getLong(p);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** cuLaunchKernel's kernelParams for {@code args}, as CudaLauncher builds them (scalars and pointers). */
    private static Pointer params(KernelArgs args) {
        Pointer[] slots = new Pointer[args.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = switch (args.type(i)) {
                case POINTER -> Pointer.to(((CudaLauncher.CudaBuffer) args.buffer(i)).ptr);
                case INT32 -> Pointer.to(new int[] {args.int32(i)});
                case INT64 -> Pointer.to(new long[] {args.int64(i)});
                case FLOAT32 -> Pointer.to(new float[] {args.float32(i)});
                default -> throw new AssertionError("argument type " + args.type(i) + " in a test launch");
            };
        }
        return Pointer.to(slots);
    }

    /** A second CudaBuffer over the same device memory as {@code b}, claiming {@code bytes}. */
    private CudaLauncher.CudaBuffer alias(DeviceBuffer b, long bytes) {
        return buffer(bytes, pointerAt(address(((CudaLauncher.CudaBuffer) b).ptr)));
    }

    // ---- nothing mistakes it for a GPU ------------------------------------------------------------

    @Test void theDeviceSaysWhatItIsAndHasAnH200sLimits() {
        assertEquals(CudaProbe.EMULATED_DEVICE_NAME, launcher.deviceName());
        assertTrue(launcher.description().contains("jkernels emulated GPU") && launcher.description().contains("sm_90"),
                launcher.description());
        assertEquals(132, launcher.multiprocessorCount());
        assertTrue(CudaProbe.verdict().reason().startsWith("EMULATED CUDA driver"), CudaProbe.verdict().reason());
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, 0);
        int[][] expected = {
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 9},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1024},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 49152},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 232448},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, 65536},
            {CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE, 32},
        };
        for (int[] e : expected) {
            int[] v = {-1};
            cuDeviceGetAttribute(v, e[0], dev);
            assertEquals(e[1], v[0], "attribute " + e[0]);
        }
    }

    @Test void doctorSaysEmulatedOnItsFirstLineAndRequireGpuRejectsItUnlessAllowed() throws Exception {
        Process allowed = doctor(true);
        String out = new String(allowed.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(allowed.waitFor(120, TimeUnit.SECONDS));
        assertTrue(out.lines().findFirst().orElse("").contains("EMULATED CUDA DRIVER, NOT A GPU"), out);
        assertEquals(0, allowed.exitValue(), out);

        Process rejected = doctor(false);
        String out2 = new String(rejected.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(rejected.waitFor(120, TimeUnit.SECONDS));
        assertEquals(1, rejected.exitValue(), "doctor --require-gpu on the emulated driver without the allowance:\n" + out2);
        assertTrue(out2.contains("JKERNELS_REQUIRE_GPU=1 rejects it"), out2);
    }

    private static Process doctor(boolean allowEmulated) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.jkernels.nativeloader.Doctor", "--require-gpu").redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JKERNELS_REQUIRE_GPU", "1");
        if (allowEmulated) pb.environment().put(CudaProbe.ALLOW_EMULATED_ENV, "1");
        else pb.environment().remove(CudaProbe.ALLOW_EMULATED_ENV);
        return pb.start();
    }

    // ---- misuse fails with the driver's code, and CudaLauncher names the op ---------------------------

    @Test void aHostPointerAsDevicePointer() {
        Memory host = new Memory(4096);
        CudaLauncher.CudaBuffer fake = buffer(4096, pointerAt(com.sun.jna.Pointer.nativeValue(host)));
        failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyHtoD", () -> launcher.write(fake, 0, new float[16], 0, 16));
        failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyDtoH", () -> launcher.read(fake, 0, new float[16], 0, 16));
        KernelLaunch relu = ActivationKernels.forward(Activation.relu(), ActivationKernels.Variant.VEC4, fake, fake, 16, "relu on a host pointer");
        failsWith("CUDA_ERROR_INVALID_VALUE", "relu on a host pointer", () -> launcher.launch(relu));
        host.close();
    }

    @Test void anOutOfRangeCopy() {
        DeviceBuffer real = launcher.allocate(64);
        try {
            CudaLauncher.CudaBuffer tooLong = alias(real, 4096);
            failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyHtoD", () -> launcher.write(tooLong, 0, new float[17], 0, 17));
            failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyDtoH", () -> launcher.read(tooLong, 10, new float[8], 0, 8));
            failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemsetD32Async", () -> launcher.zero(tooLong, 0, 1024));
            launcher.write(real, 0, new float[16], 0, 16);  // exactly the allocation is fine
        } finally {
            launcher.free(real);
        }
    }

    @Test void aLaunchWithoutAContext() throws Exception {
        CUfunction f = launcher.function(ActivationKernels.forwardName(Activation.Kind.RELU, ActivationKernels.Variant.VEC4));
        DeviceBuffer x = launcher.allocate(64);
        try {
            AtomicReference<String> launchCode = new AtomicReference<>(), allocCode = new AtomicReference<>();
            AtomicReference<Throwable> viaLauncher = new AtomicReference<>();
            Thread t = new Thread(() -> {
                // A fresh OS thread has no current context: the driver says so, as a GPU's would.
                Pointer args = params(ActivationKernels.forward(Activation.relu(), ActivationKernels.Variant.VEC4, x, x, 16, "relu").args());
                launchCode.set(code(() -> cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, null, args, null)));
                allocCode.set(code(() -> cuMemAlloc(new CUdeviceptr(), 64)));
                // CudaLauncher makes its context current on every thread before each call.
                try {
                    launcher.launch(ActivationKernels.forward(Activation.relu(), ActivationKernels.Variant.VEC4, x, x, 16, "relu"));
                    launcher.synchronize();
                } catch (Throwable e) {
                    viaLauncher.set(e);
                }
            });
            t.start();
            t.join();
            assertEquals("CUDA_ERROR_INVALID_CONTEXT", launchCode.get());
            assertEquals("CUDA_ERROR_INVALID_CONTEXT", allocCode.get());
            assertNull(viaLauncher.get(), () -> "CudaLauncher on a fresh thread: " + viaLauncher.get());
        } finally {
            launcher.free(x);
        }
    }

    @Test void aLaunchWithTooMuchSharedMemory() {
        DeviceBuffer x = launcher.allocate(64);
        try {
            KernelLaunch ok = ActivationKernels.forward(Activation.relu(), ActivationKernels.Variant.VEC4, x, x, 16, "relu");
            int smem = staticShared(ok.kernel());
            for (int bytes : new int[] {49152 - smem + 1, 232448, 300_000}) {
                KernelLaunch big = new KernelLaunch("relu with " + bytes + " B of shared memory", ok.kernel(), ok.grid(), ok.block(),
                        bytes, ok.args());
                failsWith("CUDA_ERROR_INVALID_VALUE", "relu with " + bytes + " B of shared memory", () -> launcher.launch(big));
            }
            // Within the limit (48 KiB with the kernel's static shared memory) it runs.
            launcher.launch(new KernelLaunch("relu, 48 KiB", ok.kernel(), ok.grid(), ok.block(), 49152 - smem, ok.args()));
            launcher.synchronize();
            // A block of more than 1024 threads is stopped by KernelLaunch itself, before the driver.
            assertThrows(IllegalArgumentException.class, () -> new KernelLaunch("x", ok.kernel(), ok.grid(), Dim3.of(2048), 0, ok.args()));
        } finally {
            launcher.free(x);
        }
    }

    @Test void useOfAFreedBuffer() {
        DeviceBuffer b = launcher.allocate(256);
        CudaLauncher.CudaBuffer stale = alias(b, 256);
        launcher.free(b);
        failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyDtoH", () -> launcher.read(stale, 0, new float[4], 0, 4));
        failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemcpyHtoD", () -> launcher.write(stale, 0, new float[4], 0, 4));
        KernelLaunch relu = ActivationKernels.forward(Activation.relu(), ActivationKernels.Variant.VEC4, stale, stale, 64, "relu on a freed buffer");
        failsWith("CUDA_ERROR_INVALID_VALUE", "relu on a freed buffer", () -> launcher.launch(relu));
        // The Java side refuses the freed buffer itself before any driver call.
        assertThrows(IllegalStateException.class, () -> launcher.read(b, 0, new float[4], 0, 4));
    }

    @Test void aDoubleFree() {
        DeviceBuffer b = launcher.allocate(256);
        CudaLauncher.CudaBuffer again = alias(b, 256);
        launcher.free(b);
        launcher.free(b);  // the same buffer twice: a no-op in Java, the driver is not asked
        failsWith("CUDA_ERROR_INVALID_VALUE", "cuMemFree", () -> launcher.free(again));
    }

    @Test void aKernelNameAbsentFromTheFatbin() {
        assertFalse(launcher.hasKernel("jk_no_such_kernel"));
        assertTrue(launcher.hasKernel(ActivationKernels.forwardName(Activation.Kind.GELU, ActivationKernels.Variant.SCALAR)));
        DeviceBuffer x = launcher.allocate(64);
        try {
            KernelLaunch l = new KernelLaunch("a made-up op", "jk_no_such_kernel", Dim3.of(1), Dim3.of(32), 0,
                    KernelArgs.builder().pointer(x).build());
            failsWith("CUDA_ERROR_NOT_FOUND", "a made-up op", () -> launcher.launch(l));
        } finally {
            launcher.free(x);
        }
    }

    @Test void unimplementedEntryPointsSayNotSupported() {
        assertEquals("CUDA_ERROR_NOT_SUPPORTED", code(() -> cuMemAllocManaged(new CUdeviceptr(), 64, 1)));
        assertEquals("CUDA_ERROR_NOT_SUPPORTED", code(() -> cuCtxGetLimit(new long[1], 0)));
    }

    // ---- what the driver reports and how it orders work ----------------------------------------------

    private static int staticShared(String kernel) { return ptxasColumn(kernel, 3); }

    /** Column {@code col} (2 regs, 3 smem) of the kernel's sm_90 line in the build's ptxas report. */
    private static int ptxasColumn(String kernel, int col) {
        String report = KernelResources.ptxasSummary().orElseThrow(() -> new AssertionError("no ptxas report in this build"));
        for (String line : report.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3 && f[0].equals(kernel) && f[1].equals("sm_90")) return Integer.parseInt(f[col]);
        }
        throw new AssertionError("no sm_90 line for " + kernel + " in the ptxas report");
    }

    @Test void functionAttributesComeFromThePtxasReport() {
        // Every GEMM kernel the report lists for sm_90, and an activation kernel.
        List<String> kernels = new ArrayList<>();
        for (String line : KernelResources.ptxasSummary().orElseThrow().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3 && f[0].startsWith("jk_gemm_") && f[1].equals("sm_90")) kernels.add(f[0]);
        }
        assertFalse(kernels.isEmpty(), "no GEMM kernel in the ptxas report");
        kernels.add(ActivationKernels.forwardName(Activation.Kind.SILU, ActivationKernels.Variant.VEC4));
        for (String k : kernels) {
            CUfunction f = launcher.function(k);
            int[] regs = {-1}, smem = {-1}, maxThreads = {-1};
            cuFuncGetAttribute(regs, CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, f);
            cuFuncGetAttribute(smem, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f);
            cuFuncGetAttribute(maxThreads, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f);
            assertEquals(ptxasColumn(k, 2), regs[0], k + " registers");
            assertEquals(ptxasColumn(k, 3), smem[0], k + " static shared memory");
            assertTrue(maxThreads[0] >= 32 && maxThreads[0] <= 1024, k + " max threads " + maxThreads[0]);
        }
    }

    /** A kernel that runs long on the emulator (GELU over 4 Mi floats). */
    private KernelLaunch longKernel(DeviceBuffer x, DeviceBuffer y, int n) {
        return ActivationKernels.forward(Activation.gelu(), ActivationKernels.Variant.SCALAR, x, y, n, "gelu over " + n);
    }

    @Test void aLaunchReturnsBeforeTheKernelEndsAndTheLegacyStreamWaits() {
        int n = 1 << 22;
        DeviceBuffer x = launcher.allocate(4L * n), y = launcher.allocate(4L * n);
        try {
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            launcher.write(x, 0, ones, 0, n);
            launcher.zero(y, 0, n);
            // The launcher's stream is a blocking stream: a read (the legacy stream) waits for the kernel.
            double ms = launcher.timeMillis(() -> launcher.launch(longKernel(x, y, n)));
            assertTrue(ms > 0, "event time " + ms);
            launcher.zero(y, 0, n);
            launcher.launch(longKernel(x, y, n));
            float[] last = new float[1];
            launcher.read(y, n - 1, last, 0, 1);
            assertEquals(Activation.gelu().apply(1.0), last[0], 1e-6, "the read waited for the kernel");
        } finally {
            launcher.free(x);
            launcher.free(y);
        }
    }

    @Test void aNonBlockingStreamIsNotWaitedForSoAMissingSyncShowsUp() {
        int n = 1 << 22;
        DeviceBuffer x = launcher.allocate(4L * n), y = launcher.allocate(4L * n);
        CUstream nb = new CUstream();
        CUevent done = new CUevent();
        cuStreamCreate(nb, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(done, 0);
        try {
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            launcher.write(x, 0, ones, 0, n);
            launcher.zero(y, 0, n);
            launcher.synchronize();
            KernelLaunch l = longKernel(x, y, n);
            CUfunction f = launcher.function(l.kernel());
            Pointer args = params(l.args());
            boolean sawStale = false;
            for (int attempt = 0; attempt < 3 && !sawStale; attempt++) {
                cuLaunchKernel(f, l.grid().x(), 1, 1, l.block().x(), 1, 1, 0, nb, args, null);
                cuEventRecord(done, nb);
                float[] last = {-1f};
                cuMemcpyDtoH(Pointer.to(last), ((CudaLauncher.CudaBuffer) y).ptr.withByteOffset(4L * (n - 1)), 4);
                boolean kernelWasRunning = code(() -> cuEventQuery(done)).equals("CUDA_ERROR_NOT_READY");
                if (kernelWasRunning) {
                    assertEquals(0f, last[0], "a copy on the legacy stream must not wait for a non-blocking stream");
                    sawStale = true;
                }
                cuStreamSynchronize(nb);
                cuMemcpyDtoH(Pointer.to(last), ((CudaLauncher.CudaBuffer) y).ptr.withByteOffset(4L * (n - 1)), 4);
                assertEquals(Activation.gelu().apply(1.0), last[0], 1e-6, "after cuStreamSynchronize");
                launcher.zero(y, 0, n);
                launcher.synchronize();
            }
            assertTrue(sawStale, "the kernel always finished before the copy: the stream did not run asynchronously");
        } finally {
            cuEventDestroy(done);
            cuStreamDestroy(nb);
            launcher.free(x);
            launcher.free(y);
        }
    }

    // ---- cuBLAS as documented ------------------------------------------------------------------------

    /** Column-major reference: C = alpha*op(A)*op(B) + beta*C (C not read when beta == 0). */
    private static double[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                                      float beta, float[] c, int ldc) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) out[i] = c[i];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p + i * lda] : a[i + p * lda];
                    double bv = tb ? b[j + p * ldb] : b[p + j * ldb];
                    s += av * bv;
                }
                out[i + j * ldc] = alpha * s + (beta == 0 ? 0 : beta * c[i + j * ldc]);
            }
        }
        return out;
    }

    private float[] sgemm(cublasHandle h, boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                          float beta, float[] c, int ldc) {
        DeviceBuffer da = launcher.allocate(4L * a.length), db = launcher.allocate(4L * b.length), dc = launcher.allocate(4L * c.length);
        try {
            launcher.write(da, 0, a, 0, a.length);
            launcher.write(db, 0, b, 0, b.length);
            launcher.write(dc, 0, c, 0, c.length);
            int rc = JCublas2.cublasSgemm(h, ta ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                    tb ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {alpha}),
                    launcher.devicePointer(da, "a"), lda, launcher.devicePointer(db, "b"), ldb, Pointer.to(new float[] {beta}),
                    launcher.devicePointer(dc, "c"), ldc);
            assertEquals(0, rc);
            float[] out = new float[c.length];
            launcher.read(dc, 0, out, 0, out.length);
            return out;
        } finally {
            launcher.free(da);
            launcher.free(db);
            launcher.free(dc);
        }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    @Test void cublasSgemmIsColumnMajorWithLeadingDimensionsOpsAndBeta() {
        cublasHandle h = new cublasHandle();
        JCublas2.setExceptionsEnabled(true);
        launcher.enterAndGetStream();
        JCublas2.cublasCreate(h);
        try {
            Random r = new Random(11);
            int m = 37, n = 29, k = 41;
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int lda = (ta ? k : m) + 3, ldb = (tb ? n : k) + 5, ldc = m + 2;  // padded leading dimensions
                float[] a = random(r, lda * (ta ? m : k)), b = random(r, ldb * (tb ? k : n)), c = random(r, ldc * n);
                float alpha = 1.5f, beta = -0.5f;
                float[] got = sgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                double[] want = reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                for (int j = 0; j < n; j++) {
                    for (int i = 0; i < ldc; i++) {
                        int e = i + j * ldc;
                        if (i >= m) assertEquals(c[e], got[e], "padding row " + i + " of C must be untouched");
                        else assertEquals(want[e], got[e], 1e-4, "ta=" + ta + " tb=" + tb + " C(" + i + "," + j + ")");
                    }
                }
            }
            // beta == 0: C is not read, so NaN in C gives no NaN.
            float[] a = random(r, 8 * 8), b = random(r, 8 * 8), nanC = new float[64];
            java.util.Arrays.fill(nanC, Float.NaN);
            float[] got = sgemm(h, false, false, 8, 8, 8, 1f, a, 8, b, 8, 0f, nanC, 8);
            for (float v : got) assertFalse(Float.isNaN(v), "beta = 0 with NaN in C");
            // NaN in A does reach C.
            a[0] = Float.NaN;
            assertTrue(Float.isNaN(sgemm(h, false, false, 8, 8, 8, 1f, a, 8, b, 8, 0f, new float[64], 8)[0]));
            // lda below max(1, m) is CUBLAS_STATUS_INVALID_VALUE.
            CudaException bad = assertThrows(CudaException.class, () -> sgemm(h, false, false, 8, 8, 8, 1f, new float[64], 4,
                    new float[64], 8, 0f, new float[64], 8));
            assertTrue(bad.getMessage().contains("INVALID_VALUE"), bad.getMessage());
        } finally {
            JCublas2.cublasDestroy(h);
        }
    }

    @Test void cublasMathModeTf32ShowsInTheErrorAndDefaultIsFp32() {
        cublasHandle h = new cublasHandle();
        JCublas2.setExceptionsEnabled(true);
        launcher.enterAndGetStream();
        JCublas2.cublasCreate(h);
        try {
            Random r = new Random(5);
            int m = 16, n = 16, k = 1024;
            float[] a = random(r, m * k), b = random(r, k * n), c = new float[m * n];
            double[] want = reference(false, false, m, n, k, 1f, a, m, b, k, 0f, c, m);
            int[] mode = {-1};
            JCublas2.cublasSetMathMode(h, cublasMath.CUBLAS_DEFAULT_MATH);
            JCublas2.cublasGetMathMode(h, mode);
            assertEquals(cublasMath.CUBLAS_DEFAULT_MATH, mode[0]);
            double fp32 = maxError(sgemm(h, false, false, m, n, k, 1f, a, m, b, k, 0f, c, m), want);
            JCublas2.cublasSetMathMode(h, cublasMath.CUBLAS_TF32_TENSOR_OP_MATH);
            JCublas2.cublasGetMathMode(h, mode);
            assertEquals(cublasMath.CUBLAS_TF32_TENSOR_OP_MATH, mode[0]);
            double tf32 = maxError(sgemm(h, false, false, m, n, k, 1f, a, m, b, k, 0f, c, m), want);
            assertTrue(fp32 < 1e-4, "FP32 error " + fp32);
            assertTrue(tf32 > 20 * fp32, "TF32 error " + tf32 + " vs FP32 " + fp32);
        } finally {
            JCublas2.cublasDestroy(h);
        }
    }

    private static double maxError(float[] got, double[] want) {
        double e = 0;
        for (int i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]));
        return e;
    }

    // ---- every import of JCuda's natives is there ------------------------------------------------------

    @Test void everyFunctionJCudaAndJCublasImportIsExported() throws Exception {
        Path dir = Path.of(System.getProperty("jkernels.emulatedDriverDir", "target/emulated-driver"));
        check("lib/libJCudaDriver-", dir.resolve("libcuda.so.1"), "cu", "");
        check("lib/libJCublas2-", dir.resolve("libcublas.so.12"), "cublas", "@libcublas.so.12");
    }

    private static void check(String nativePrefix, Path fake, String prefix, String version) throws Exception {
        Path jni = extractNative(nativePrefix);
        Set<String> imported = new TreeSet<>();
        for (String line : nm(jni, "--undefined-only")) {
            String sym = line.trim().replaceAll(".*\\s", "");
            if (sym.startsWith(prefix) && (version.isEmpty() || sym.endsWith(version))) imported.add(sym.replace(version, ""));
        }
        assertFalse(imported.isEmpty(), "no " + prefix + "* imports found in " + jni);
        Set<String> exported = new TreeSet<>();
        for (String line : nm(fake, "--defined-only")) exported.add(line.trim().replaceAll(".*\\s", "").replaceAll("@.*", ""));
        Set<String> missing = new TreeSet<>(imported);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), fake + " lacks what JCuda's natives import: " + missing);
    }

    private static Path extractNative(String prefix) throws IOException {
        String name = prefix + "12.6.0-linux-x86_64.so";
        try (InputStream in = EmulatedDriverTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name + " not on the test classpath");
            Path f = Files.createTempFile("jk-native-", ".so");
            f.toFile().deleteOnExit();
            Files.write(f, in.readAllBytes());
            return f;
        }
    }

    private static List<String> nm(Path lib, String which) throws Exception {
        Process p = new ProcessBuilder("nm", "-D", which, lib.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), "nm -D " + lib);
        return lines;
    }

}
