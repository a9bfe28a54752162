package dev.jkernels.cpu;

import dev.jkernels.BinaryOp;

/**
 * Binary element-wise ops with broadcasting, and concat, on the CPU backend.
 *
 * <p>Binary: {@code out[i] = big[i] ∘ small[(i / inner) % smallLength]}, walked as runs of
 * {@code inner} elements that share one small value (per-channel vectors of NCHW) or, for inner = 1,
 * as repeats of the whole small tensor (trailing broadcasts, same shape). Concat: one
 * {@code System.arraycopy} per (outer row, input).
 */
final class CpuElementwise {
    private static final int CHUNK = 1 << 15;

    private CpuElementwise() {}

    static void binary(BinaryOp op, float[] big, float[] small, long inner, long smallLength, float[] out, WorkerPool pool) {
        int n = big.length;
        boolean add = op == BinaryOp.ADD;
        if (inner == 1) {
            int len = (int) smallLength;
            if (len >= CHUNK || len == n) {
                pool.forEach((n + CHUNK - 1) / CHUNK, t -> {
                    int from = t * CHUNK, to = Math.min(n, from + CHUNK);
                    for (int i = from; i < to; i++) {
                        float s = small[i % len];
                        out[i] = add ? big[i] + s : big[i] * s;
                    }
                });
            } else {
                int reps = n / len;
                int perTask = Math.max(1, CHUNK / len);
                pool.forEach((reps + perTask - 1) / perTask, t -> {
                    for (int r = t * perTask; r < Math.min(reps, (t + 1) * perTask); r++) {
                        int base = r * len;
                        if (add) for (int j = 0; j < len; j++) out[base + j] = big[base + j] + small[j];
                        else for (int j = 0; j < len; j++) out[base + j] = big[base + j] * small[j];
                    }
                });
            }
        } else {
            int in = (int) inner, runs = n / in, len = (int) smallLength;
            int perTask = Math.max(1, CHUNK / in);
            pool.forEach((runs + perTask - 1) / perTask, t -> {
                for (int r = t * perTask; r < Math.min(runs, (t + 1) * perTask); r++) {
                    float s = small[r % len];
                    int base = r * in;
                    if (add) for (int j = 0; j < in; j++) out[base + j] = big[base + j] + s;
                    else for (int j = 0; j < in; j++) out[base + j] = big[base + j] * s;
                }
            });
        }
    }

    static void concat(float[][] inputs, long outer, long[] rows, float[] out, WorkerPool pool) {
        long total = 0;
        for (long r : rows) total += r;
        long[] offsets = new long[rows.length];
        for (int i = 1; i < rows.length; i++) offsets[i] = offsets[i - 1] + rows[i - 1];
        long rowTotal = total;
        pool.forEach((int) outer, o -> {
            for (int i = 0; i < inputs.length; i++) {
                System.arraycopy(inputs[i], (int) (o * rows[i]), out, (int) (o * rowTotal + offsets[i]), (int) rows[i]);
            }
        });
    }
}
