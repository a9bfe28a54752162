package dev.jkernels.bench;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The harness end to end on the CPU backend, on shapes small enough for a unit test. */
class HarnessRunTest {

    private static final Workloads TINY = new Workloads(
            List.of(new Workloads.Gemm(13, 31, 7), new Workloads.Gemm(4096, 4096, 4096)),
            List.of(new Workloads.Conv("odd", 2, 3, 9, 7, 5, 3, 2, 2, 1), new Workloads.Conv("wide", 4, 8, 8, 8, 4, 3, 3, 1, 1)),
            List.of("relu", "gelu"), 1000, List.of("silu", "elu"));

    private static BenchResult run(Backend b, Workloads w, List<BenchResult> snapshots, String... extra) {
        List<String> args = new ArrayList<>(List.of("--reps", "3", "--warmup", "1", "--max-gflop", "0.0001"));
        args.addAll(List.of(extra));
        Harness.Options o = Harness.Options.parse(args.toArray(String[]::new));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BenchResult r = new Harness(b, o, null, new PrintStream(err, true, StandardCharsets.UTF_8)).run(w, snapshots::add);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("NOT a GPU"), "progress says it is not a GPU");
        return r;
    }

    @Test
    void aTimedOpThatAllocatesMoreThanItTouchesIsReportedNextToItsFigure() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Backend cpu = Backends.cpu(1)) {
            assertTrue(((dev.jkernels.cpu.CpuBackend) cpu).usesVectorApi(), "the build runs the tests with the Vector API module");
            Harness h = new Harness(cpu, Harness.Options.parse(new String[0]), null, new PrintStream(err, true, StandardCharsets.UTF_8));
            h.checkAllocation(900_000, 100);             // under 1 MiB: the kernels' own per-task buffers
            h.checkAllocation(3_000_000, 2_000_000);     // under twice what the op touches
            assertEquals(0, h.allocationWarnings());
            assertEquals("", err.toString(StandardCharsets.UTF_8));
            h.checkAllocation(96_000_000, 33_554_432);   // a boxed activation over 4 M floats
            assertEquals(1, h.allocationWarnings());
        }
        String warning = err.toString(StandardCharsets.UTF_8);
        assertTrue(warning.contains("allocated 96.0 MB per call") && warning.contains("touches 33.6 MB"), warning);

        try (Backend fallback = new dev.jkernels.cpu.CpuBackend(1, false)) {   // im2col allocated on purpose, no vectors
            Harness h = new Harness(fallback, Harness.Options.parse(new String[0]), null, new PrintStream(err, true, StandardCharsets.UTF_8));
            h.checkAllocation(96_000_000, 33_554_432);
            assertEquals(0, h.allocationWarnings());
        }
    }

    @Test
    void cpuRunChecksTimesAndSaysItIsTheCpu(@TempDir Path dir) {
        List<BenchResult> snapshots = new ArrayList<>();
        BenchResult r;
        try (Backend cpu = Backends.cpu()) {
            r = run(cpu, TINY, snapshots);
        }
        assertEquals("CPU", r.backendKind());
        assertFalse(r.gpu());
        assertTrue(r.note().contains("not GPU figures"), r.note());
        assertTrue(r.complete());
        assertEquals(0, r.checkFailures());
        assertTrue(r.copy().gbps() > 0);

        BenchResult.GemmRow small = r.gemm().get(0);
        assertTrue(small.check().startsWith("ok"), small.check());
        assertTrue(small.ms() > 0);
        assertEquals(2.0 * 13 * 31 * 7 / small.ms() / 1e9, small.tflops(), 1e-12);
        assertNull(small.cublasMs(), "no cuBLAS on the CPU");
        BenchResult.GemmRow big = r.gemm().get(1);
        assertNull(big.ms());
        assertTrue(big.skipped().startsWith("skipped on CPU: too large"), big.skipped());

        // "wide" is 4·4·8·8·72·2 = 147 kFLOP > the 100 kFLOP limit: scaled to batch 2, and said so
        assertEquals(2, r.conv2d().size());
        assertTrue(r.conv2d().get(1).name().contains("batch 4→2 on CPU"), r.conv2d().get(1).name());
        for (BenchResult.ConvRow c : r.conv2d()) assertTrue(c.check().startsWith("ok"), c.check());

        assertEquals(4, r.fused().size());
        for (BenchResult.FusedRow f : r.fused()) {
            assertTrue(f.check().startsWith("ok"), f.check());
            assertEquals(f.twoLaunchMs() / f.fusedMs(), f.speedup(), 1e-12);
            assertEquals(BytesModel.predictedFusionSpeedup(f.convMs(), f.outputs(), r.copy().gbps()), f.predictedSpeedup(), 1e-12);
        }
        assertEquals(2, r.activation().size());
        BenchResult.ActivationRow a = r.activation().get(0);
        assertEquals(1000, a.n());
        assertEquals(a.gbps() / r.copy().gbps(), a.shareOfCopy(), 1e-12);

        // a snapshot after every workload, the last one still marked incomplete
        assertEquals(2 + 2 + 2, snapshots.size());
        assertFalse(snapshots.get(snapshots.size() - 1).complete());

        String md = Tables.render(r);
        assertTrue(md.contains("CPU backend: these are CPU figures, not GPU figures"), md);
        assertTrue(md.contains("| 13x31x7 | cpu |"), md);
        r.write(dir.resolve("bench.json"));
        assertEquals(r, BenchResult.read(dir.resolve("bench.json")));
    }

    @Test
    void convAlgorithmsAndVariantsGiveOneCheckedRowEach() {
        BenchResult r;
        Backend emulated;
        try {
            emulated = Backends.emulated();
        } catch (IllegalStateException e) {
            org.junit.jupiter.api.Assumptions.abort("no emulator in this build: " + e.getMessage());
            return;
        }
        try (Backend emu = emulated) {
            r = run(emu, TINY, new ArrayList<>(), "--only", "conv2d", "--conv-algorithms", "implicit_gemm,winograd",
                    "--conv-variants", "igemm_64x64");
        }
        assertEquals(2 * 4, r.conv2d().size());
        assertTrue(r.conv2d().get(1).name().endsWith("[IMPLICIT_GEMM]"), r.conv2d().get(1).name());
        assertTrue(r.conv2d().get(3).name().endsWith("[variant igemm_64x64]"), r.conv2d().get(3).name());
        for (BenchResult.ConvRow c : r.conv2d()) assertTrue(c.check().startsWith("ok"), c.name() + ": " + c.check());
        assertNull(System.getProperty(dev.jkernels.kernel.ConvFastKernels.VARIANT_PROPERTY), "the variant property is cleared");
    }

    @Test
    void onlyRestrictsTheOps() {
        BenchResult r;
        try (Backend cpu = Backends.cpu()) {
            r = run(cpu, TINY, new ArrayList<>(), "--only", "fused");
        }
        assertTrue(r.gemm().isEmpty());
        assertTrue(r.conv2d().isEmpty());
        assertTrue(r.activation().isEmpty());
        assertEquals(4, r.fused().size());
    }

    /** A backend whose GEMM writes one wrong element: the harness must catch it and not time it. */
    @Test
    void aWrongResultIsReportedAndNotTimed() {
        try (Backend cpu = Backends.cpu()) {
            Backend broken = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, m, args) -> {
                        Object out;
                        try {
                            out = m.invoke(cpu, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (m.getName().equals("gemm") && args.length == 5) {
                            Tensor c = (Tensor) args[4];
                            float[] v = c.toArray();
                            v[v.length - 1] += 1f;
                            c.copyFrom(v);
                        }
                        return out;
                    });
            Workloads gemmOnly = new Workloads(List.of(new Workloads.Gemm(13, 31, 7)), List.of(), List.of(), 0, List.of());
            BenchResult r = run(broken, gemmOnly, new ArrayList<>());
            assertEquals(1, r.checkFailures());
            BenchResult.GemmRow g = r.gemm().get(0);
            assertNull(g.ms(), "a wrong result is not timed");
            assertTrue(g.check().startsWith("FAILED at C[12,30]"), g.check());
        }
    }
}
