package dev.jkernels.graph;

import dev.jkernels.Shape;

/** A graph constant (an ONNX initialiser, a Constant node, or a weight made by a fusion pass): host floats and a shape. */
final class Constant {
    final String name;
    final Shape shape;
    final float[] data;

    Constant(String name, Shape shape, float[] data) {
        if (shape.elementCount() != data.length) {
            throw new IllegalArgumentException("constant '" + name + "': shape " + shape + " needs " + shape.elementCount() + " values, got " + data.length);
        }
        this.name = name;
        this.shape = shape;
        this.data = data;
    }

    long bytes() { return 4L * data.length; }
}
