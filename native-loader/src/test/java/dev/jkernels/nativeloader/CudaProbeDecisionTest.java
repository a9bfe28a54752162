package dev.jkernels.nativeloader;

import dev.jkernels.nativeloader.CudaVerdict.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Every reason the probe tells apart, on a faked machine and build (no GPU needed). */
class CudaProbeDecisionTest {

    private static final DeviceInfo H200 = new DeviceInfo(0, "NVIDIA H200", 9, 0, 150_000_000_000L);
    private static final CudaProbe.Emulator EMU = new CudaProbe.Emulator(true, "emulator loads");

    /** A healthy H200 machine with a CUDA 13 build; each test breaks one thing. */
    static class Fake implements CudaProbe.Env {
        Optional<String> driverLibrary = Optional.of("libcuda.so.1");
        String libcudaError, libcublasError, jcuda = "12.6.0", build = "13.0", targets = "sm_75,sm_80,sm_86,sm_89,sm_90";
        boolean fatbin = true, requireGpu, allowEmulated;
        CudaProbe.DriverAnswer answer = new CudaProbe.DriverAnswer(13000, null, false, List.of(H200));
        Throwable driverThrows, cublasThrows;
        final AtomicInteger driverQueries = new AtomicInteger();

        @Override public Optional<String> driverLibrary() { return driverLibrary; }
        @Override public Optional<String> loadError(String library) {
            return Optional.ofNullable(library.equals("libcuda.so.1") ? libcudaError : library.equals(CudaProbe.CUBLAS_LIBRARY) ? libcublasError : null);
        }
        @Override public Optional<String> location(String library) { return Optional.of("/opt/shim/" + library); }
        @Override public String jcudaVersion() { return jcuda; }
        @Override public CudaProbe.DriverAnswer queryDriver() {
            driverQueries.incrementAndGet();
            sneaky(driverThrows);
            return answer;
        }
        @Override public String queryCublas() {
            sneaky(cublasThrows);
            return "cuBLAS 13.0.0 through JCublas";
        }
        @Override public String buildCudaVersion() { return build; }
        @Override public boolean hasFatbin() { return fatbin; }
        @Override public String cudaTargets() { return targets; }
        @Override public String osName() { return "Linux amd64"; }
        @Override public boolean requireGpu() { return requireGpu; }
        @Override public boolean allowEmulatedDriver() { return allowEmulated; }

        private static void sneaky(Throwable t) {
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
        }
    }

    private static CudaVerdict decide(Fake f) { return CudaProbe.decide(f, EMU); }

    @Test
    void healthyMachine() {
        CudaVerdict v = decide(new Fake());
        assertTrue(v.cudaUsable(), v.reason());
        assertEquals(Problem.NONE, v.problem());
        assertTrue(v.reason().contains("NVIDIA H200") && v.reason().contains("nvcc 13.0"), v.reason());
        assertTrue(v.cublasUsable(), v.cublasReason());
        assertTrue(v.cublasReason().contains("/opt/shim/libcublas.so.12"), v.cublasReason());
        assertEquals(Optional.of("13.0"), v.driverVersionString());
        assertEquals(List.of(H200), v.devices());
        assertTrue(v.emulatorUsable());
    }

    @Test
    void noDriverLibraryIsCheckedBeforeJCudaIsTouched() {
        Fake f = new Fake();
        f.libcudaError = "libcuda.so.1: cannot open shared object file";
        CudaVerdict v = decide(f);
        assertEquals(Problem.NO_DRIVER_LIBRARY, v.problem());
        assertTrue(v.reason().contains("libcuda.so.1"), v.reason());
        assertEquals(0, f.driverQueries.get(), "JCuda must not be touched without the driver");
        assertFalse(v.cublasUsable());
        assertTrue(v.emulatorUsable(), "the emulator does not need the driver");
    }

    @Test
    void noCudaOnThisOs() {
        Fake f = new Fake();
        f.driverLibrary = Optional.empty();
        assertEquals(Problem.NO_DRIVER_LIBRARY, decide(f).problem());
    }

    @Test
    void jcudaNativesThatDoNotLink() {
        Fake f = new Fake();
        f.driverThrows = new UnsatisfiedLinkError("libJCudaDriver-12.6.0-linux-x86_64.so: undefined symbol");
        CudaVerdict v = decide(f);
        assertEquals(Problem.JCUDA_UNAVAILABLE, v.problem());
        assertTrue(v.reason().contains("UnsatisfiedLinkError"), v.reason());
        // the sticky second failure never happens: the verdict is final
        f.driverThrows = new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        assertEquals(Problem.JCUDA_UNAVAILABLE, decide(f).problem());
    }

    @Test
    void jcudaMissingFromTheClasspath() {
        Fake f = new Fake();
        f.jcuda = null;
        assertEquals(Problem.JCUDA_UNAVAILABLE, decide(f).problem());
        assertEquals(0, f.driverQueries.get());
    }

