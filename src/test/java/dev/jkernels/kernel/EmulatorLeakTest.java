package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10⁴ allocate/use/free cycles leave native memory flat: the emulator's live-allocation counter
 * returns to where it was, and the process's resident set outside the Java heap does not grow by anything like the
 * 10⁴ × 32 KiB a leak would cost. Closing the backend frees what its tensors still hold.
 */
class EmulatorLeakTest {
    private static final int CYCLES = 10_000;
    private static final int FLOATS = 8 * 1024;  // 32 KiB per tensor: a leak would be 312 MiB

    @Test void allocateFreeCyclesLeaveNativeMemoryFlat() throws IOException {
        try (Backend backend = TestBackends.open(BackendKind.EMULATED)) {
            float[] data = new float[FLOATS];
            for (int i = 0; i < 500; i++) cycle(backend, data, i);  // warm up allocator and JIT
            long liveBefore = EmulatedLauncher.liveAllocations();
            long bytesBefore = EmulatedLauncher.liveBytes();
            long rssBefore = nativeKiB();
            for (int i = 0; i < CYCLES; i++) cycle(backend, data, i);
            long rssAfter = nativeKiB();
            assertEquals(liveBefore, EmulatedLauncher.liveAllocations(), "live emulator allocations");
            assertEquals(bytesBefore, EmulatedLauncher.liveBytes(), "live emulator bytes");
            long growthMiB = (rssAfter - rssBefore) / 1024;
            assertTrue(growthMiB < 32, "RSS outside the Java heap grew by " + growthMiB + " MiB over " + CYCLES + " cycles (a leak would be ~"
                    + (long) CYCLES * FLOATS * 4 / (1 << 20) + " MiB)");
        }
    }

    private static void cycle(Backend backend, float[] data, int i) {
        if (i % 2 == 0) {
            try (Tensor t = backend.zeros(FLOATS)) {
                backend.activation(Activation.relu(), t, t);
            }
        } else {
            try (Tensor t = backend.tensor(data, FLOATS)) {
                t.storage().read(0, data, 0, FLOATS);
            }
        }
    }

    @Test void closingTheBackendFreesWhatTensorsStillHold() {
        long before;
        Tensor leftOpen;
        try (Backend backend = TestBackends.open(BackendKind.EMULATED)) {
            before = EmulatedLauncher.liveAllocations();
            leftOpen = backend.zeros(100);
            backend.zeros(7, 3);
            assertEquals(before + 2, EmulatedLauncher.liveAllocations());
        }
        assertEquals(before, EmulatedLauncher.liveAllocations(), "live allocations after the backend closed");
        leftOpen.close();  // a no-op now, not a double free
        assertEquals(before, EmulatedLauncher.liveAllocations());
    }

    /** Resident memory outside the Java heap: RSS minus the committed heap, after a GC. */
    private static long nativeKiB() throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        return rssKiB() - heap;
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
