package dev.jkernels;

import java.nio.FloatBuffer;

/**
 * Where tensors live and ops run. Every op validates all of its arguments (nulls, closed tensors,
 * tensors of another backend, ranks, shapes, aliasing) before doing any work, so a rejected call
 * leaves every tensor as it was; the messages name the argument and the expected and actual shapes.
 *
 * <p>Ops that write into an output tensor come in two forms: one taking the output, and one that
 * allocates and returns it (the caller owns and closes it).
 *
 * <p>Get one from {@link Backends}. A backend is safe to use from many threads at once.
 */
public interface Backend extends AutoCloseable {

    BackendKind kind();

    /** A short name: {@code cpu}, {@code cuda:0}, {@code emulated}. */
    String name();

    /** A one-line description for logs: device, mode, thread count. */
    String description();

    // ---- tensors -------------------------------------------------------------------------------

    /** A tensor of {@code shape} holding a copy of {@code data} (row-major); 4-D tensors are NCHW. */
    Tensor tensor(float[] data, int... shape);

    Tensor tensor(float[] data, Layout layout, int... shape);

    /** A tensor holding a copy of {@code data}'s remaining floats; the buffer's position is not moved. */
    Tensor tensor(FloatBuffer data, int... shape);

    Tensor tensor(FloatBuffer data, Layout layout, int... shape);

    /** A zero-filled tensor; 4-D tensors are NCHW. */
    Tensor zeros(int... shape);

    Tensor zeros(Layout layout, int... shape);

    /** A copy of {@code source}, which may live on any backend: the explicit host ↔ device copy. */
    Tensor copyOf(Tensor source);

    /**
     * Copies {@code src} (any backend) into {@code dst} (this backend); same shape, not the same
     * tensor. Within one GPU backend this is a device-to-device copy.
     */
    void copy(Tensor src, Tensor dst);

    // ---- ops -----------------------------------------------------------------------------------

