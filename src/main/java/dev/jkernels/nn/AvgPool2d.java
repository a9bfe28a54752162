package dev.jkernels.nn;

import dev.jkernels.Pool2dSpec;

/**
 * PyTorch's {@code nn.AvgPool2d(kernel, stride=kernel, padding=0, ceil_mode=False,
 * count_include_pad=True)}; Keras's {@code AveragePooling2D} is {@code Pool2dSpec.avg(k)
 * .paddingSame().countIncludePad(false).layout(NHWC)}.
 */
public final class AvgPool2d extends PoolLayer {
    /** {@code nn.AvgPool2d(k)}. */
    public AvgPool2d(int kernel) { this(Pool2dSpec.avg(kernel).build()); }

    /** {@code nn.AvgPool2d(k, stride, padding)}. */
    public AvgPool2d(int kernel, int stride, int padding) { this(Pool2dSpec.avg(kernel).stride(stride).padding(padding).build()); }

    public AvgPool2d(Pool2dSpec spec) { super(check(spec), describe("AvgPool2d", spec)); }

    private static Pool2dSpec check(Pool2dSpec spec) {
        if (spec == null || spec.kind() != Pool2dSpec.Kind.AVG || spec.isGlobal() || spec.isAdaptive()) {
            throw new IllegalArgumentException("AvgPool2d: expected a window average-pooling spec (Pool2dSpec.avg(...)), got " + spec);
        }
        return spec;
    }
}
