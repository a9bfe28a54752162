package dev.jkernels.nn;

import dev.jkernels.AbstractBackend;
import dev.jkernels.Backend;
import dev.jkernels.Tensor;

import java.util.Arrays;

/**
 * A layer's weight and optional bias: the host copy (authoritative, PyTorch layout) and at most one
 * uploaded copy on a backend. Shared by {@link Linear} and {@link Conv2d}.
 */
final class Parameters {
    private final String owner;
    private final int[] weightShape;
    private final float[] weight;
    private final float[] bias; // null when the layer has no bias
    private Backend backend;
    private Tensor weightTensor;
    private Tensor biasTensor;

    Parameters(String owner, int[] weightShape, int biasLength, boolean hasBias) {
        this.owner = owner;
        this.weightShape = weightShape.clone();
        long n = 1;
        for (int d : weightShape) n = d > 0 && n <= Integer.MAX_VALUE ? n * d : Long.MAX_VALUE; // saturates: never wraps
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(owner + ": weight shape " + Arrays.toString(weightShape)
                    + " holds more than 2^31-1 floats, more than a Java array can");
        }
        this.weight = new float[(int) n];
        this.bias = hasBias ? new float[biasLength] : null;
    }

    /** Bumped by every change of the host weights: lets derived copies (a folded conv+BN) see they are stale. */
    private volatile long version;

    long version() { return version; }

    int[] weightShape() { return weightShape.clone(); }

    boolean hasBias() { return bias != null; }

    int biasLength() { return bias == null ? 0 : bias.length; }

    float[] weight() { return weight.clone(); }

    float[] bias() { return bias == null ? null : bias.clone(); }

    /** The host arrays themselves, for initialisers. Call {@link #refreshUpload()} after writing them. */
    float[] weightArray() { return weight; }

    float[] biasArray() { return bias; }

    synchronized void set(float[] newWeight, float[] newBias, String layoutName) {
        if (newWeight == null) throw new IllegalArgumentException(owner + ": weight must not be null");
        if (newWeight.length != weight.length) {
            throw new IllegalArgumentException(owner + ": weight " + layoutName + " " + Arrays.toString(weightShape)
                    + " needs " + weight.length + " floats, got " + newWeight.length);
        }
        if (bias == null) {
            if (newBias != null) {
                throw new IllegalArgumentException(owner + ": this layer was built without a bias, but a bias of "
                        + newBias.length + " floats was given");
            }
        } else {
            if (newBias == null) {
                throw new IllegalArgumentException(owner + ": bias [" + bias.length + "] expected, got null"
                        + " (build the layer with bias=false to have none)");
            }
            if (newBias.length != bias.length) {
                throw new IllegalArgumentException(owner + ": bias expected shape [" + bias.length + "], got ["
                        + newBias.length + "]");
            }
        }
        checkUploadWritable();
        System.arraycopy(newWeight, 0, weight, 0, weight.length);
        if (bias != null) System.arraycopy(newBias, 0, bias, 0, bias.length);
        refreshUpload();
    }

    /**
     * Throws, before the host weights change, when there is an uploaded copy that can no longer be
     * written (its backend or its tensors were closed): a failed set must change nothing.
     */
    synchronized void checkUploadWritable() {
        if (weightTensor == null) return;
        if (backend instanceof AbstractBackend ab && ab.isClosed()) {
            throw new IllegalStateException(owner + ": the uploaded weights' backend " + backend.name()
                    + " is closed; nothing was changed (close() the layer or call to(backend) with an open one first)");
        }
        weightTensor.ensureOpen(owner + " uploaded weight");
        if (biasTensor != null) biasTensor.ensureOpen(owner + " uploaded bias");
    }

    /** Rewrites the uploaded copy (if any) from the host arrays. */
    synchronized void refreshUpload() {
        version++;
        if (weightTensor != null) {
            weightTensor.copyFrom(weight);
            if (biasTensor != null) biasTensor.copyFrom(bias);
        }
    }

    synchronized void to(Backend target) {
        if (target == null) throw new IllegalArgumentException(owner + ": backend must not be null");
        if (target == backend && weightTensor != null && !weightTensor.isClosed()) return;
        Tensor w = target.tensor(weight, weightShape);
        Tensor b = null;
        try {
            if (bias != null) b = target.tensor(bias, bias.length);
        } catch (RuntimeException | Error e) {
            w.close();
            throw e;
        }
        close();
        backend = target;
        weightTensor = w;
        biasTensor = b;
    }

    /** The uploaded weight on {@code b}, or an exception saying where the weights are. */
    synchronized Tensor weightOn(Backend b) {
        checkOn(b);
        return weightTensor;
    }

    /** The uploaded bias on {@code b} (null when the layer has none). */
    synchronized Tensor biasOn(Backend b) {
        checkOn(b);
        return biasTensor;
    }

    synchronized Backend backend() { return weightTensor == null ? null : backend; }

    private void checkOn(Backend b) {
        if (weightTensor == null) {
            throw new IllegalStateException(owner + ": weights are not on any backend; call to(" + b.name()
                    + ") (or Sequential.to) first");
        }
        if (backend != b) {
            throw new IllegalStateException(owner + ": the input is on backend " + b.name() + " but the weights are on "
                    + backend.name() + "; call to(" + b.name() + ") first");
        }
    }

    synchronized void close() {
        Tensor w = weightTensor, b = biasTensor;
        weightTensor = null;
        biasTensor = null;
        backend = null;
        try {
            if (w != null) w.close();
        } finally {
            if (b != null) b.close();
        }
    }
}
