package dev.jkernels.bench;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.nativeloader.CudaProbe;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The harness's GPU code path (KernelBackend.timeMillis, L2 flush copies, cuBLAS beside every GEMM)
 * driven on the emulator, with small buffers, so that the path the rig runs is exercised here.
 */
class HarnessGpuPathTest {

    @Test
    void gpuPathOnTheEmulator() {
        assumeTrue(CudaProbe.verdict().emulatorUsable(), "no emulator library in this build: " + CudaProbe.verdict().emulatorReason());
        Workloads w = new Workloads(List.of(new Workloads.Gemm(9, 7, 5)),
                List.of(new Workloads.Conv("tiny", 1, 2, 6, 5, 3, 3, 3, 1, 1)), List.of("relu"), 3001, List.of("relu", "gelu"));
        Harness.Options o = Harness.Options.parse("--reps", "3", "--warmup", "1");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BenchResult r;
        try (Backend emu = Backends.emulated()) {
            r = new Harness(emu, o, null, new PrintStream(err, true, StandardCharsets.UTF_8), true, 1 << 16, 1 << 16).run(w);
        }
        String progress = err.toString(StandardCharsets.UTF_8);
        assertFalse(r.gpu(), "the emulator is not a GPU, whatever path it took");
        assertTrue(r.timing().startsWith("KernelBackend.timeMillis"), r.timing());
        assertTrue(r.l2Flush().startsWith("before each repeat"), r.l2Flush());
        assertEquals(8L << 16, r.copy().bytes());
        assertTrue(r.copy().gbps() > 0);
        assertNotNull(r.cublas());
        assertFalse(r.cublas().startsWith("ran through"), "no cuBLAS on the emulator: " + r.cublas());

        // activations run on the emulator today: checked and timed
        for (BenchResult.ActivationRow a : r.activation()) {
            assertTrue(a.check().startsWith("ok"), a.check());
            assertTrue(a.ms() > 0);
        }
        // every other row is either checked and timed, or says why not; failures are counted
        long gemmConvFailed = r.gemm().stream().filter(g -> g.check().startsWith("FAILED")).count()
                + r.conv2d().stream().filter(c -> c.check().startsWith("FAILED")).count();
        long fusedFailed = r.fused().stream().filter(f -> f.check() != null && f.check().startsWith("FAILED")).count();
        for (BenchResult.GemmRow g : r.gemm()) assertEquals(g.check().startsWith("ok"), g.ms() != null, g.check());
        for (BenchResult.ConvRow c : r.conv2d()) assertEquals(c.check().startsWith("ok"), c.ms() != null, c.check());
        for (BenchResult.FusedRow f : r.fused()) assertEquals(f.check() != null && f.check().startsWith("ok"), f.fusedMs() != null, f.check());
        assertTrue(r.checkFailures() >= gemmConvFailed, progress);
        assertEquals(gemmConvFailed + fusedFailed > 0, r.checkFailures() > 0, progress);
    }
}
