package dev.jkernels.bench;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CNN harness end to end on tiny shapes: CPU (no cross-check) and the emulator (checked against the CPU). */
class CnnHarnessTest {
    static final List<CnnHarness.Pool> POOLS = List.of(
            new CnnHarness.Pool("max", 1, 3, 9, 9, Pool2dSpec.max(3).stride(2).padding(1).build()),
            new CnnHarness.Pool("gap nhwc", 2, 5, 7, 7, Pool2dSpec.globalAvg(Layout.NHWC)));
    static final List<CnnHarness.Softmax> SOFTMAX = List.of(new CnnHarness.Softmax("rows", new int[] {3, 10}, -1),
            new CnnHarness.Softmax("channels", new int[] {1, 4, 3, 3}, 1));
    static final List<CnnHarness.Residual> RESIDUAL = List.of(new CnnHarness.Residual("tiny", 1, 4, 5, 5, 4));

    static String run(Backend b) {
        CnnHarness h = new CnnHarness(b, 2, 1, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String md = h.run(POOLS, SOFTMAX, RESIDUAL);
        assertTrue(md.contains("share of copy") && md.contains("three launches"), md);
        assertTrue(md.contains("Not a GPU"), md);
        assertFalse(md.contains("MISMATCH"), md);
        assertTrue(h.json().contains("\"shareOfCopy\"") && h.json().contains("\"modelSpeedup\""), h.json());
        return md;
    }

    @Test
    void cpu() {
        try (Backend b = Backends.cpu()) { run(b); }
    }

    @Test
    void emulated() {
        Backend b;
        try {
            b = Backends.emulated();
        } catch (IllegalStateException e) {
            org.junit.jupiter.api.Assumptions.abort("no emulator: " + e.getMessage());
            return;
        }
        try (b) {
            assertTrue(run(b).contains("ok |"));
        }
    }
}
