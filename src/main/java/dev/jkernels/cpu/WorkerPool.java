package dev.jkernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The CPU backend's own fork-join pool. {@link #forEach} hands a range of independent tasks to
 * min(threads, count) workers that take the next index from a shared counter (the calling thread
 * is one of them): a worker slowed by another process on its core simply takes fewer tasks. A call
 * made from inside one of its own tasks runs inline, so nested parallel loops (a conv calling the
 * GEMM) never wait on themselves.
 *
 * <p>Flat on purpose: the body runs two calls below the worker's {@code compute}, not under a
 * recursive binary split (compute → invokeAll → … → compute). C2 inlines at most 15 calls deep, and
 * the Vector API loops the bodies call need most of that (measured: sigmoid, ELU, GELU, SiLU over
 * 4 M floats on 2 threads 2-3× slower than on one under the recursive split, their vectors boxed).
 */
final class WorkerPool {
    private final ForkJoinPool pool;
    private final int threads;

    WorkerPool(int threads) {
        this.threads = threads;
        AtomicInteger names = new AtomicInteger();
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("jkernels-cpu-" + names.getAndIncrement());   // (getPoolIndex() is 0 before the thread registers)
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    int threads() { return threads; }

    /** Runs {@code body.accept(i)} for every i in [0, count), in parallel when it is worth it. */
    void forEach(int count, IntConsumer body) {
        if (count <= 0) return;
        if (pool == null || count == 1 || (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool)) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        pool.invoke(new Split(count, body, Math.min(threads, count)));
    }

    void shutdown() {
        if (pool != null) pool.shutdown();
    }

    /** Forks workers − 1 {@link Worker}s, works itself, then joins them (an exception in any one propagates). */
    private static final class Split extends RecursiveAction {
        private final int count, workers;
        private final IntConsumer body;

        Split(int count, IntConsumer body, int workers) {
            this.count = count;
            this.body = body;
            this.workers = workers;
        }

        @Override protected void compute() {
            AtomicInteger next = new AtomicInteger();
            Worker[] others = new Worker[workers - 1];
            for (int w = 0; w < others.length; w++) others[w] = (Worker) new Worker(next, count, body).fork();
            Throwable failure = null;
            try {
                Worker.drain(next, count, body);
            } catch (Throwable t) {
                next.set(count);   // the others stop taking tasks
                failure = t;
            }
            for (Worker w : others) {
                try {
                    w.join();
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                }
            }
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new RuntimeException(failure);
        }
    }

    private static final class Worker extends RecursiveAction {
        private final AtomicInteger next;
        private final int count;
        private final IntConsumer body;

        Worker(AtomicInteger next, int count, IntConsumer body) {
            this.next = next;
            this.count = count;
            this.body = body;
        }

        static void drain(AtomicInteger next, int count, IntConsumer body) {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) body.accept(i);
        }

        @Override protected void compute() {
            try {
                drain(next, count, body);
            } catch (RuntimeException | Error e) {
                next.set(count);
                throw e;
            }
        }
    }
}
