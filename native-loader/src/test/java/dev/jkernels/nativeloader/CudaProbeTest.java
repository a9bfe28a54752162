package dev.jkernels.nativeloader;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The probe on a machine without the NVIDIA driver (the development machine and CI), plus the pure
 * version and target arithmetic it decides with.
 */
class CudaProbeTest {

    private static boolean driverPresent() {
        return CudaProbe.NativeLibraries.loadError("libcuda.so.1").isEmpty();
    }

    @Test
    void withoutTheDriverTheVerdictNamesLibcuda() {
        assumeFalse(driverPresent(), "libcuda.so.1 loads here: this test is for machines without the driver");
        CudaVerdict v = CudaProbe.verdict();
        assertFalse(v.cudaUsable());
        assertEquals(CudaVerdict.Problem.NO_DRIVER_LIBRARY, v.problem());
        assertTrue(v.reason().contains("libcuda.so.1"), v.reason());
        assertFalse(v.cublasUsable());
        assertTrue(v.cublasReason().startsWith("CUDA not usable"), v.cublasReason());
        assertTrue(v.devices().isEmpty());
        assertEquals(0, v.driverVersion());
        assertTrue(v.driverVersionString().isEmpty());
        assertEquals("12.6.0", v.jcudaVersion());
        // this module's classpath has no emulator library: said so, with the reason
        assertFalse(v.emulatorUsable());
        assertTrue(v.emulatorReason().contains("emulator library"), v.emulatorReason());
    }

    @Test
    void theVerdictIsCachedAndTheSecondCallDoesNotThrow() {
        CudaVerdict first = CudaProbe.verdict();
        CudaVerdict second = assertDoesNotThrow(CudaProbe::verdict);
        assertSame(first, second);
    }

    @Test
    void concurrentCallersSeeOneInstance() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<CudaVerdict>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) calls.add(CudaProbe::verdict);
            CudaVerdict any = CudaProbe.verdict();
            for (Future<CudaVerdict> f : pool.invokeAll(calls)) assertSame(any, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cudaVersionsParseAndFormat() {
        assertEquals(13000, CudaProbe.parseCudaVersion("13.0"));
        assertEquals(12060, CudaProbe.parseCudaVersion("12.6.85"));
        assertEquals(12000, CudaProbe.parseCudaVersion("12"));
        assertEquals(0, CudaProbe.parseCudaVersion(null));
        assertEquals(0, CudaProbe.parseCudaVersion("unknown"));
        assertEquals("13.0", CudaVerdict.formatCudaVersion(13000));
        assertEquals("12.6", CudaVerdict.formatCudaVersion(12060));
        assertEquals("11.8", CudaVerdict.formatCudaVersion(11080));
    }

    @Test
    void driverOfAnOlderMajorVersionIsTooOld() {
        assertTrue(CudaProbe.driverTooOld(12080, "13.0").orElseThrow().contains("CUDA 12.8"));
        assertTrue(CudaProbe.driverTooOld(12080, "13.0").orElseThrow().contains("nvcc 13.0"));
        // minor-version compatibility: a 13.0 driver runs SASS from nvcc 13.1
        assertTrue(CudaProbe.driverTooOld(13000, "13.1").isEmpty());
        assertTrue(CudaProbe.driverTooOld(13000, "13.0").isEmpty());
        assertTrue(CudaProbe.driverTooOld(13020, "12.6").isEmpty());
        // nothing recorded: nothing to compare
        assertTrue(CudaProbe.driverTooOld(12000, null).isEmpty());
    }

    @Test
    void lowestTargetOfTheFatbin() {
        assertEquals(75, CudaProbe.lowestTarget("sm_75,sm_80,sm_86,sm_89,sm_90"));
        assertEquals(80, CudaProbe.lowestTarget(" sm_90 , sm_80 "));
        assertEquals(90, CudaProbe.lowestTarget("compute_90,sm_90a"));
        assertEquals(0, CudaProbe.lowestTarget(""));
    }

    @Test
    void verdictRejectsAContradiction() {
        assertThrows(IllegalArgumentException.class, () -> new CudaVerdict(true, "r", false, "c",
                CudaVerdict.Problem.NO_DEVICE, 0, null, null, List.of(), false, "e"));
    }

    @Test
    void deviceInfoNames() {
        DeviceInfo d = new DeviceInfo(0, "NVIDIA H200", 9, 0, 150_000_000_000L);
        assertEquals("sm_90", d.sm());
        assertEquals("9.0", d.computeCapability());
        assertEquals(90, d.computeCode());
        assertTrue(d.toString().contains("139.7 GiB"), d.toString());
    }
}
