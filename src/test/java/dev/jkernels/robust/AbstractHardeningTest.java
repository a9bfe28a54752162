package dev.jkernels.robust;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Tensor;
import dev.jkernels.nn.Linear;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12's findings 1, 2, 4, 7 and the backend-specific ones of 8, the same on every backend:
 * sizes that overflow, read-only destinations, conv geometry past 2^31, aliasing through views,
 * foreign or freed storage. Each must be refused with the documented exception before any native
 * call, leaving every tensor as it was.
 */
public abstract class AbstractHardeningTest extends BackendTestBase {

    // ---- 1. sizes ------------------------------------------------------------------------------

    @Test void byteCountOverflowIsRefused() {
        // 2^62 floats: 2^64 bytes, which wrapped to a 1-byte buffer before.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.zeros(1 << 30, 1 << 30, 4));
        assertTrue(e.getMessage().contains("4611686018427387904"), e.getMessage());
    }

    @Test void convInputOfTwoToThe62FloatsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> backend.zeros(Layout.NCHW, 4, 1, 1 << 30, 1 << 30));
    }

    /** Sizes in GiB past this backend's limit (the CPU's one array, the emulator's host budget; a GPU overrides it). */
    protected int[] hugeGiB() { return new int[] {16, 64}; }

    @Test void hugeTensorsAreRefusedFastAndNeverOutOfMemory() {
        for (int gib : hugeGiB()) {
            long t0 = System.nanoTime();
            // 16 GiB = 2^32 floats, 64 GiB = 2^34 floats: over the CPU's one-array limit and over the emulator's host budget.
            RuntimeException e = assertThrows(RuntimeException.class, () -> backend.zeros(1 << 16, gib << 10, 4));
            assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, e.toString());
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 2, gib + " GiB took " + seconds + " s to refuse");
        }
    }

    // ---- 2. read-only destinations -------------------------------------------------------------

    @Test void readOnlyDirectBufferIsRejectedUntouched() {
        try (Tensor t = backend.tensor(RandomData.uniform(1, 12), 3, 4)) {
            FloatBuffer direct = ByteBuffer.allocateDirect(48).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = 0; i < 12; i++) direct.put(i, -7f);
            FloatBuffer ro = direct.asReadOnlyBuffer();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(ro));
            assertTrue(e.getMessage().contains("dst") && e.getMessage().contains("read-only"), e.getMessage());
            for (int i = 0; i < 12; i++) assertEquals(-7f, direct.get(i), "element " + i + " was written through a read-only buffer");
        }
    }

    @Test void readOnlyHeapBufferIsRejected() {
        try (Tensor t = backend.tensor(RandomData.uniform(2, 6), 6)) {
            float[] backing = new float[6];
            assertThrows(IllegalArgumentException.class, () -> t.copyTo(FloatBuffer.wrap(backing).asReadOnlyBuffer()));
            assertArrayEquals(new float[6], backing);
        }
    }

    @Test void readOnlyMappedFileIsRejected() throws IOException {
        Path f = Files.createTempFile("jk-ro-", ".bin");
        try {
            Files.write(f, new byte[64]);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ); Tensor t = backend.tensor(RandomData.uniform(3, 16), 16)) {
                FloatBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, 64).order(ByteOrder.nativeOrder()).asFloatBuffer();
                assertThrows(IllegalArgumentException.class, () -> t.copyTo(mapped));
            }
            assertArrayEquals(new byte[64], Files.readAllBytes(f));
        } finally {
            Files.deleteIfExists(f);
        }
    }

    // ---- 4. conv geometry in 64 bits -----------------------------------------------------------

    @Test void paddingThatWrapsTheOutputHeightIsRefused() {
        Conv2dSpec spec = Conv2dSpec.builder().padding(Padding.of(Integer.MAX_VALUE, Integer.MAX_VALUE, 0, 0)).build();
        try (Tensor in = backend.tensor(RandomData.uniform(4, 49), 1, 1, 7, 7); Tensor w = backend.tensor(RandomData.uniform(5, 9), 1, 1, 3, 3)) {
            // P = 7 + 2·(2^31−1) − 3 + 1 = 2^32 + 3: was cast to 3 and "computed" as zeros.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.conv2d(spec, in, w, null));
            assertTrue(e.getMessage().startsWith("padding:") && e.getMessage().contains("4294967299"), e.getMessage());
        }
    }

    @Test void outputHeightJustPastTwoToThe31NamesThePadding() {
        int top = Integer.MAX_VALUE - 4;  // H 7, R 3: P = 7 + top − 3 + 1 = 2^31, one past the largest dimension
        Conv2dSpec spec = Conv2dSpec.builder().padding(Padding.of(top, 0, 0, 0)).build();
        try (Tensor in = backend.zeros(1, 1, 7, 7); Tensor w = backend.zeros(1, 1, 3, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.conv2d(spec, in, w, null));
            assertTrue(e.getMessage().startsWith("padding:") && e.getMessage().contains("2147483648"), e.getMessage());
        }
    }

    @Test void samePaddingOfAHugeDilationIsRefused() {
        Conv2dSpec spec = Conv2dSpec.builder().paddingSame().dilation(Integer.MAX_VALUE, 1).build();
        try (Tensor in = backend.zeros(1, 1, 7, 7); Tensor w = backend.zeros(1, 1, 3, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.conv2d(spec, in, w, null));
            assertTrue(e.getMessage().startsWith("padding:"), e.getMessage());
        }
    }

    // ---- 7. aliasing by memory, foreign and freed storage --------------------------------------

    @Test void gemmIntoAViewOfItsInputIsRefusedUntouched() {
        try (Tensor a = backend.tensor(RandomData.uniform(6, 16), 4, 4); Tensor b = backend.tensor(RandomData.uniform(7, 16), 4, 4)) {
            float[] before = a.toArray();
            Tensor view = Tensor.ofStorage(backend, a.storage(), a.shape(), Layout.PLAIN); // never closed: a owns the memory
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(GemmSpec.plain(), a, b, null, view));
            assertTrue(e.getMessage().startsWith("c:") && e.getMessage().contains("a"), e.getMessage());
            Tolerance.assertUnchanged("a", before, a.toArray());
            // Relabelled with another shape: still the same memory.
            Tensor flat = Tensor.ofStorage(backend, b.storage(), dev.jkernels.Shape.of(16), Layout.PLAIN);
            assertThrows(IllegalArgumentException.class, () -> backend.activationBackward(Activation.relu(), flat, flat, flat));
        }
    }

    @Test void storageOfAnotherBackendIsRefused() {
        try (Backend other = TestBackends.openAnother(backend); Tensor foreign = other.zeros(2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.ofStorage(backend, foreign.storage(), foreign.shape(), Layout.PLAIN));
            assertTrue(e.getMessage().startsWith("storage:"), e.getMessage());
        }
    }

    @Test void storageOfAClosedTensorIsRefused() {
        Tensor t = backend.tensor(RandomData.uniform(8, 4), 2, 2);
        var storage = t.storage();
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Tensor.ofStorage(backend, storage, t.shape(), Layout.PLAIN));
        assertTrue(e.getMessage().startsWith("storage:"), e.getMessage());
    }

    @Test void closingOneViewClosesTheOthers() {
        Tensor t = backend.tensor(RandomData.uniform(9, 4), 2, 2);
        Tensor view = Tensor.ofStorage(backend, t.storage(), dev.jkernels.Shape.of(4), Layout.PLAIN);
        view.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> backend.activation(Activation.relu(), t));
        t.close();
    }

    // ---- 8. the backend-specific small gaps ----------------------------------------------------

    @Test void twoBackendsOfOneKindAreToldApart() {
        try (Backend other = TestBackends.openAnother(backend); Tensor foreign = other.zeros(3, 4);
             Tensor b = backend.zeros(4, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.gemm(GemmSpec.plain(), foreign, b, null));
            String m = e.getMessage();
            String own = ((dev.jkernels.AbstractBackend) backend).identity(), theirs = ((dev.jkernels.AbstractBackend) other).identity();
            assertTrue(!own.equals(theirs) && m.contains(own) && m.contains(theirs), m);
        }
    }

    @Test void setWeightsAfterTheBackendClosedChangesNothing() {
        Backend other = TestBackends.openAnother(backend);
        Linear l = new Linear(3, 2);
        l.to(other);
        float[] w = l.weight(), bias = l.bias();
        other.close();
        assertThrows(IllegalStateException.class, () -> l.setWeights(new float[6], new float[2]));
        assertArrayEquals(w, l.weight(), "the host weights changed although setWeights threw");
        assertArrayEquals(bias, l.bias());
        l.close();
    }
}
