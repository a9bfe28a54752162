package dev.jkernels.bench;

import dev.jkernels.GemmAlgorithm;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class HarnessOptionsTest {

    @Test
    void defaults() {
        Harness.Options o = Harness.Options.parse();
        assertEquals("auto", o.backend());
        assertEquals(10, o.reps());
        assertEquals(3, o.warmup());
        assertEquals(Set.of("gemm", "conv2d", "activation", "fused"), o.only());
        assertEquals(List.of(GemmAlgorithm.AUTO), o.gemmAlgorithms());
        assertNull(o.json());
    }

    @Test
    void everyOption() {
        Harness.Options o = Harness.Options.parse("--backend", "CUDA", "--json", "out/bench.json", "--anchors", "a.json",
                "--reps", "20", "--warmup", "0", "--only", "gemm,fused", "--seed", "7", "--gemm-algorithms", "naive,warp_tiled",
                "--max-gflop", "1.5");
        assertEquals("cuda", o.backend());
        assertEquals(Path.of("out/bench.json"), o.json());
        assertEquals(Path.of("a.json"), o.anchors());
        assertEquals(20, o.reps());
        assertEquals(0, o.warmup());
        assertEquals(Set.of("gemm", "fused"), o.only());
        assertEquals(7, o.seed());
        assertEquals(List.of(GemmAlgorithm.NAIVE, GemmAlgorithm.WARP_TILED), o.gemmAlgorithms());
        assertEquals(1.5, o.maxGflop());
        Harness.Options q = Harness.Options.parse("--quick");
        assertTrue(q.quick());
        assertEquals(5, q.reps());
    }

    @Test
    void convAlgorithmsAlwaysStartWithAuto() {
        assertEquals(java.util.List.of(dev.jkernels.ConvAlgorithm.AUTO), Harness.Options.parse().convAlgorithms());
        assertEquals(java.util.List.of(dev.jkernels.ConvAlgorithm.AUTO, dev.jkernels.ConvAlgorithm.WINOGRAD,
                        dev.jkernels.ConvAlgorithm.IMPLICIT_GEMM_PIPELINED),
                Harness.Options.parse("--conv-algorithms", "winograd,implicit_gemm_pipelined").convAlgorithms());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertMessage("--backend: expected cpu, cuda, emulated or auto, got gpu", "--backend", "gpu");
        assertMessage("--reps must be >= 1, got 0", "--reps", "0");
        assertMessage("--only: unknown op 'gemv'", "--only", "gemm,gemv");
        assertMessage("--json needs a value", "--json");
        assertMessage("unknown option --fast", "--fast");
        assertMessage("--quick and --workloads exclude each other", "--quick", "--workloads", "w.json");
        assertMessage("cuBLAS runs beside every GEMM", "--gemm-algorithms", "cublas");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Harness.Options.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, Harness.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Harness.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void randomInputsAreSeededNonZeroAndInRange() {
        float[] a = Harness.random(3_000_000, 5, 4f);
        float[] b = Harness.random(3_000_000, 5, 4f);
        assertArrayEquals(a, b);
        int zeros = 0;
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : a) {
            if (v == 0) zeros++;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0, zeros);
        assertTrue(min >= -4f && min < -3.9f);
        assertTrue(max < 4f && max > 3.9f);
        assertFalse(java.util.Arrays.equals(a, Harness.random(3_000_000, 6, 4f)));
    }

    @Test
    void precisionsAddTensorCoreRowsBesideFp32() {
        assertEquals(java.util.List.of(dev.jkernels.Precision.FP32), Harness.Options.parse().precisions());
        assertEquals(java.util.List.of(dev.jkernels.Precision.FP32, dev.jkernels.Precision.TF32, dev.jkernels.Precision.FP32_3XTF32),
                Harness.Options.parse("--precisions", "tf32,3xtf32").precisions());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Harness.Options.parse("--precisions", "tf16"));
        assertTrue(e.getMessage().contains("--precisions"), e.getMessage());
    }
}
