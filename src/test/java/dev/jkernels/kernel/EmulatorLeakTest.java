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
    /** Cycles of the main test (the CUDA subclass runs fewer on the emulated driver). */
    protected int cycles() { return CYCLES; }

    /** The backend under test (the CUDA subclass: {@code Backends.cuda(0)}). */
    protected Backend open() { return TestBackends.open(BackendKind.EMULATED); }

    /** Live device allocations of {@code backend}'s launcher, and their bytes. */
    protected long liveAllocations(Backend backend) { return EmulatedLauncher.liveAllocations(); }

    protected long liveBytes(Backend backend) { return EmulatedLauncher.liveBytes(); }

    /** How far the live bytes may move (a GPU driver's own allocations); exact for the emulator. */
    protected long liveBytesSlack() { return 0; }

    private static final int CYCLES = 10_000;
    private static final int FLOATS = 8 * 1024;  // 32 KiB per tensor: a leak would be 312 MiB

    @Test void allocateFreeCyclesLeaveNativeMemoryFlat() throws IOException {
        try (Backend backend = open()) {
            int cycles = cycles();
            float[] data = new float[FLOATS];
            for (int i = 0; i < 500; i++) cycle(backend, data, i);  // warm up allocator and JIT
            long liveBefore = liveAllocations(backend);
            long bytesBefore = liveBytes(backend);
            long rssBefore = nativeKiB();
            for (int i = 0; i < cycles; i++) cycle(backend, data, i);
            long rssAfter = nativeKiB();
            assertEquals(liveBefore, liveAllocations(backend), "live device allocations");
            long bytesAfter = liveBytes(backend);
            assertTrue(Math.abs(bytesAfter - bytesBefore) <= liveBytesSlack(), "live device bytes: " + bytesBefore + " before, "
                    + bytesAfter + " after " + cycles + " cycles (slack " + liveBytesSlack() + ")");
            long growthMiB = (rssAfter - rssBefore) / 1024;
            assertTrue(growthMiB < 32, "RSS outside the Java heap grew by " + growthMiB + " MiB over " + cycles + " cycles (a leak would be ~"
                    + (long) cycles * FLOATS * 4 / (1 << 20) + " MiB)");
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
        Backend backend = open();
        try (backend) {
            before = liveAllocations(backend);
            leftOpen = backend.zeros(100);
            backend.zeros(7, 3);
            assertEquals(before + 2, liveAllocations(backend));
        }
        assertEquals(before, liveAllocationsAfterClose(backend), "live allocations after the backend closed");
        leftOpen.close();  // a no-op now, not a double free
        assertEquals(before, liveAllocationsAfterClose(backend));
    }

    /** Live allocations once {@code backend} is closed (the CUDA subclass asks the driver). */
    protected long liveAllocationsAfterClose(Backend backend) { return EmulatedLauncher.liveAllocations(); }

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
