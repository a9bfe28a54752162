package dev.jkernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Tensors on the CPU backend: copies in and out (arrays, heap and direct buffers), layouts, closing, scopes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TensorTest {
    private Backend cpu;

    @BeforeAll void open() { cpu = Backends.cpu(); }

    @AfterAll void close() { cpu.close(); }

    private static float[] iota(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i * 0.5f - 3f;
        return x;
    }

    @Test
    void arrayRoundTripIsACopy() {
        float[] data = iota(24);
        try (Tensor t = cpu.tensor(data, 2, 3, 4)) {
            assertArrayEquals(new int[] {2, 3, 4}, t.dims());
            assertEquals(24, t.size());
            assertEquals(3, t.rank());
            assertEquals(Layout.PLAIN, t.layout());
            assertSame(cpu, t.backend());
            data[0] = 100f;
            assertEquals(-3f, t.toArray()[0], "the tensor must hold a copy, not the caller's array");
            float[] out = t.toArray();
            out[1] = 100f;
            assertEquals(-2.5f, t.toArray()[1], "toArray must return a copy");
        }
    }

    @Test
    void heapFloatBufferInAndOut() {
        float[] data = iota(10);
        FloatBuffer src = FloatBuffer.allocate(13);
        src.position(2);
        src.put(data);
        src.position(2).limit(12);
        try (Tensor t = cpu.tensor(src, 2, 5)) {
            assertEquals(2, src.position(), "position must not move");
            assertArrayEquals(data, t.toArray());
            FloatBuffer dst = FloatBuffer.allocate(12);
            dst.position(1).limit(11);
            t.copyTo(dst);
            assertEquals(1, dst.position());
            for (int i = 0; i < 10; i++) assertEquals(data[i], dst.get(1 + i));
            assertEquals(0f, dst.get(0));
        }
    }

    @Test
    void directFloatBufferInAndOut() {
        float[] data = iota(12);
        FloatBuffer direct = ByteBuffer.allocateDirect(12 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(data).flip();
        try (Tensor t = cpu.tensor(direct, Layout.NHWC, 1, 2, 2, 3)) {
            assertEquals(Layout.NHWC, t.layout());
            assertArrayEquals(data, t.toArray());
            FloatBuffer out = ByteBuffer.allocateDirect(12 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            t.copyTo(out);
            float[] back = new float[12];
            out.get(back);
            assertArrayEquals(data, back);
            // copyFrom a buffer overwrites everything
            FloatBuffer ones = FloatBuffer.wrap(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
            t.copyFrom(ones);
            assertEquals(0, ones.position());
            for (float v : t.toArray()) assertEquals(1f, v);
        }
    }

    @Test
    void copyFromArrayAndSizeChecks() {
        try (Tensor t = cpu.zeros(3, 2)) {
            for (float v : t.toArray()) assertEquals(0f, v, "zeros must be zero");
            t.copyFrom(iota(6));
            assertArrayEquals(iota(6), t.toArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.copyFrom(new float[5]));
            assertTrue(e.getMessage().contains("6") && e.getMessage().contains("5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.copyTo(FloatBuffer.allocate(7)));
            assertThrows(IllegalArgumentException.class, () -> t.copyFrom(FloatBuffer.allocate(2)));
            assertArrayEquals(iota(6), t.toArray(), "failed copies leave the tensor as it was");
        }
    }

    @Test
    void layouts() {
        try (Tensor a = cpu.zeros(1, 2, 3, 4); Tensor b = cpu.zeros(Layout.NHWC, 1, 3, 4, 2); Tensor c = cpu.zeros(5)) {
            assertEquals(Layout.NCHW, a.layout(), "4-D defaults to NCHW");
            assertEquals(Layout.NHWC, b.layout());
            assertEquals(Layout.PLAIN, c.layout());
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.zeros(Layout.NHWC, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> cpu.zeros((Layout) null, 2, 3));
        assertEquals(Layout.NCHW, Layout.defaultFor(4));
        assertEquals(Layout.PLAIN, Layout.defaultFor(2));
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() {
        Tensor t = cpu.tensor(iota(4), 4);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
        assertThrows(IllegalStateException.class, () -> cpu.activation(Activation.relu(), t));
        assertTrue(t.toString().contains("closed"));
    }

    @Test
    void scopeClosesEverythingNewestFirst() {
        List<String> order = new ArrayList<>();
        Tensor kept;
        try (TensorScope scope = new TensorScope()) {
            kept = scope.track(cpu.zeros(2));
            scope.track(() -> order.add("first"));
            scope.track(() -> order.add("second"));
            assertEquals(3, scope.size());
            assertFalse(kept.isClosed());
        }
        assertTrue(kept.isClosed());
        assertEquals(List.of("second", "first"), order);

        TensorScope closed = new TensorScope();
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.track(cpu.zeros(1)));
        assertThrows(IllegalArgumentException.class, () -> new TensorScope().track(null));
    }

    @Test
    void scopeClosesTheRestWhenOneFails() {
        Tensor t = cpu.zeros(3);
        TensorScope scope = new TensorScope();
        scope.track(t);
        scope.track(() -> { throw new IllegalStateException("boom"); });
        IllegalStateException e = assertThrows(IllegalStateException.class, scope::close);
        assertEquals("boom", e.getMessage());
        assertTrue(t.isClosed(), "the tensor tracked before the failing resource is still closed");
    }

    @Test
    void copyOfAndCopy() {
        try (Tensor a = cpu.tensor(iota(6), Layout.NHWC, 1, 1, 2, 3);
             Tensor b = cpu.copyOf(a);
             Tensor c = cpu.zeros(Layout.NHWC, 1, 1, 2, 3)) {
            assertArrayEquals(a.toArray(), b.toArray());
            assertEquals(Layout.NHWC, b.layout());
            a.copyFrom(new float[6]);
            assertArrayEquals(iota(6), b.toArray(), "copyOf is a deep copy");
            cpu.copy(b, c);
            assertArrayEquals(iota(6), c.toArray());
            try (Backend other = Backends.cpu(1); Tensor d = other.zeros(1, 1, 2, 3)) {
                other.copy(c, d); // across backends
                assertArrayEquals(iota(6), d.toArray());
            }
        }
    }

    @Test
    void largeCopyThroughChunks() {
        int n = (1 << 20) * 2 + 17; // more than one host chunk of the generic copy path
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i;
        try (Backend other = Backends.cpu(1); Tensor a = other.tensor(data, n); Tensor b = cpu.copyOf(a)) {
            assertArrayEquals(data, b.toArray());
        }
    }
}
