package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Host ↔ device copies through the launcher, for every kind of FloatBuffer (heap, direct in native
 * order, direct big-endian, a slice with a non-zero position), and device-to-device copies: the
 * values arrive intact and buffer positions do not move.
 */
class EmulatedTransferTest {
    private static final int N = 37;

    private static float[] values() {
        float[] v = new float[N];
        for (int i = 0; i < N; i++) v[i] = i * 1.5f - 20f;
        return v;
    }

    private static FloatBuffer direct(ByteOrder order, int extra) {
        return ByteBuffer.allocateDirect((N + extra) * 4).order(order).asFloatBuffer();
    }

    @Test void everyBufferKindRoundTrips() {
        float[] v = values();
        FloatBuffer[] sources = {FloatBuffer.wrap(v.clone()), direct(ByteOrder.nativeOrder(), 0).put(v).flip(),
                direct(ByteOrder.BIG_ENDIAN, 0).put(v).flip(), direct(ByteOrder.nativeOrder(), 3).put(new float[3]).put(v).position(3)};
        try (Backend b = TestBackends.open(BackendKind.EMULATED)) {
            for (FloatBuffer src : sources) {
                int pos = src.position();
                try (Tensor t = b.tensor(src, N)) {
                    assertEquals(pos, src.position(), "source position");
                    assertArrayEquals(v, t.toArray(), "upload from " + describe(src));
                    for (FloatBuffer dst : new FloatBuffer[] {FloatBuffer.allocate(N), direct(ByteOrder.nativeOrder(), 0),
                            direct(ByteOrder.BIG_ENDIAN, 0)}) {
                        t.copyTo(dst);
                        assertEquals(0, dst.position(), "destination position");
                        float[] got = new float[N];
                        dst.duplicate().get(got);
                        assertArrayEquals(v, got, "download into " + describe(dst));
                    }
                }
            }
        }
    }

    @Test void deviceToDeviceCopies() {
        try (Backend b = TestBackends.open(BackendKind.EMULATED); Backend other = TestBackends.open(BackendKind.EMULATED);
             Tensor src = b.tensor(values(), N); Tensor same = b.zeros(N); Tensor far = other.zeros(N)) {
            b.copy(src, same);
            assertArrayEquals(values(), same.toArray());
            other.copy(src, far);  // another backend: through the host
            assertArrayEquals(values(), far.toArray());
            try (Tensor c = b.copyOf(far)) {
                assertArrayEquals(values(), c.toArray());
            }
        }
    }

    private static String describe(FloatBuffer f) {
        return (f.isDirect() ? "direct " + f.order() : "heap") + " buffer at position " + f.position();
    }
}
