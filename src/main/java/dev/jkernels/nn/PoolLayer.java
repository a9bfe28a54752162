package dev.jkernels.nn;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * A pooling layer: one {@link Pool2dSpec}, no weights, one {@code pool2d} launch. The named
 * subclasses ({@link MaxPool2d}, {@link AvgPool2d}, {@link GlobalAvgPool2d}, {@link GlobalMaxPool2d},
 * {@link AdaptiveAvgPool2d}) read like PyTorch.
 */
public abstract class PoolLayer implements Layer {
    private final Pool2dSpec spec;
    private final String name;

    PoolLayer(Pool2dSpec spec, String name) {
        if (spec == null) throw new IllegalArgumentException(name + ": spec must not be null");
        this.spec = spec;
        this.name = name;
    }

    public Pool2dSpec spec() { return spec; }

    public Layout layout() { return spec.layout(); }

    @Override public String name() { return name; }

    @Override public Shape outputShape(Shape input) {
        if (input == null) throw new IllegalArgumentException(name + ": input shape must not be null");
        return Shape.of(spec.geometry(input).outputDims());
    }

    @Override public Layout outputLayout(Layout input) {
        if (input != spec.layout()) {
            throw new IllegalArgumentException("expected input layout " + spec.layout() + ", got " + input
                    + " (build the layer with layout(" + input + "))");
        }
        return input;
    }

    @Override public Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException(name + ": input must not be null");
        input.ensureOpen("input");
        try {
            return input.backend().pool2d(spec, input);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    @Override public Layer to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException(name + ": backend must not be null");
        return this;
    }

    @Override public void close() {}

    @Override public String toString() { return name; }

    static String describe(String type, Pool2dSpec s) {
        StringBuilder sb = new StringBuilder(type).append('(').append(s.kernelH()).append('x').append(s.kernelW());
        if (s.strideH() != s.kernelH() || s.strideW() != s.kernelW()) sb.append(", stride=").append(s.strideH()).append('x').append(s.strideW());
        if (!s.padding().equals(dev.jkernels.Padding.valid())) sb.append(", padding=").append(s.padding());
        if (s.dilationH() * s.dilationW() != 1) sb.append(", dilation=").append(s.dilationH()).append('x').append(s.dilationW());
        if (s.ceilMode()) sb.append(", ceil_mode");
        if (s.kind() == Pool2dSpec.Kind.AVG && !s.countIncludePad()) sb.append(", count_include_pad=false");
        if (s.layout() != Layout.NCHW) sb.append(", ").append(s.layout());
        return sb.append(')').toString();
    }
}
