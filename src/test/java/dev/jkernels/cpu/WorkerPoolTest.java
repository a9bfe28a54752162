package dev.jkernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pool's contract: every index exactly once, results visible on return, failures and nesting. */
class WorkerPoolTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyIndexRunsExactlyOnceAndIsVisibleAfterwards(int threads) {
        WorkerPool pool = new WorkerPool(threads);
        try {
            for (int count : new int[] {1, 2, 3, 7, 64, 1000}) {
                for (int call = 0; call < 50; call++) {   // back to back: spinning and parked workers alike
                    int[] plain = new int[count];          // plain writes: visible through the pool's hand-back
                    AtomicIntegerArray runs = new AtomicIntegerArray(count);
                    pool.forEach(count, i -> {
                        plain[i] = i + 1;
                        runs.incrementAndGet(i);
                    });
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, runs.get(i), "index " + i + " of " + count);
                        assertEquals(i + 1, plain[i]);
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void theFirstFailureIsRethrownAfterEveryStartedTaskHasFinished() {
        WorkerPool pool = new WorkerPool(2);
        try {
            AtomicInteger running = new AtomicInteger();
            IllegalStateException boom = new IllegalStateException("task 3");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.forEach(200, i -> {
                running.incrementAndGet();
                try {
                    if (i == 3) throw boom;
                    Thread.onSpinWait();
                } finally {
                    running.decrementAndGet();
                }
            }));
            assertSame(boom, thrown);
            assertEquals(0, running.get(), "a task of the failed call still ran after it returned");
            // The pool still works afterwards.
            AtomicInteger n = new AtomicInteger();
            pool.forEach(10, i -> n.incrementAndGet());
            assertEquals(10, n.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void nestedCallsRunInline() {
        WorkerPool pool = new WorkerPool(2);
        try {
            AtomicIntegerArray inner = new AtomicIntegerArray(8 * 8);
            pool.forEach(8, o -> {
                Thread outer = Thread.currentThread();
                pool.forEach(8, i -> {
                    assertSame(outer, Thread.currentThread());
                    inner.incrementAndGet(o * 8 + i);
                });
            });
            for (int i = 0; i < 64; i++) assertEquals(1, inner.get(i));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void concurrentCallersEachGetEveryIndex() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        try {
            int callers = 4;
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] ts = new Thread[callers];
            for (int c = 0; c < callers; c++) {
                ts[c] = new Thread(() -> {
                    try {
                        start.await();
                        for (int call = 0; call < 200; call++) {
                            AtomicIntegerArray runs = new AtomicIntegerArray(37);
                            pool.forEach(37, runs::incrementAndGet);
                            for (int i = 0; i < 37; i++) if (runs.get(i) != 1) throw new AssertionError("index " + i + " ran " + runs.get(i));
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
                ts[c].start();
            }
            start.countDown();
            for (Thread t : ts) t.join(60_000);
            for (Thread t : ts) assertTrue(!t.isAlive(), "a caller hung");
            if (failure.get() != null) throw new AssertionError(failure.get());
        } finally {
            pool.shutdown();
        }
    }
}
