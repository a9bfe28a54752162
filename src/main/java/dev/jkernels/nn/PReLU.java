package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Shape;

/**
 * PyTorch's {@code nn.PReLU(num_parameters, init)}: x &gt; 0 ? x : a·x with learnable slopes, one
 * shared ({@code num_parameters = 1}, the default) or one per channel. The slopes are this layer's
 * weight, shape {@code [num_parameters]} as PyTorch's {@code prelu.weight}; they start at
 * {@code init} (0.25, PyTorch's default). The channel is dimension 1 of a {@code [N, C, …]}
 * input (NCHW or 2-D), the last of an NHWC input; in a {@link Sequential} it is folded into the
 * preceding {@link Linear} (one slope per output feature) or {@link Conv2d} (per output channel).
 *
 * <p>Forward only: the slopes' gradient is not computed (no op of the backends needs it).
 */
public final class PReLU extends ActivationLayer {
    private final int numParameters;
    private final Parameters params;

    /** One shared slope starting at 0.25. */
    public PReLU() { this(1); }

    /** {@code num_parameters} slopes starting at 0.25. */
    public PReLU(int numParameters) { this(numParameters, Activation.PRELU_DEFAULT_SLOPE); }

    public PReLU(int numParameters, float init) {
        super(Activation.prelu(checkInit(numParameters, init)), "PReLU(num_parameters=" + numParameters + ")");
        this.numParameters = numParameters;
        this.params = new Parameters(name(), new int[] {numParameters}, 0, false);
        java.util.Arrays.fill(params.weightArray(), init);
    }

    private static float checkInit(int numParameters, float init) {
        if (numParameters < 1) throw new IllegalArgumentException("PReLU: num_parameters must be >= 1, got " + numParameters);
        if (!Float.isFinite(init)) throw new IllegalArgumentException("PReLU: init must be finite, got " + init);
        return init;
    }

    public int numParameters() { return numParameters; }

    /** A copy of the slopes, {@code [num_parameters]}. */
    public float[] weight() { return params.weight(); }

    /** Sets the slopes from PyTorch's layout, {@code prelu.weight.detach().numpy()}; updates the uploaded copy too. */
    public PReLU setWeights(float[] weight) {
        if (weight != null) {
            for (int i = 0; i < weight.length; i++) {
                if (!Float.isFinite(weight[i])) {
                    throw new IllegalArgumentException(name() + ": weight[" + i + "] must be finite, got " + weight[i]);
                }
            }
        }
        params.set(weight, null, "[num_parameters]");
        return this;
    }

    @Override Activation activationOn(Backend backend) {
        if (numParameters == 1) return Activation.prelu(params.weightArray()[0]);
        return Activation.prelu(params.weightOn(backend));
    }

    @Override String activationLabel() {
        return numParameters == 1 ? "prelu(" + params.weightArray()[0] + ")" : "prelu(" + numParameters + " slopes)";
    }

    @Override public Shape outputShape(Shape input) {
        Shape s = super.outputShape(input);
        if (numParameters > 1 && (input.rank() < 2 || (input.dim(1) != numParameters && input.dim(input.rank() - 1) != numParameters))) {
            throw new IllegalArgumentException(name() + ": expected an input [N, " + numParameters + ", …] (or NHWC [N, H, W, "
                    + numParameters + "]), got " + input);
        }
        return s;
    }

    /** Uploads the slopes (when there are several; a single slope travels as a launch parameter). */
    @Override public PReLU to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException(name() + ": backend must not be null");
        if (numParameters > 1) params.to(backend);
        return this;
    }

    /** The backend holding the uploaded slopes, or null. */
    public Backend backend() { return params.backend(); }

    @Override public void close() { params.close(); }
}
