package dev.jkernels.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An ONNX {@code GraphProto}: nodes in file order, initialisers, inputs, outputs, value-info. Immutable. */
public final class OnnxGraph {

    /**
     * An ONNX {@code ValueInfoProto} for a tensor: name, element type and shape. A dimension is
     * known ({@code dims[i] >= 0}) or symbolic ({@code dims[i] == -1}, its name in {@code dimNames[i]});
     * {@code dims} is null when the shape is not given at all.
     */
    public static final class ValueInfo {
        private final String name;
        private final int elemType;
        private final long[] dims;
        private final String[] dimNames;

        ValueInfo(String name, int elemType, long[] dims, String[] dimNames) {
            this.name = name;
            this.elemType = elemType;
            this.dims = dims;
            this.dimNames = dimNames;
        }

        public String name() { return name; }

        public int elemType() { return elemType; }

        public boolean hasShape() { return dims != null; }

        public long[] dims() { return dims == null ? null : dims.clone(); }

        public String dimName(int i) { return dimNames[i]; }

        public String shapeString() {
            if (dims == null) return "[?]";
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < dims.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(dims[i] >= 0 ? Long.toString(dims[i]) : dimNames[i] == null || dimNames[i].isEmpty() ? "?" : dimNames[i]);
            }
            return sb.append(']').toString();
        }

        @Override public String toString() { return name + " " + OnnxTensor.typeName(elemType) + shapeString(); }
    }

    private final String name;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<ValueInfo> inputs, outputs, valueInfo;

    OnnxGraph(String name, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers,
              List<ValueInfo> inputs, List<ValueInfo> outputs, List<ValueInfo> valueInfo) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.valueInfo = List.copyOf(valueInfo);
    }

    public String name() { return name; }

    public List<OnnxNode> nodes() { return nodes; }

    public Map<String, OnnxTensor> initializers() { return initializers; }

    /** All declared graph inputs (older exporters list the initialisers here too). */
    public List<ValueInfo> inputs() { return inputs; }

    public List<ValueInfo> outputs() { return outputs; }

    public List<ValueInfo> valueInfo() { return valueInfo; }
}