    @Test
    void noDevice() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(13000, "CUDA_ERROR_NO_DEVICE", true, List.of());
        CudaVerdict v = decide(f);
        assertEquals(Problem.NO_DEVICE, v.problem());
        assertTrue(v.reason().contains("CUDA_ERROR_NO_DEVICE"), v.reason());
        assertEquals(13000, v.driverVersion(), "the driver version is known even without a device");
        f.answer = new CudaProbe.DriverAnswer(13000, null, false, List.of());
        assertEquals(Problem.NO_DEVICE, decide(f).problem());
    }

    @Test
    void otherInitFailures() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(13000, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", false, List.of());
        assertEquals(Problem.INIT_FAILED, decide(f).problem());
        f.driverThrows = new RuntimeException("CUDA_ERROR_UNKNOWN");   // JCuda with exceptions enabled
        assertEquals(Problem.INIT_FAILED, decide(f).problem());
    }

    @Test
    void driverTooOldForTheKernels() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(12080, null, false, List.of(H200));
        CudaVerdict v = decide(f);
        assertEquals(Problem.DRIVER_TOO_OLD, v.problem());
        assertTrue(v.reason().contains("CUDA 12.8") && v.reason().contains("nvcc 13.0"), v.reason());
        assertEquals(List.of(H200), v.devices(), "the devices are still reported");
    }

    @Test
    void kernelsMissingFromTheBuild() {
        Fake f = new Fake();
        f.fatbin = false;
        CudaVerdict v = decide(f);
        assertEquals(Problem.KERNELS_MISSING, v.problem());
        assertTrue(v.reason().contains("kernels missing"), v.reason());
    }

    @Test
    void deviceOlderThanEveryTarget() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(13000, null, false, List.of(new DeviceInfo(0, "Tesla V100", 7, 0, 16L << 30)));
        CudaVerdict v = decide(f);
        assertEquals(Problem.DEVICE_TOO_OLD, v.problem());
        assertTrue(v.reason().contains("sm_75") && v.reason().contains("sm_70"), v.reason());
        // a device newer than every SASS target runs the PTX
        f.answer = new CudaProbe.DriverAnswer(13000, null, false, List.of(new DeviceInfo(0, "B200", 10, 0, 180L << 30)));
        assertTrue(decide(f).cudaUsable());
    }

    @Test
    void cublasMissingTurnsOffOnlyCublas() {
        Fake f = new Fake();
        f.libcublasError = "libcublas.so.12: cannot open shared object file";
        CudaVerdict v = decide(f);
        assertTrue(v.cudaUsable(), "the kernels still run");
        assertFalse(v.cublasUsable());
        assertTrue(v.cublasReason().contains("libcublas.so.12"), v.cublasReason());
    }

    @Test
    void jcublasThatDoesNotLink() {
        Fake f = new Fake();
        f.cublasThrows = new UnsatisfiedLinkError("undefined symbol: cublasGetProperty");
        CudaVerdict v = decide(f);
        assertTrue(v.cudaUsable());
        assertFalse(v.cublasUsable());
        assertTrue(v.cublasReason().contains("cublasGetProperty"), v.cublasReason());
    }

    @Test
    void anUnexpectedFailureIsAVerdictNotAnException() {
        Fake f = new Fake() {
            @Override public boolean hasFatbin() { throw new IllegalStateException("corrupt jar"); }
        };
        CudaVerdict v = assertDoesNotThrow(() -> decide(f));
        assertEquals(Problem.PROBE_FAILED, v.problem());
        assertTrue(v.reason().contains("corrupt jar"), v.reason());
    }

    private static final DeviceInfo EMULATED = new DeviceInfo(0, CudaProbe.EMULATED_DEVICE_NAME, 9, 0, 150_754_820_096L);

    @Test
    void emulatedDriverIsUsableButSaysSoFirst() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(13000, null, false, List.of(EMULATED));
        CudaVerdict v = decide(f);
        assertTrue(v.cudaUsable(), v.reason());
        assertTrue(v.emulatedDriver());
        assertTrue(v.reason().startsWith("EMULATED CUDA driver: libcuda.so.1 from /opt/shim/libcuda.so.1"), v.reason());
        assertTrue(v.reason().contains("not a GPU"), v.reason());
        assertTrue(v.cublasReason().startsWith("EMULATED"), v.cublasReason());
        assertFalse(decide(new Fake()).emulatedDriver(), "an H200 is not the emulated driver");
    }

    @Test
    void requireGpuRejectsTheEmulatedDriverUnlessAllowed() {
        Fake f = new Fake();
        f.answer = new CudaProbe.DriverAnswer(13000, null, false, List.of(EMULATED));
        f.requireGpu = true;
        CudaVerdict v = decide(f);
        assertFalse(v.cudaUsable());
        assertEquals(Problem.EMULATED_DRIVER, v.problem());
        assertTrue(v.reason().contains("JKERNELS_REQUIRE_GPU=1 rejects it") && v.reason().contains(CudaProbe.ALLOW_EMULATED_ENV), v.reason());
        assertTrue(v.emulatedDriver(), "the verdict still names the emulated device");
        f.allowEmulated = true;
        assertTrue(decide(f).cudaUsable());
        Fake gpu = new Fake();
        gpu.requireGpu = true;
        assertTrue(decide(gpu).cudaUsable(), "a real GPU under JKERNELS_REQUIRE_GPU=1");
    }
}
