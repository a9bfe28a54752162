package dev.jkernels.cpu;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No silent slow path: a JVM without {@code jdk.incubator.vector} gets one warning, at the first
 * CpuBackend's creation, naming the flag and the slowdown; a JVM with it gets none. Each case is a
 * child JVM on this test's classpath (about a second each).
 */
class CpuVectorApiWarningTest {

    /** The child: creates two backends, says whether they use the Vector API. */
    public static final class Child {
        public static void main(String[] args) {
            try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(2)) {
                System.out.println("vector=" + a.usesVectorApi() + "," + b.usesVectorApi());
            }
        }
    }

    private static String[] run(boolean withModule) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        if (withModule) cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), new String(err, StandardCharsets.UTF_8));
        return new String[] {new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8)};
    }

    @Test
    void warnsOnceWithoutTheModule() throws Exception {
        String[] r = run(false);
        assertTrue(r[0].contains("vector=false,false"), r[0]);
        int at = r[1].indexOf("--add-modules=jdk.incubator.vector");
        assertTrue(at >= 0, "no warning naming the flag: " + r[1]);
        assertEquals(-1, r[1].indexOf("--add-modules=jdk.incubator.vector", at + 1), "warned more than once: " + r[1]);
        assertTrue(r[1].contains("slower"), r[1]);
    }

    @Test
    void silentWithTheModule() throws Exception {
        String[] r = run(true);
        assertTrue(r[0].contains("vector=true,true"), r[0]);
        assertTrue(!r[1].contains("--add-modules=jdk.incubator.vector"), r[1]);
    }
}
