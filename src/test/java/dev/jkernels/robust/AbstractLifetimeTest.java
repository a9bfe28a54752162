package dev.jkernels.robust;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.nn.Conv2d;
import dev.jkernels.nn.Flatten;
import dev.jkernels.nn.Linear;
import dev.jkernels.nn.ReLU;
import dev.jkernels.nn.Sequential;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, finding 3: a close racing with ops on other threads. Every op must either finish with
 * the right numbers or fail with {@link IllegalStateException}; nothing else (no NPE from a freed
 * array, no heap corruption or SIGSEGV from freed native memory). Tensors, layers, Sequential and
 * the backend itself, each closed at a random moment of many rounds.
 */
public abstract class AbstractLifetimeTest {
    protected abstract BackendKind kind();

    /** Rounds per race; each round is a few ms of ops. */
    protected int rounds() { return 12; }

    private static final int THREADS = 4;

    /**
     * Runs {@code op} on {@link #THREADS} threads until {@code closer} has run and every thread has
     * seen a failure or {@code maxOps} ops; checks each result with {@code check}.
     */
    private <T> void race(String what, long seed, Supplier<T> op, java.util.function.Consumer<T> check, Runnable closer) throws Exception {
        AtomicReference<Throwable> bad = new AtomicReference<>();
        AtomicInteger ok = new AtomicInteger(), refused = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int n = 0; n < 400; n++) {
                        T r;
                        try {
                            r = op.get();
                        } catch (IllegalStateException e) {
                            refused.incrementAndGet();
                            return;  // closed: every later op must fail the same way, no need to hammer on
                        }
                        check.accept(r);
                        ok.incrementAndGet();
                    }
                } catch (Throwable e) {
                    bad.compareAndSet(null, e);
                }
            }, what + "-" + i);
            threads.add(t);
            t.start();
        }
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        start.countDown();
        Thread.sleep(rnd.nextInt(8));
        closer.run();
        for (Thread t : threads) {
            t.join(60_000);
            if (t.isAlive()) throw new AssertionFailedError(what + ": an op thread hangs after the close (seed " + seed + ")");
        }
        if (bad.get() != null) throw new AssertionFailedError(what + ": an op failed with something other than IllegalStateException"
                + " or gave a wrong result (seed " + seed + ", " + ok + " ok, " + refused + " refused)", bad.get());
        assertThrows(IllegalStateException.class, op::get, what + ": an op after the close must fail");
    }

    private static float[] matmul(float[] a, float[] b, int n) {
        float[] c = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += (double) a[i * n + k] * b[k * n + j];
                c[i * n + j] = (float) s;
            }
        return c;
    }

    @Test void closingATensorUnderRunningOps() throws Exception {
        int n = 48;
        float[] ad = RandomData.uniform(1, n * n), bd = RandomData.uniform(2, n * n);
        float[] expected = matmul(ad, bd, n);
        Tolerance tol = Tolerance.forReduction(n);
        try (Backend be = TestBackends.open(kind())) {
            for (int round = 0; round < rounds(); round++) {
                Tensor a = be.tensor(ad, n, n), b = be.tensor(bd, n, n);
                race("tensor close", round, () -> {
                    try (Tensor c = be.gemm(GemmSpec.plain(), a, b, null)) {
                        return c.toArray();
                    }
                }, got -> tol.assertClose("gemm", got, expected), round % 2 == 0 ? a::close : b::close);
                a.close();
                b.close();
            }
        }
    }

    @Test void closingAnOutputAndAnInPlaceTensorUnderRunningOps() throws Exception {
        try (Backend be = TestBackends.open(kind())) {
            for (int round = 0; round < rounds(); round++) {
                Tensor x = be.tensor(RandomData.uniform(round, 4096), 64, 64);
                Tensor y = be.zeros(64, 64);
                race("output close", round, () -> {
                    be.activation(Activation.tanh(), x, y);
                    be.activation(Activation.relu(), y, y);
                    be.activationBackward(Activation.sigmoid(), x, y, y);
                    return Boolean.TRUE;
                }, r -> {}, y::close);
                x.close();
            }
        }
    }

    @Test void closingTheBackendUnderRunningOps() throws Exception {
        float[] in = RandomData.uniform(3, 2 * 3 * 9 * 9), w = RandomData.uniform(4, 4 * 3 * 3 * 3);
        Conv2dSpec spec = Conv2dSpec.builder().padding(1).build();
        float[] expected;
        try (Backend cpu = TestBackends.open(BackendKind.CPU); Tensor i = cpu.tensor(in, 2, 3, 9, 9); Tensor f = cpu.tensor(w, 4, 3, 3, 3);
             Tensor o = cpu.conv2d(spec, i, f, null)) {
            expected = o.toArray();
        }
        Tolerance tol = Tolerance.forReduction(27);
        for (int round = 0; round < rounds(); round++) {
            Backend be = TestBackends.open(kind());
            Tensor i = be.tensor(in, 2, 3, 9, 9), f = be.tensor(w, 4, 3, 3, 3);
            race("backend close", round, () -> {
                try (Tensor o = be.conv2d(spec, i, f, null)) {
                    return o.toArray();
                }
            }, got -> tol.assertClose("conv2d", got, expected), be::close);
            i.close();  // after the backend: a no-op on freed memory, never a double free
            f.close();
        }
    }

    @Test void closingALayerAndASequentialUnderForward() throws Exception {
        try (Backend be = TestBackends.open(kind())) {
            for (int round = 0; round < rounds(); round++) {
                Linear lin = new Linear(16, 8, Activation.relu()).to(be);
                Tensor x = be.tensor(RandomData.uniform(round, 5 * 16), 5, 16);
                race("layer close", round, () -> lin.forward(x), y -> y.close(), lin::close);
                Sequential seq = new Sequential(Conv2d.builder(2, 3, 3).padding(1).build(), new ReLU(), new Flatten(),
                        new Linear(3 * 6 * 6, 4)).to(be);
                float[] batch = RandomData.uniform(round + 100, 2 * 2 * 6 * 6);
                race("sequential close", round, () -> seq.predict(batch, 2, 2, 6, 6), y -> assertTrue(y.length == 8), seq::close);
                x.close();
            }
        }
    }

    @Test void closingACnnUnderPredict() throws Exception {
        try (Backend be = TestBackends.open(kind())) {
            for (int round = 0; round < rounds(); round++) {
                Sequential seq = new Sequential(Conv2d.builder(2, 4, 3).padding(1).build(), new dev.jkernels.nn.BatchNorm2d(4),
                        new ReLU(), new dev.jkernels.nn.MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 5)).to(be);
                float[] batch = RandomData.uniform(round + 200, 3 * 2 * 6 * 6);
                float[] expected = seq.predict(batch, 3, 2, 6, 6);
                race("cnn close", round, () -> seq.predict(batch, 3, 2, 6, 6),
                        y -> assertTrue(java.util.Arrays.equals(y, expected), "another result under the race"), seq::close);
            }
        }
    }

    @Test void aCloseFromInsideAnOpIsRefusedNotADeadlock() {
        try (Backend be = TestBackends.open(kind()); Tensor t = be.zeros(4)) {
            if (!(be instanceof dev.jkernels.kernel.KernelBackend kb)) return;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> kb.timeMillis(be::close));
            assertTrue(e.getMessage().contains("in use by an op on this thread"), e.getMessage());
            assertTrue(!((dev.jkernels.AbstractBackend) be).isClosed());
            kb.timeMillis(() -> be.activation(Activation.relu(), t, t)); // still usable
        }
    }
}
