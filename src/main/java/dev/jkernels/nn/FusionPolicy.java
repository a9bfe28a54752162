package dev.jkernels.nn;

/** Whether {@link Sequential} folds activations into the GEMM/convolution launch before them. */
public enum FusionPolicy {
    /**
     * Fold: a {@link Linear} or {@link Conv2d} built with an activation runs as one launch (the GEMM
     * epilogue, or {@code conv2dActivation}); one built without, directly followed by an
     * {@link ActivationLayer}, takes that activation into the same launch. The default.
     */
    AUTO,
    /**
     * Never fold: every activation, including one a Linear or Conv2d was built with, is a launch of
     * its own after the GEMM/convolution (the two-launch path, for comparison and debugging).
     */
    NONE
}
