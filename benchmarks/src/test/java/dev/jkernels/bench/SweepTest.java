package dev.jkernels.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jkernels.Backends;
import dev.jkernels.kernel.GemmKernels;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.kernel.MeasuredWinners;
import dev.jkernels.nativeloader.CudaProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sweep's plumbing on the emulator (its timings are wall clock there, meaningless as speed):
 * every GEMM configuration and split-K factor and every conv configuration runs, is spot-checked,
 * and the JSON it writes is one MeasuredWinners reads back with a winner per shape.
 */
class SweepTest {

    @Test
    void sweepsEveryConfigurationAndWritesWinnersTheSelectionReads(@TempDir Path dir) throws Exception {
        assumeTrue(CudaProbe.verdict().emulatorUsable(), "no emulator library in this build: " + CudaProbe.verdict().emulatorReason());
        // K = 512 so that the pipelined configurations also run split-K 2
        Workloads w = new Workloads(List.of(new Workloads.Gemm(33, 70, 512)),
                List.of(new Workloads.Conv("tiny", 1, 3, 9, 8, 8, 3, 3, 1, 1)), List.of("relu"), 1, List.of("relu"));
        Path json = dir.resolve("sweep.json");
        Sweep.Options o = Sweep.Options.parse("--backend", "emulated", "--json", json.toString(), "--reps", "1", "--warmup", "0");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (KernelBackend kb = (KernelBackend) Backends.emulated()) {
            Sweep s = new Sweep(kb, o, new PrintStream(log, true, StandardCharsets.UTF_8));
            assertTrue(s.gemm(w.gemm()));
            assertTrue(s.conv(w.conv2d()));
            s.write();
            assertTrue(s.table().contains("33x70x512"), s.table());
        }
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        var cands = root.getAsJsonArray("gemm").get(0).getAsJsonObject().getAsJsonArray("candidates");
        long fp32 = java.util.Arrays.stream(GemmKernels.Config.values()).filter(c -> c.precision() == dev.jkernels.Precision.FP32).count();
        assertEquals(fp32 + 3, cands.size(), "every FP32 config, and split-K 2 for the 3 pipelined ones");
        for (var c : cands) assertEquals("ok", c.getAsJsonObject().get("check").getAsString(), c.toString());
        var conv = root.getAsJsonArray("conv2d").get(0).getAsJsonObject();
        for (var c : conv.getAsJsonArray("candidates")) assertEquals("ok", c.getAsJsonObject().get("check").getAsString(), c.toString());
        java.util.Set<String> swept = new java.util.HashSet<>();
        for (var c : conv.getAsJsonArray("candidates")) swept.add(c.getAsJsonObject().get("config").getAsString());
        for (String v : List.of("igemm_128x128", "igemm_128x64", "igemm_64x64", "winograd_2x2_3x3")) {
            assertTrue(swept.contains(v), "the sweep times " + v + ": " + swept);
        }
        assertTrue(conv.has("winner"));
        MeasuredWinners mw = MeasuredWinners.parse(Files.readString(json), json.toString());
        assertEquals("sm_90", mw.family());
        assertNotNull(mw.lookup("sm_90", 33, 70, 512));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("sweep gemm 33x70x512"));
    }

    @Test
    void optionsAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sweep.Options.parse("--backend", "cuda"));
        assertTrue(e.getMessage().contains("--json"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sweep.Options.parse("--json", "x", "--only", "fft"));
        assertTrue(e.getMessage().contains("fft"), e.getMessage());
    }
}
