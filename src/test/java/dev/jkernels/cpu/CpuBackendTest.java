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

    @Test
    void singleThreadedBackendWorks() {
        try (Backend b = Backends.cpu(1); var x = b.tensor(new float[] {-1f, 2f}, 2); var y = b.activation(dev.jkernels.Activation.relu(), x)) {
            assertArrayEquals(new float[] {0f, 2f}, y.toArray());
        }
    }
}
