package dev.jkernels.cpu;

/**
 * Batch norm (inference) and softmax on the CPU backend.
 *
 * <p>Batch norm: per channel {@code scale = γ/sqrt(var + ε)} and {@code shift = β − mean·scale}
 * (computed once, in double), then {@code y = x·scale + shift} over contiguous runs.
 *
 * <p>Softmax, the input seen as {@code [outer, length, inner]}: for inner = 1 (last axis) one row at
 * a time, max then Σ exp(x − max) in double, then the write; for inner > 1 (the channel axis of
 * NCHW) the max and sum run over whole inner-length rows at once, so every loop is contiguous. A NaN
 * makes its slice NaN (the max takes it, and x − NaN is NaN), as in PyTorch.
 */
final class CpuNormalization {
    private CpuNormalization() {}

    static void batchNorm(float[] x, float[] y, float[] gamma, float[] beta, float[] mean, float[] var, float eps,
                          int channels, long inner, WorkerPool pool) {
        float[] scale = new float[channels], shift = new float[channels];
        for (int c = 0; c < channels; c++) {
            double s = (gamma == null ? 1.0 : gamma[c]) / Math.sqrt((double) var[c] + eps);
            scale[c] = (float) s;
            shift[c] = (float) ((beta == null ? 0.0 : beta[c]) - mean[c] * s);
        }
        int n = x.length;
        if (inner == 1) {
            // [outer, C]: rows of C channels.
            int rows = n / channels;
            int perTask = Math.max(1, (1 << 14) / channels);
            pool.forEach((rows + perTask - 1) / perTask, t -> {
                for (int r = t * perTask; r < Math.min(rows, (t + 1) * perTask); r++) {
                    int base = r * channels;
                    for (int c = 0; c < channels; c++) y[base + c] = x[base + c] * scale[c] + shift[c];
                }
            });
        } else {
            int in = (int) inner;
            int blocks = n / in; // (outer, channel) runs of `inner` contiguous elements
            int perTask = Math.max(1, (1 << 14) / in);
            pool.forEach((blocks + perTask - 1) / perTask, t -> {
                for (int b = t * perTask; b < Math.min(blocks, (t + 1) * perTask); b++) {
                    int c = b % channels, base = b * in;
                    float sc = scale[c], sh = shift[c];
                    for (int i = 0; i < in; i++) y[base + i] = x[base + i] * sc + sh;
                }
            });
        }
    }

    static void softmax(float[] x, float[] y, long outer, int length, long inner, boolean log, WorkerPool pool) {
        if (inner == 1) {
            int rows = (int) outer;
            int perTask = Math.max(1, (1 << 14) / length);
            pool.forEach((rows + perTask - 1) / perTask, t -> {
                for (int r = t * perTask; r < Math.min(rows, (t + 1) * perTask); r++) row(x, y, r * length, length, log);
            });
        } else {
            int in = (int) inner;
            // Tasks: (outer, chunk of inner columns).
            int chunk = Math.min(in, 1024);
            int chunks = (in + chunk - 1) / chunk;
            pool.forEach((int) outer * chunks, t -> {
                int o = t / chunks, from = (t % chunks) * chunk, to = Math.min(in, from + chunk);
                columns(x, y, (long) o * length * in, length, in, from, to, log);
            });
        }
    }

    private static void row(float[] x, float[] y, int base, int length, boolean log) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            float v = x[base + i];
            if (v > m || v != v) m = v;
        }
        double sum = 0;
        for (int i = 0; i < length; i++) sum += Math.exp(x[base + i] - m);
        if (log) {
            float ls = (float) Math.log(sum);
            for (int i = 0; i < length; i++) y[base + i] = x[base + i] - m - ls;
        } else {
            double inv = 1 / sum;
            for (int i = 0; i < length; i++) y[base + i] = (float) (Math.exp(x[base + i] - m) * inv);
        }
    }

    private static void columns(float[] x, float[] y, long base, int length, int inner, int from, int to, boolean log) {
        int w = to - from;
        float[] m = new float[w];
        double[] s = new double[w];
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        for (int l = 0; l < length; l++) {
            int off = (int) (base + (long) l * inner) + from;
            for (int i = 0; i < w; i++) {
                float v = x[off + i];
                if (v > m[i] || v != v) m[i] = v;
            }
        }
        for (int l = 0; l < length; l++) {
            int off = (int) (base + (long) l * inner) + from;
            for (int i = 0; i < w; i++) s[i] += Math.exp(x[off + i] - m[i]);
        }
        for (int l = 0; l < length; l++) {
            int off = (int) (base + (long) l * inner) + from;
            if (log) {
                for (int i = 0; i < w; i++) y[off + i] = (float) (x[off + i] - m[i] - Math.log(s[i]));
            } else {
                for (int i = 0; i < w; i++) y[off + i] = (float) (Math.exp(x[off + i] - m[i]) / s[i]);
            }
        }
    }
}
