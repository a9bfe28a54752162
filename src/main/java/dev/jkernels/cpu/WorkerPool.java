package dev.jkernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The CPU backend's own threads. {@link #forEach} hands a range of independent tasks to the
 * calling thread and threads − 1 workers, which take the next index from a shared counter: a
 * worker slowed by another process on its core simply takes fewer tasks.
 *
 * <p>Why not a fork-join pool: its idle workers park at once, and waking one costs about 10 µs
 * per call (measured, 2 threads, trivial tasks), a few per cent of a 4 M-float ReLU and more of a
 * small conv. Workers here spin for {@link #SPIN_NANOS} after each call before they park, as
 * OpenMP's do, so back-to-back ops (a network's layers) start in under a microsecond
 * (measured: 0.3–1 µs); a pool that is left alone parks and costs nothing.
 *
 * <p>Rules:
 * <ul>
 *   <li>A call made from inside one of its own tasks, or while another thread is using the pool,
 *       runs its tasks inline on the calling thread: nested loops (a conv calling the GEMM) never
 *       wait on themselves, and concurrent callers never oversubscribe the cores.</li>
 *   <li>A task that throws stops the others from starting new tasks; the first exception is
 *       rethrown to the caller once every task already started has finished, so no task of the
 *       failed call still runs when it returns.</li>
 *   <li>Flat on purpose: a body runs two calls below the worker's loop. C2 inlines at most 15 calls
 *       deep and the Vector API loops the bodies call need most of that (measured under a
 *       recursive fork-join split: sigmoid, ELU, GELU, SiLU over 4 M floats 2–3× slower on two
 *       threads than on one, their vectors boxed).</li>
 * </ul>
 */
final class WorkerPool {
    /** How long an idle worker spins before it parks (system property {@code jkernels.cpu.spinMicros}, default 100). */
    static final long SPIN_NANOS = 1000L * Long.getLong("jkernels.cpu.spinMicros", 100L);
    /** A worker idle this long ends (the next call starts a new one), so a pool nobody closed does not keep threads. */
    private static final long KEEP_ALIVE_NANOS = 30_000_000_000L;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock calls = new ReentrantLock();
    /** The call being run, or the last one run; workers run each job they have not seen. */
    private volatile Job current;
    private volatile boolean stopped;

    WorkerPool(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) startWorker(w);
    }

    private void startWorker(int w) {
        Thread t = new Thread(this::work, "jkernels-cpu-" + w);
        t.setDaemon(true);
        workers[w] = t;
        t.start();
    }

    int threads() { return threads; }

    /** Runs {@code body.accept(i)} for every i in [0, count), in parallel when it is worth it. */
    void forEach(int count, IntConsumer body) {
        if (count <= 0) return;
        if (workers.length == 0 || count == 1 || stopped || calls.isHeldByCurrentThread() || !calls.tryLock()) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        try {
            for (int w = 0; w < workers.length; w++) if (!workers[w].isAlive()) startWorker(w);
            Job job = new Job(count, body);
            current = job;
            for (Thread t : workers) LockSupport.unpark(t);
            job.drain();
            job.awaitFinished();
            job.rethrow();
        } finally {
            calls.unlock();
        }
    }

    void shutdown() {
        stopped = true;
        for (Thread t : workers) LockSupport.unpark(t);
    }

    private void work() {
        Job seen = null;
        while (!stopped) {
            Job job = current;
            if (job != seen && job != null) {
                seen = job;
                job.drain();
                continue;
            }
            // Idle: spin, then park until the next call unparks this thread (or a bounded nap, so a
            // wake-up lost between the check and the park costs at most that much).
            long idleSince = System.nanoTime();
            while (current == seen && !stopped) {
                long idle = System.nanoTime() - idleSince;
                if (idle < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (idle > KEEP_ALIVE_NANOS) {
                    return;   // safe at any time: a call never waits for a worker, only for its tasks
                } else {
                    LockSupport.parkNanos(this, 10_000_000L);
                }
            }
        }
    }

    /** One forEach call: every index is claimed and finished exactly once, run or (after a failure) skipped. */
    private static final class Job {
        private final int count;
        private final IntConsumer body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();
        private volatile Throwable failure;

        Job(int count, IntConsumer body) {
            this.count = count;
            this.body = body;
        }

        void drain() {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                try {
                    if (failure == null) body.accept(i);
                } catch (Throwable t) {
                    synchronized (this) {
                        if (failure == null) failure = t;
                    }
                } finally {
                    finished.incrementAndGet();
                }
            }
        }

        /** The caller has drained the counter; the tasks workers still run end within a task's time. */
        void awaitFinished() {
            while (finished.get() < count) Thread.onSpinWait();
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        }
    }
}
