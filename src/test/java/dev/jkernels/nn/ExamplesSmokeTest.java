package dev.jkernels.nn;

import dev.jkernels.examples.SeedExamples;
import dev.jkernels.examples.SmallCnn;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example mains run on the CPU and print what the docs say they print (so they cannot rot). */
class ExamplesSmokeTest {

    private static String run(Runnable main) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            main.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void seedExamples() {
        String out = run(() -> SeedExamples.main(new String[] {"cpu"}));
        assertTrue(out.contains("same as 1. (max |diff|):    0.0"), out);
        assertTrue(out.contains("Shape of output: [1, 26, 26, 32]"), out);
        assertTrue(out.contains("Shape of output: [1, 32, 26, 26]"), out);
        assertTrue(out.contains("gemm(transB, bias, relu)"), out);
        assertTrue(out.contains("conv2dActivation(relu)"), out);
    }

    @Test
    void smallCnnOnATinyBatch() {
        String out = run(() -> SmallCnn.main(new String[] {"cpu", "2", "1"}));
        assertTrue(out.contains("input [2, 1, 28, 28] NCHW → output [2, 10]"), out);
        assertTrue(out.contains("fused   (AUTO, 3 launches)"), out);
        assertTrue(out.contains("outputs agree"), out);
    }
}
