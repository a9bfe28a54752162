package dev.jkernels.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small ONNX models for the tests: the protobuf wire format of ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto and ValueInfoProto (field numbers from onnx.proto), so the
 * reader is tested against bytes made independently of it (and against files the official onnx
 * package wrote: ResNet-18, the Fashion-MNIST model, the ONNX node test suite).
 */
public final class OnnxWriter {

    /** A protobuf message being built. */
    public static final class Msg {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Msg varint(int field, long v) {
            tag(field, 0);
            raw(v);
            return this;
        }

        Msg fixed32(int field, float f) {
            tag(field, 5);
            int b = Float.floatToIntBits(f);
            for (int i = 0; i < 4; i++) out.write(b >>> (8 * i));
            return this;
        }

        Msg bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Msg string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

        Msg msg(int field, Msg m) { return bytes(field, m.toBytes()); }

        Msg packedFloats(int field, float[] f) {
            ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : f) b.putFloat(v);
            return bytes(field, b.array());
        }

        Msg packedVarints(int field, long[] v) {
            Msg m = new Msg();
            for (long x : v) m.raw(x);
            return bytes(field, m.toBytes());
        }

        private void tag(int field, int wire) { raw(((long) field << 3) | wire); }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        public byte[] toBytes() { return out.toByteArray(); }
    }

    // ---- pieces --------------------------------------------------------------------------------

    public static Msg floatTensor(String name, float[] data, long... dims) {
        Msg t = new Msg().packedVarints(1, dims).varint(2, OnnxTensor.FLOAT).string(8, name);
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) b.putFloat(v);
        return t.bytes(9, b.array());   // raw_data
    }

    /** The same tensor with its values in the typed field float_data. */
    public static Msg floatTensorTyped(String name, float[] data, long... dims) {
        return new Msg().packedVarints(1, dims).varint(2, OnnxTensor.FLOAT).string(8, name).packedFloats(4, data);
    }

    public static Msg int64Tensor(String name, long[] data, long... dims) {
        return new Msg().packedVarints(1, dims).varint(2, OnnxTensor.INT64).string(8, name).packedVarints(7, data);
    }

    /** A tensor whose data is in an external file. */
    public static Msg externalTensor(String name, String location, long offset, long length, long... dims) {
        Msg t = new Msg().packedVarints(1, dims).varint(2, OnnxTensor.FLOAT).string(8, name);
        t.msg(13, new Msg().string(1, "location").string(2, location));
        t.msg(13, new Msg().string(1, "offset").string(2, Long.toString(offset)));
        t.msg(13, new Msg().string(1, "length").string(2, Long.toString(length)));
        return t.varint(14, 1);
    }

    public static Msg attrInt(String name, long v) { return new Msg().string(1, name).varint(20, 2).varint(3, v); }

    public static Msg attrFloat(String name, float v) { return new Msg().string(1, name).varint(20, 1).fixed32(2, v); }

    public static Msg attrString(String name, String v) { return new Msg().string(1, name).varint(20, 3).string(4, v); }

    public static Msg attrInts(String name, long... v) { return new Msg().string(1, name).varint(20, 7).packedVarints(8, v); }

    public static Msg node(String name, String op, String[] inputs, String[] outputs, Msg... attrs) {
        Msg n = new Msg();
        for (String i : inputs) n.string(1, i);
        for (String o : outputs) n.string(2, o);
        n.string(3, name).string(4, op);
        for (Msg a : attrs) n.msg(5, a);
        return n;
    }

    /** A float tensor value-info; a dim of -1 is written as the symbolic "N". */
    public static Msg valueInfo(String name, long... dims) {
        Msg shape = new Msg();
        for (long d : dims) shape.msg(1, d < 0 ? new Msg().string(2, "N") : new Msg().varint(1, d));
        Msg tensor = new Msg().varint(1, OnnxTensor.FLOAT).msg(2, shape);
        return new Msg().string(1, name).msg(2, new Msg().msg(1, tensor));
    }

    /** A model builder. */
    public static final class Model {
        private final List<Msg> nodes = new ArrayList<>(), inits = new ArrayList<>(), inputs = new ArrayList<>(), outputs = new ArrayList<>();
        private long opset = 13;

        public Model opset(long v) { opset = v; return this; }

        public Model node(Msg n) { nodes.add(n); return this; }

        public Model init(Msg t) { inits.add(t); return this; }

        public Model input(String name, long... dims) { inputs.add(valueInfo(name, dims)); return this; }

        public Model output(String name, long... dims) { outputs.add(valueInfo(name, dims)); return this; }

        public byte[] toBytes() {
            Msg g = new Msg();
            for (Msg n : nodes) g.msg(1, n);
            g.string(2, "test");
            for (Msg t : inits) g.msg(5, t);
            for (Msg i : inputs) g.msg(11, i);
            for (Msg o : outputs) g.msg(12, o);
            return new Msg().varint(1, 8).string(2, "jkernels-test").msg(7, g).msg(8, new Msg().string(1, "").varint(2, opset)).toBytes();
        }
    }
}
