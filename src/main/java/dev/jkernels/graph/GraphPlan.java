package dev.jkernels.graph;

import dev.jkernels.Shape;

import java.util.List;

/**
 * A graph's execution plan for given input shapes: the steps in topological order, with their shapes,
 * what was fused, which steps run in place or are views, when each intermediate is freed, and the
 * peak memory of the intermediates. Immutable; made by {@link Graph#plan}.
 */
public final class GraphPlan {

    /** One step: one op (fused or not) and the ONNX nodes it covers. */
    public static final class Step {
        private final String op, onnxNodes, opTypes, operands;
        private final int launches;
        private final boolean inPlace, view;
        private final Shape output;
        private final List<String> frees;
        final Node node;
        final Shape[] inShapes;
        final int[] freeRoots;

        Step(Node node, String op, String operands, int launches, boolean inPlace, Shape[] inShapes, Shape output, List<String> frees, int[] freeRoots) {
            this.node = node;
            this.op = op;
            this.onnxNodes = node.source;
            this.opTypes = node.opTypes;
            this.operands = operands;
            this.launches = launches;
            this.inPlace = inPlace;
            this.view = node.isView();
            this.inShapes = inShapes;
            this.output = output;
            this.frees = List.copyOf(frees);
            this.freeRoots = freeRoots;
        }

        /** The backend op, e.g. {@code conv2dActivation(relu, bias, residual)}. */
        public String op() { return op; }

        /** The ONNX node names this step covers, joined with '+'. */
        public String onnxNodes() { return onnxNodes; }

        /** Their op types, joined with '+': "Conv+BatchNormalization+Add+Relu" for a fused ResNet block end. */
        public String opTypes() { return opTypes; }

        /** True when more than one ONNX node runs in this step. */
        public boolean fused() { return opTypes.contains("+"); }

        public int launches() { return launches; }

        public boolean inPlace() { return inPlace; }

        /** True for a reshape/flatten/identity: no launch, the input's memory under a new shape. */
        public boolean view() { return view; }

        public Shape output() { return output; }

        /** Operand shapes as text. */
        public String operands() { return operands; }

        /** The intermediates whose memory is freed right after this step. */
        public List<String> frees() { return frees; }
    }

    private final List<Shape> inputs;
    private final List<Shape> outputs;
    private final List<Step> steps;
    private final long peakBytes, weightBytes;
    final int[] rootOf;
    final Shape[] shapes;

    GraphPlan(List<Shape> inputs, List<Shape> outputs, List<Step> steps, long peakBytes, long weightBytes, int[] rootOf, Shape[] shapes) {
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.steps = List.copyOf(steps);
        this.peakBytes = peakBytes;
        this.weightBytes = weightBytes;
        this.rootOf = rootOf;
        this.shapes = shapes;
    }

    public List<Shape> inputShapes() { return inputs; }

    public List<Shape> outputShapes() { return outputs; }

    public List<Step> steps() { return steps; }

    /** Kernel launches of one forward pass. */
    public int launches() {
        int n = 0;
        for (Step s : steps) n += s.launches;
        return n;
    }

    /**
     * The most memory the intermediates (every tensor a step writes, outputs included, the inputs and
     * weights not) hold at once in a forward pass, in bytes: an intermediate is freed as soon as its
     * last reader has run.
     */
    public long peakBytes() { return peakBytes; }

    /** The weights' memory on the backend (both the fused and the unfused graph's), in bytes. */
    public long weightBytes() { return weightBytes; }
}