    /**
     * {@code c = act(alpha·op(a)·op(b) + beta·c + bias)}; see {@link GemmSpec} for the shapes.
     * {@code bias} must be given exactly when {@code spec.hasBias()}. {@code c} may not alias
     * {@code a}, {@code b} or {@code bias}.
     */
    void gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias, Tensor c);

    /** As {@link #gemm(GemmSpec, Tensor, Tensor, Tensor, Tensor)} into a new {@code [M, N]} tensor; needs beta = 0. */
    Tensor gemm(GemmSpec spec, Tensor a, Tensor b, Tensor bias);

    /**
     * 2-D convolution; see {@link Conv2dSpec} for the shapes. {@code bias} must be given exactly
     * when {@code spec.hasBias()}. The output may not alias an input.
     */
    void conv2d(Conv2dSpec spec, Tensor input, Tensor filters, Tensor bias, Tensor output);

    Tensor conv2d(Conv2dSpec spec, Tensor input, Tensor filters, Tensor bias);

    /**
     * The fused path: {@code output = act(conv2d(input) + bias)} in one pass. Equal, within FP32
     * rounding, to {@link #conv2d} followed by {@link #activation} (the two-launch path).
     */
    void conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters, Tensor bias, Tensor output);

    Tensor conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters, Tensor bias);

    /** {@code y = f(x)} element-wise; {@code y} may be {@code x} (in place). */
    void activation(Activation activation, Tensor x, Tensor y);

    Tensor activation(Activation activation, Tensor x);

    /**
     * {@code dx = dy · f′}, where f′ is computed from {@code saved}: the forward input x or the
     * forward output y, as {@link Activation.Kind#backwardInput()} says for the activation.
     * {@code dx} may be {@code dy} (in place).
     */
    void activationBackward(Activation activation, Tensor saved, Tensor dy, Tensor dx);

    // ---- CNN ops (docs/cnn-ops.md) ----------------------------------------------------------------

    /**
     * {@code output = act(conv2d(input) + bias + residual)} in one pass: the residual add of a ResNet
     * block in the conv epilogue. {@code residual} has the output's shape and layout (or is null: then
     * this is {@link #conv2dActivation(Conv2dSpec, Activation, Tensor, Tensor, Tensor, Tensor)}); it may
     * not be the output tensor.
     */
    void conv2dActivation(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters, Tensor bias,
                          Tensor residual, Tensor output);

    /** As the form above, into a new tensor (named apart: its arity clashes with the form without residual). */
    Tensor conv2dActivationResidual(Conv2dSpec spec, Activation activation, Tensor input, Tensor filters, Tensor bias,
                                    Tensor residual);

    /** Max, average, global or adaptive pooling; see {@link Pool2dSpec}. The output may not alias the input. */
    void pool2d(Pool2dSpec spec, Tensor input, Tensor output);

    Tensor pool2d(Pool2dSpec spec, Tensor input);

    /**
     * Batch normalisation in inference: {@code y = (x − mean[c]) / sqrt(variance[c] + epsilon) · gamma[c] + beta[c]}
     * over the channel axis (1, or 3 for an NHWC tensor) of an input of rank ≥ 2. {@code gamma} and
     * {@code beta} may be null (1 and 0); {@code output} may be {@code input}.
     */
    void batchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon, Tensor output);

    Tensor batchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float epsilon);

    /** Softmax along {@code axis} (negative: from the end), max-subtracted; {@code y} may be {@code x}. */
    void softmax(Tensor x, int axis, Tensor y);

    Tensor softmax(Tensor x, int axis);

    /** {@code log(softmax(x))} along {@code axis}, computed as {@code x − max − log Σ exp(x − max)}. */
    void logSoftmax(Tensor x, int axis, Tensor y);

    Tensor logSoftmax(Tensor x, int axis);

    /**
     * {@code out = a ∘ b} element-wise, one operand broadcast into the other's shape (see
     * docs/cnn-ops.md: its dimensions other than 1 form one run equal to the other's). {@code out}
     * has the larger shape; it may be whichever operand has that shape.
     */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    default void add(Tensor a, Tensor b, Tensor out) { binary(BinaryOp.ADD, a, b, out); }

    default Tensor add(Tensor a, Tensor b) { return binary(BinaryOp.ADD, a, b); }

    default void multiply(Tensor a, Tensor b, Tensor out) { binary(BinaryOp.MULTIPLY, a, b, out); }

    default Tensor multiply(Tensor a, Tensor b) { return binary(BinaryOp.MULTIPLY, a, b); }

    /**
     * Concatenates {@code inputs} (same rank and layout, equal in every dimension but {@code axis})
     * along {@code axis} (negative: from the end). The output may not alias an input.
     */
    void concat(int axis, Tensor[] inputs, Tensor output);

    Tensor concat(int axis, Tensor... inputs);

    // ---- precision (docs/precision.md) --------------------------------------------------------------

    /**
     * The precision of a GEMM whose spec leaves it unset: PyTorch's
     * {@code torch.backends.cuda.matmul.allow_tf32} (TF32 when true). FP32 unless
     * {@value Precision#MATMUL_PROPERTY} / {@value Precision#MATMUL_ENV} or {@link #setDefaultMatmulPrecision} says otherwise.
     */
    Precision defaultMatmulPrecision();

    /**
     * The precision of a conv2d whose spec leaves it unset: PyTorch's {@code torch.backends.cudnn.allow_tf32}
     * (true by default in PyTorch: set TF32 here to match it). FP32 unless
     * {@value Precision#CONV_PROPERTY} / {@value Precision#CONV_ENV} or {@link #setDefaultConvPrecision} says otherwise.
     */
    Precision defaultConvPrecision();

    /** Sets {@link #defaultMatmulPrecision()} for the ops issued after this call. */
    void setDefaultMatmulPrecision(Precision precision);

    /** Sets {@link #defaultConvPrecision()} for the ops issued after this call. */
    void setDefaultConvPrecision(Precision precision);

    /** Waits until every op issued so far has finished (a no-op where ops are synchronous). */
    void synchronize();

    /** Releases the backend's own resources (context, workspaces). Tensors are closed by their owners. */
    @Override
    void close();
}
