package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 8 Java threads issue ops on ONE emulated backend at once (allocate, upload, forward, backward,
 * device-to-device copy, read back, close), each with its own data and activation, and every
 * result matches the Java definition: the launch path has no shared mutable state that leaks
 * between threads, and the emulator's launches (which share static __shared__ storage) are
 * serialised correctly.
 */
class KernelBackendConcurrencyTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 25;

    /** The backend under test (the CUDA subclass: {@code Backends.cuda(0)}). */
    protected Backend open() { return TestBackends.open(BackendKind.EMULATED); }

    /** Live device allocations of {@code backend}'s launcher. */
    protected long liveAllocations(Backend backend) { return EmulatedLauncher.liveAllocations(); }

    @Test void eightThreadsOnOneBackend() throws Exception {
        try (Backend backend = open()) {
            long liveBefore = liveAllocations(backend);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            Activation.Kind[] kinds = Activation.Kind.values();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int checked = 0;
                    for (int r = 0; r < ROUNDS; r++) {
                        Activation act = Activation.of(kinds[(id * ROUNDS + r) % kinds.length]);
                        int n = 1 + (id * 131 + r * 37) % 700;
                        float[] x = RandomData.uniform(id * 1000L + r, n, -6f, 6f);
                        float[] g = RandomData.uniform(id * 1000L + r + 500, n, -1f, 1f);
                        try (TensorScope s = new TensorScope()) {
                            Tensor tx = s.track(backend.tensor(x, n));
                            Tensor ty = s.track(backend.activation(act, tx));
                            Tensor copy = s.track(backend.zeros(n));
                            backend.copy(ty, copy);
                            Tensor tg = s.track(backend.tensor(g, n));
                            Tensor tdx = s.track(backend.zeros(n));
                            boolean fromY = act.kind().backwardInput() == Activation.BackwardInput.OUTPUT;
                            backend.activationBackward(act, fromY ? copy : tx, tg, tdx);
                            float[] y = copy.toArray();
                            float[] dx = tdx.toArray();
                            double[] ey = new double[n], edx = new double[n];
                            for (int i = 0; i < n; i++) {
                                ey[i] = act.apply((double) x[i]);
                                edx[i] = g[i] * act.derivative(fromY ? (double) y[i] : x[i]);
                            }
                            String what = "thread " + id + " round " + r + " " + act + " n=" + n;
                            Tolerance.elementwise().times(4).assertClose(what + " forward", y, ey);
                            new Tolerance(4e-6, 4e-5).assertClose(what + " backward", dx, edx);
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : results) total += f.get(5, TimeUnit.MINUTES);
            pool.shutdown();
            assertEquals(THREADS * ROUNDS, total);
            assertEquals(liveBefore, liveAllocations(backend), "live device allocations after every tensor closed");
        }
    }
}
