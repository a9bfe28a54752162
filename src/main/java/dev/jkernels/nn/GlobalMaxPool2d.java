package dev.jkernels.nn;

import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;

/** The max over each whole image: ONNX GlobalMaxPool, {@code nn.AdaptiveMaxPool2d(1)}. */
public final class GlobalMaxPool2d extends PoolLayer {
    public GlobalMaxPool2d() { this(Layout.NCHW); }

    public GlobalMaxPool2d(Layout layout) {
        super(Pool2dSpec.globalMax(layout), "GlobalMaxPool2d(" + (layout == Layout.NCHW ? "" : layout) + ")");
    }
}
