package dev.jkernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The CPU backend's own fork-join pool. {@link #forEach} splits a range of independent tasks over
 * it; a call made from inside one of its own tasks runs inline, so nested parallel loops (a conv
 * calling the GEMM) never wait on themselves.
 */
final class WorkerPool {
    private final ForkJoinPool pool;
    private final int threads;

    WorkerPool(int threads) {
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("jkernels-cpu-" + t.getPoolIndex());
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
        pool.invoke(new Range(0, count, body));
    }

    void shutdown() {
        if (pool != null) pool.shutdown();
    }

    private static final class Range extends RecursiveAction {
        private final int from, to;
        private final IntConsumer body;

        Range(int from, int to, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.body = body;
        }

        @Override protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(from, mid, body), new Range(mid, to, body));
        }
    }
}
