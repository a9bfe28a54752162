package dev.jkernels.nativeloader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

class KernelResourcesTest {

    /** This module's own classpath carries no native artefacts: everything reads as absent, nothing throws. */
    @Test
    void absentResourcesReadAsEmpty() {
        assertFalse(KernelResources.hasFatbin());
        assertTrue(KernelResources.fatbin().isEmpty());
        assertEquals(0, KernelResources.fatbinSize());
        assertTrue(KernelResources.ptxasSummary().isEmpty());
        assertTrue(KernelResources.buildInfo().isEmpty());
        assertTrue(KernelResources.nvccVersion().isEmpty());
        assertFalse(KernelResources.hasEmulatorLibrary());
        assertTrue(KernelResources.emulatorLibrary().isEmpty());
    }

    /**
     * A fresh copy of the class, loaded by a class loader that also sees a folder laid out as the
     * build lays the resources out, finds each of them with the right contents.
     */
    @Test
    @SuppressWarnings("unchecked")
    void presentResourcesAreRead(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("dev/jkernels/native");
        Files.createDirectories(base.resolve("linux-x86_64"));
        byte[] fatbin = {0x50, (byte) 0xed, 0x55, (byte) 0xba, 1, 2, 3};
        Files.write(base.resolve("jkernels.fatbin"), fatbin);
        Files.writeString(base.resolve("jkernels-ptxas.txt"), "ptxas info : line 1\nptxas info : line 2\n");
        Files.writeString(base.resolve("build.properties"), "nvcc.version=13.0\ncuda.targets=sm_75,sm_90\nbuilt.at=2026-11-28T15:00:00Z\n");
        byte[] lib = "not really an ELF file".getBytes(StandardCharsets.US_ASCII);
        Files.write(base.resolve("linux-x86_64/libjkernels-emu.so"), lib);

        URL classes = KernelResources.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL(), classes},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> fresh = loader.loadClass(KernelResources.class.getName());
            assertNotSame(KernelResources.class, fresh);
            assertTrue((Boolean) call(fresh, "hasFatbin"));
            byte[] got = ((Optional<byte[]>) call(fresh, "fatbin")).orElseThrow();
            assertArrayEquals(fatbin, got);
            got[0] = 0;   // a copy: callers cannot corrupt the cached bytes
            assertArrayEquals(fatbin, ((Optional<byte[]>) call(fresh, "fatbin")).orElseThrow());
            assertEquals(fatbin.length, (Long) call(fresh, "fatbinSize"));
            assertEquals(2, ((Optional<String>) call(fresh, "ptxasSummary")).orElseThrow().lines().count());
            Properties info = (Properties) call(fresh, "buildInfo");
            assertEquals("13.0", info.getProperty("nvcc.version"));
            assertEquals(Optional.of("sm_75,sm_90"), call(fresh, "cudaTargets"));
            assertEquals(Optional.of("13.0"), call(fresh, "nvccVersion"));

            boolean linuxX64 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                    && Arrays.asList("amd64", "x86_64").contains(System.getProperty("os.arch"));
            Optional<Path> extracted = (Optional<Path>) call(fresh, "emulatorLibrary");
            assertEquals(linuxX64, extracted.isPresent());
            if (linuxX64) {
                assertArrayEquals(lib, Files.readAllBytes(extracted.get()));
                assertNotEquals(base.resolve("linux-x86_64/libjkernels-emu.so"), extracted.get());
                assertSame(extracted.get(), ((Optional<Path>) call(fresh, "emulatorLibrary")).orElseThrow(),
                        "extracted once per process");
            }
        }
    }

    private static Object call(Class<?> c, String method) throws Exception {
        Method m = c.getMethod(method);
        return m.invoke(null);
    }
}
