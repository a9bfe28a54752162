package dev.jkernels.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An ONNX {@code NodeProto}: op type, domain, input and output value names, attributes. Immutable. */
public final class OnnxNode {

    /** An ONNX {@code AttributeProto} of one of the kinds the ops here use. */
    public static final class Attribute {
        public static final int FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7, STRINGS = 8;

        private final String name;
        private final int type;
        private final float f;
        private final long i;
        private final String s;
        private final OnnxTensor t;
        private final float[] floats;
        private final long[] ints;

        Attribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints) {
            this.name = name;
            this.type = type;
            this.f = f;
            this.i = i;
            this.s = s;
            this.t = t;
            this.floats = floats;
            this.ints = ints;
        }

        public String name() { return name; }

        public int type() { return type; }

        public float f() { return f; }

        public long i() { return i; }

        public String s() { return s; }

        public OnnxTensor t() { return t; }

        public float[] floats() { return floats.clone(); }

        public long[] ints() { return ints.clone(); }

        static String typeName(int type) {
            switch (type) {
                case FLOAT: return "FLOAT";
                case INT: return "INT";
                case STRING: return "STRING";
                case TENSOR: return "TENSOR";
                case GRAPH: return "GRAPH";
                case FLOATS: return "FLOATS";
                case INTS: return "INTS";
                case STRINGS: return "STRINGS";
                default: return "type " + type;
            }
        }
    }

    private final String name;
    private final String opType;
    private final String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Attribute> attributes;

    OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
        this.name = name;
        this.opType = opType;
        this.domain = domain;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** The node's name; ONNX allows it to be empty, then {@code <opType>#<index>} is used. */
    public String name() { return name; }

    public String opType() { return opType; }

    /** "" for the default ONNX domain. */
    public String domain() { return domain; }

    /** Input value names; "" marks an omitted optional input. */
    public List<String> inputs() { return inputs; }

    public List<String> outputs() { return outputs; }

    public Map<String, Attribute> attributes() { return attributes; }

    /** "node 'conv1' (Conv)": how errors name a node. */
    public String describe() { return "node '" + name + "' (" + opType + ")"; }

    private Attribute attr(String key, int type) {
        Attribute a = attributes.get(key);
        if (a == null) return null;
        if (a.type != type) {
            throw new OnnxFormatException(describe() + ": attribute '" + key + "' is " + Attribute.typeName(a.type)
                    + ", expected " + Attribute.typeName(type));
        }
        return a;
    }

    public boolean has(String key) { return attributes.containsKey(key); }

    public long getInt(String key, long dflt) {
        Attribute a = attr(key, Attribute.INT);
        return a == null ? dflt : a.i;
    }

    public float getFloat(String key, float dflt) {
        Attribute a = attr(key, Attribute.FLOAT);
        return a == null ? dflt : a.f;
    }

    public String getString(String key, String dflt) {
        Attribute a = attr(key, Attribute.STRING);
        return a == null ? dflt : a.s;
    }

    public long[] getInts(String key, long[] dflt) {
        Attribute a = attr(key, Attribute.INTS);
        return a == null ? dflt : a.ints.clone();
    }

    public float[] getFloats(String key, float[] dflt) {
        Attribute a = attr(key, Attribute.FLOATS);
        return a == null ? dflt : a.floats.clone();
    }

    public OnnxTensor getTensor(String key) {
        Attribute a = attr(key, Attribute.TENSOR);
        return a == null ? null : a.t;
    }

    @Override public String toString() {
        return describe() + " " + inputs + " → " + outputs;
    }
}
