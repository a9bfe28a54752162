package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

import java.util.Arrays;

/**
 * PyTorch's {@code nn.BatchNorm2d(num_features, eps=1e-5)} in inference (eval) mode:
 * {@code y = (x − running_mean[c]) / sqrt(running_var[c] + eps) · weight[c] + bias[c]}.
 *
 * <p>State in PyTorch's layout and names: {@code weight} (γ, starts at 1), {@code bias} (β, 0),
 * {@code running_mean} (0), {@code running_var} (1), each {@code [C]}; set them with
 * {@link #setState}. Input NCHW (default) or NHWC ({@link #BatchNorm2d(int, float, Layout)}, Keras's
 * {@code BatchNormalization(axis=-1)}).
 *
 * <p>Alone it is one {@code batchNorm} launch. In a {@link Sequential}, directly after a
 * {@link Conv2d} of as many output channels, it is folded into the convolution's weights and bias
 * ({@link FusionPolicy#AUTO}) and costs no launch at all.
 */
public final class BatchNorm2d implements Layer {
    private final int features;
    private final float eps;
    private final Layout layout;
    private final float[] weight, bias, mean, var;
    private volatile long version;
    private Backend backend;
    private Tensor[] uploaded; // weight, bias, mean, var

    public BatchNorm2d(int numFeatures) { this(numFeatures, 1e-5f, Layout.NCHW); }

    public BatchNorm2d(int numFeatures, float eps) { this(numFeatures, eps, Layout.NCHW); }

    public BatchNorm2d(int numFeatures, float eps, Layout layout) {
        if (numFeatures < 1) throw new IllegalArgumentException("BatchNorm2d: num_features must be >= 1, got " + numFeatures);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("BatchNorm2d: eps must be finite and >= 0, got " + eps);
        if (layout != Layout.NCHW && layout != Layout.NHWC) {
            throw new IllegalArgumentException("BatchNorm2d: layout must be NCHW or NHWC, got " + layout);
        }
        this.features = numFeatures;
        this.eps = eps;
        this.layout = layout;
        weight = new float[numFeatures];
        bias = new float[numFeatures];
        mean = new float[numFeatures];
        var = new float[numFeatures];
        Arrays.fill(weight, 1f);
        Arrays.fill(var, 1f);
    }

    public int numFeatures() { return features; }
    public float eps() { return eps; }
    public Layout layout() { return layout; }
    public float[] weight() { return weight.clone(); }
    public float[] bias() { return bias.clone(); }
    public float[] runningMean() { return mean.clone(); }
    public float[] runningVar() { return var.clone(); }

    /** Changes with every {@link #setState}: lets {@link Sequential} see that a fold is stale. */
    long version() { return version; }

    /**
     * Sets the state from PyTorch's {@code state_dict}: {@code weight}, {@code bias}, {@code running_mean},
     * {@code running_var}, each {@code [C]}; weight/bias may be null ({@code affine=False}: 1 and 0).
     * The variance must be finite and ≥ 0. Updates the uploaded copy.
     */
    public synchronized BatchNorm2d setState(float[] weight, float[] bias, float[] runningMean, float[] runningVar) {
        check("weight", weight, true);
        check("bias", bias, true);
        check("running_mean", runningMean, false);
        check("running_var", runningVar, false);
        for (int i = 0; i < features; i++) {
            if (!(runningVar[i] >= 0) || Float.isInfinite(runningVar[i])) {
                throw new IllegalArgumentException(name() + ": running_var must be finite and >= 0, got " + runningVar[i] + " at channel " + i);
            }
        }
        if (weight != null) System.arraycopy(weight, 0, this.weight, 0, features);
        else Arrays.fill(this.weight, 1f);
        if (bias != null) System.arraycopy(bias, 0, this.bias, 0, features);
        else Arrays.fill(this.bias, 0f);
        System.arraycopy(runningMean, 0, mean, 0, features);
        System.arraycopy(runningVar, 0, var, 0, features);
        version++;
        if (uploaded != null) {
            uploaded[0].copyFrom(this.weight);
            uploaded[1].copyFrom(this.bias);
            uploaded[2].copyFrom(mean);
            uploaded[3].copyFrom(var);
        }
        return this;
    }

    private void check(String what, float[] a, boolean nullable) {
        if (a == null) {
            if (nullable) return;
            throw new IllegalArgumentException(name() + ": " + what + " must not be null (expected [" + features + "])");
        }
        if (a.length != features) {
            throw new IllegalArgumentException(name() + ": " + what + " expected shape [" + features + "], got [" + a.length + "]");
        }
    }

    /** Per channel {@code {scale, shift}} with {@code y = x·scale + shift}, in double: what folding uses. */
    synchronized double[][] scaleShift() {
        double[] scale = new double[features], shift = new double[features];
        for (int c = 0; c < features; c++) {
            scale[c] = weight[c] / Math.sqrt((double) var[c] + eps);
            shift[c] = bias[c] - mean[c] * scale[c];
        }
        return new double[][] {scale, shift};
    }

    @Override public String name() {
        return "BatchNorm2d(" + features + (eps != 1e-5f ? ", eps=" + eps : "") + (layout != Layout.NCHW ? ", " + layout : "") + ")";
    }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException(name() + ": input shape must not be null");
        int axis = layout == Layout.NHWC ? 3 : 1;
        if (input.rank() != 4 || input.dim(axis) != features) {
            throw new IllegalArgumentException("expected input " + (layout == Layout.NHWC ? "[N, H, W, " + features + "] (NHWC)"
                    : "[N, " + features + ", H, W] (NCHW)") + ", got " + input);
        }
        return input;
    }

    @Override public Layout outputLayout(Layout input) {
        if (input != layout) throw new IllegalArgumentException("expected input layout " + layout + ", got " + input);
        return input;
    }

    @Override public Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        try {
            outputShape(input.shape());
            outputLayout(input.layout());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + ": " + e.getMessage(), e);
        }
        Tensor[] t = on(input.backend());
        return input.backend().batchNorm(input, t[0], t[1], t[2], t[3], eps);
    }

    /** In place on an intermediate the caller owns (Sequential without fusion). */
    void forwardInPlace(Tensor x) {
        Tensor[] t = on(x.backend());
        x.backend().batchNorm(x, t[0], t[1], t[2], t[3], eps, x);
    }

    private synchronized Tensor[] on(Backend b) {
        if (uploaded == null) throw new IllegalStateException(name() + ": state is not on any backend; call to(" + b.name() + ") first");
        if (backend != b) {
            throw new IllegalStateException(name() + ": the input is on backend " + b.name() + " but the state is on "
                    + backend.name() + "; call to(" + b.name() + ") first");
        }
        return uploaded;
    }

    @Override public synchronized BatchNorm2d to(Backend target) {
        if (target == null) throw new IllegalArgumentException(name() + ": backend must not be null");
        if (target == backend && uploaded != null && !uploaded[0].isClosed()) return this;
        Tensor[] t = new Tensor[4];
        float[][] src = {weight, bias, mean, var};
        try {
            for (int i = 0; i < 4; i++) t[i] = target.tensor(src[i], features);
        } catch (RuntimeException | Error e) {
            for (Tensor x : t) if (x != null) x.close();
            throw e;
        }
        close();
        backend = target;
        uploaded = t;
        return this;
    }

    @Override public synchronized void close() {
        Tensor[] t = uploaded;
        uploaded = null;
        backend = null;
        if (t != null) for (Tensor x : t) x.close();
    }

    @Override public String toString() { return name(); }
}
