package dev.jkernels.cpu;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** What the CPU backend says about itself, and its own limits. */
class CpuBackendTest {

    @Test
    void describesItself() {
        try (Backend b = Backends.cpu(3)) {
            assertEquals(BackendKind.CPU, b.kind());
            assertEquals("cpu", b.name());
            assertTrue(b.description().contains("3 threads"), b.description());
            assertEquals(3, ((CpuBackend) b).threads());
        }
        assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0));
    }

    /** The build's test JVM adds the Vector API module, so the fast kernel must be the one tested there. */
    @Test
    void vectorApiIsUsedWhenTheModuleIsThere() {
        boolean moduleThere = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        try (CpuBackend b = new CpuBackend(1)) {
            if (moduleThere && Boolean.parseBoolean(System.getProperty("jkernels.cpu.vectorApi", "true"))) {
                assertTrue(b.usesVectorApi(), b.description());
                assertTrue(b.description().contains("Vector API"), b.description());
            }
        }
        try (CpuBackend b = new CpuBackend(1, false)) {
            assertFalse(b.usesVectorApi());
            assertTrue(b.description().contains("auto-vectorised"), b.description());
        }
    }

    /** A backend is safe to use from many threads at once: four callers share one pool. */
    @Test
    void concurrentCallersGetCorrectResults() throws Exception {
        int n = 96;
        float[] a = dev.jkernels.testing.RandomData.uniform(1, n * n), b = dev.jkernels.testing.RandomData.uniform(2, n * n);
        double[] expected = dev.jkernels.testing.Reference.gemm(n, n, n, a, false, b, false, 1, 0, null, null,
                dev.jkernels.Activation.identity());
        try (CpuBackend be = new CpuBackend(2); var ta = be.tensor(a, n, n); var tb = be.tensor(b, n, n)) {
            java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                java.util.List<java.util.concurrent.Future<float[]>> results = new java.util.ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    results.add(callers.submit(() -> {
                        try (var c = be.gemm(dev.jkernels.GemmSpec.plain(), ta, tb, null)) { return c.toArray(); }
                    }));
                }
                for (var f : results) dev.jkernels.testing.Tolerance.forReduction(n).assertClose("C", f.get(), expected);
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void singleThreadedBackendWorks() {
        try (Backend b = Backends.cpu(1); var x = b.tensor(new float[] {-1f, 2f}, 2); var y = b.activation(dev.jkernels.Activation.relu(), x)) {
            assertArrayEquals(new float[] {0f, 2f}, y.toArray());
        }
    }
}
