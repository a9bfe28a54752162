package dev.jkernels.nn;

import dev.jkernels.Pool2dSpec;

/**
 * PyTorch's {@code nn.MaxPool2d(kernel, stride=kernel, padding=0, dilation=1, ceil_mode=False)},
 * Keras's {@code MaxPooling2D} (with {@code Pool2dSpec.max(k).paddingSame().layout(NHWC)}). A window
 * holding a NaN gives NaN.
 */
public final class MaxPool2d extends PoolLayer {
    /** {@code nn.MaxPool2d(k)}: stride k, no padding. */
    public MaxPool2d(int kernel) { this(Pool2dSpec.max(kernel).build()); }

    /** {@code nn.MaxPool2d(k, stride, padding)}. */
    public MaxPool2d(int kernel, int stride, int padding) { this(Pool2dSpec.max(kernel).stride(stride).padding(padding).build()); }

    /** Any max pooling spec ({@code Pool2dSpec.max(kH, kW)...build()}). */
    public MaxPool2d(Pool2dSpec spec) { super(check(spec), describe("MaxPool2d", spec)); }

    private static Pool2dSpec check(Pool2dSpec spec) {
        if (spec == null || spec.kind() != Pool2dSpec.Kind.MAX || spec.isGlobal() || spec.isAdaptive()) {
            throw new IllegalArgumentException("MaxPool2d: expected a window max-pooling spec (Pool2dSpec.max(...)), got " + spec);
        }
        return spec;
    }
}
