package dev.jkernels.cpu;

import dev.jkernels.Activation;

/**
 * Activations over array ranges, on the Vector API form ({@link VectorActivations}) when the backend
 * runs the Vector API and the kind has one, else on the scalar definition in {@link Activation}.
 * This class names no Vector API type, so it loads (and falls back) on a JVM without
 * {@code jdk.incubator.vector}; {@code vector} must be false there.
 */
final class ActivationRanges {
    private ActivationRanges() {}

    /** y[i] = f(x[i]) for from ≤ i < to; {@code y} may be {@code x}. */
    static void forward(Activation act, float[] x, float[] y, int from, int to, boolean vector) {
        if (vector && VectorActivations.forward(act, x, y, from, to)) return;
        act.apply(x, y, from, to);
    }

    /** dx[i] = dy[i]·f′(saved[i]) for from ≤ i < to. */
    static void backward(Activation act, float[] saved, float[] dy, float[] dx, int from, int to, boolean vector) {
        if (vector && VectorActivations.backward(act, saved, dy, dx, from, to)) return;
        for (int i = from; i < to; i++) dx[i] = act.backward(saved[i], dy[i]);
    }
}
