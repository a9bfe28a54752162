package dev.jkernels.nn;

import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;

/**
 * PyTorch's {@code nn.AdaptiveAvgPool2d((outH, outW))}: output cell i covers input
 * {@code [floor(i·in/out), ceil((i+1)·in/out))} on each axis.
 */
public final class AdaptiveAvgPool2d extends PoolLayer {
    public AdaptiveAvgPool2d(int outputSize) { this(outputSize, outputSize, Layout.NCHW); }

    public AdaptiveAvgPool2d(int outH, int outW, Layout layout) {
        super(Pool2dSpec.adaptiveAvg(outH, outW, layout),
                "AdaptiveAvgPool2d(" + outH + "x" + outW + (layout == Layout.NCHW ? "" : ", " + layout) + ")");
    }
}
