package dev.jkernels.nn;

import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;

/**
 * The mean over each whole image: ONNX GlobalAveragePool, PyTorch's {@code nn.AdaptiveAvgPool2d(1)},
 * Keras's {@code GlobalAveragePooling2D(keepdims=True)}. {@code [N, C, H, W]} → {@code [N, C, 1, 1]}
 * (add a {@link Flatten} for {@code [N, C]}).
 */
public final class GlobalAvgPool2d extends PoolLayer {
    public GlobalAvgPool2d() { this(Layout.NCHW); }

    public GlobalAvgPool2d(Layout layout) {
        super(Pool2dSpec.globalAvg(layout), "GlobalAvgPool2d(" + (layout == Layout.NCHW ? "" : layout) + ")");
    }
}
