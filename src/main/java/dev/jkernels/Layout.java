package dev.jkernels;

/**
 * How the dimensions of a tensor are to be read. Shapes are always given in storage order
 * (row-major, last dimension contiguous): an NHWC tensor has shape {@code [N, H, W, C]}.
 */
public enum Layout {
    /** Any tensor that is not an image batch: the shape is all there is. */
    PLAIN,
    /** 4-D image batch, shape {@code [N, C, H, W]} (PyTorch's default). */
    NCHW,
    /** 4-D image batch, shape {@code [N, H, W, C]} (TensorFlow/Keras's default). */
    NHWC;

    /** The layout a tensor of this rank gets when none is named: NCHW for 4-D, PLAIN otherwise. */
    public static Layout defaultFor(int rank) {
        return rank == 4 ? NCHW : PLAIN;
    }
}
