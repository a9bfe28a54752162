package dev.jkernels.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model file ({@code ModelProto}) as read by a small reader of the protobuf wire format: the
 * IR version, the opset imports, the producer, and the graph with its nodes, initialisers (float32,
 * double and integer; {@code raw_data}, typed fields or external data files), attributes and
 * value-info shapes. Fields outside that subset (doc strings, metadata, training info, functions) are
 * skipped. Reading touches no backend.
 *
 * <p>Errors are {@link OnnxFormatException}s: a file that is not ONNX, is truncated, or holds an
 * initialiser of an unsupported data type or the wrong size (named with the node that reads it).
 */
public final class OnnxModel {
    private final long irVersion;
    private final Map<String, Long> opsets;
    private final String producerName, producerVersion;
    private final OnnxGraph graph;
    private final Path source;

    private OnnxModel(long irVersion, Map<String, Long> opsets, String producerName, String producerVersion,
                      OnnxGraph graph, Path source) {
        this.irVersion = irVersion;
        this.opsets = Collections.unmodifiableMap(opsets);
        this.producerName = producerName;
        this.producerVersion = producerVersion;
        this.graph = graph;
        this.source = source;
    }

    public long irVersion() { return irVersion; }

    /** Opset version per domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() { return opsets; }

    /** The default domain's opset version (1 when none is imported, as the spec says). */
    public long opset() { return opsets.getOrDefault("", opsets.getOrDefault("ai.onnx", 1L)); }

    public String producerName() { return producerName; }

    public String producerVersion() { return producerVersion; }

    public OnnxGraph graph() { return graph; }

    /** The file read, or null when read from bytes. */
    public Path source() { return source; }

    /** Reads {@code file}; external data files are looked up next to it. */
    public static OnnxModel read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("onnx: file must not be null");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "not a regular file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new OnnxFormatException(file + ": " + size + " bytes; protobuf files are at most 2 GiB (large weights go in external data files)");
            }
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return parse(buf, file.toAbsolutePath().getParent(), file);
        }
    }

    /**
     * Reads a model from its bytes; {@code baseDir} is where external data files are looked up
     * (null: a model with external data is rejected).
     */
    public static OnnxModel read(byte[] bytes, Path baseDir) {
        if (bytes == null) throw new IllegalArgumentException("onnx: bytes must not be null");
        return parse(ByteBuffer.wrap(bytes), baseDir, null);
    }

    /** Reads one serialised {@code TensorProto} (the ONNX test suite's {@code input_0.pb} files). */
    public static OnnxTensor readTensor(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return new GraphParser(file.getFileName().toString(), file.toAbsolutePath().getParent())
                .tensor(new ProtoReader(ByteBuffer.wrap(b), file.getFileName().toString()));
    }

    private static OnnxModel parse(ByteBuffer buf, Path baseDir, Path file) {
        String where = file == null ? "onnx model" : file.getFileName().toString();
        if (!buf.hasRemaining()) throw new OnnxFormatException(where + ": not an ONNX model (empty file)");
        ProtoReader r = new ProtoReader(buf, where);
        long ir = -1;
        Map<String, Long> opsets = new LinkedHashMap<>();
        String producer = "", producerVersion = "";
        ByteBuffer graphBytes = null;
        try {
            while (r.hasMore()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 1: r.expect(tag, ProtoReader.VARINT, "ir_version"); ir = r.varint(); break;
                    case 2: r.expect(tag, ProtoReader.LEN, "producer_name"); producer = r.string(); break;
                    case 3: r.expect(tag, ProtoReader.LEN, "producer_version"); producerVersion = r.string(); break;
                    case 7: r.expect(tag, ProtoReader.LEN, "graph"); graphBytes = r.bytes(); break;
                    case 8: {
                        r.expect(tag, ProtoReader.LEN, "opset_import");
                        ProtoReader o = r.message(where + ": opset_import");
                        String domain = "";
                        long version = 1;
                        while (o.hasMore()) {
                            int t = o.tag();
                            if ((t >>> 3) == 1 && (t & 7) == ProtoReader.LEN) domain = o.string();
                            else if ((t >>> 3) == 2 && (t & 7) == ProtoReader.VARINT) version = o.varint();
                            else o.skip(t);
                        }
                        opsets.put(domain.equals("ai.onnx") ? "" : domain, version);
                        break;
                    }
                    default: r.skip(tag);
                }
            }
        } catch (OnnxFormatException e) {
            throw new OnnxFormatException(where + ": not an ONNX model, or a truncated one (" + e.getMessage() + ")", e);
        }
        if (graphBytes == null || ir < 1) {
            throw new OnnxFormatException(where + ": not an ONNX model (" + (graphBytes == null ? "no graph" : "no ir_version") + ")");
        }
        OnnxGraph graph = new GraphParser(where, baseDir).graph(new ProtoReader(graphBytes, where + ": graph"));
        return new OnnxModel(ir, opsets, producer, producerVersion, graph, file);
    }

    /** Parses a GraphProto and decodes its initialisers. */
    private static final class GraphParser {
        private final String where;
        private final Path baseDir;

        GraphParser(String where, Path baseDir) {
            this.where = where;
            this.baseDir = baseDir;
        }

        OnnxGraph graph(ProtoReader r) {
            String name = "";
            List<OnnxNode> nodes = new ArrayList<>();
            List<ByteBuffer> inits = new ArrayList<>();
            List<OnnxGraph.ValueInfo> inputs = new ArrayList<>(), outputs = new ArrayList<>(), info = new ArrayList<>();
            while (r.hasMore()) {
                int tag = r.tag();
                int field = tag >>> 3;
                if (field == 2 && (tag & 7) == ProtoReader.LEN) name = r.string();
                else if (field == 1 && (tag & 7) == ProtoReader.LEN) nodes.add(node(r.message(where + ": node #" + nodes.size()), nodes.size()));
                else if (field == 5 && (tag & 7) == ProtoReader.LEN) inits.add(r.bytes());
                else if (field == 15 && (tag & 7) == ProtoReader.LEN) {
                    throw new OnnxFormatException(where + ": sparse initialisers are not supported");
                } else if (field == 11 && (tag & 7) == ProtoReader.LEN) inputs.add(valueInfo(r.message(where + ": graph input")));
                else if (field == 12 && (tag & 7) == ProtoReader.LEN) outputs.add(valueInfo(r.message(where + ": graph output")));
                else if (field == 13 && (tag & 7) == ProtoReader.LEN) info.add(valueInfo(r.message(where + ": value_info")));
                else r.skip(tag);
            }
            Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
            for (ByteBuffer b : inits) {
                OnnxTensor t;
                try {
                    t = tensor(new ProtoReader(b, where + ": initialiser"));
                } catch (OnnxFormatException e) {
                    throw new OnnxFormatException(readerOf(nodes, e.getMessage()) + e.getMessage(), e);
                }
                initializers.put(t.name(), t);
            }
            return new OnnxGraph(name, nodes, initializers, inputs, outputs, info);
        }

        /** "node 'x' (Conv): " for the first node that reads the initialiser named in {@code message}. */
        private static String readerOf(List<OnnxNode> nodes, String message) {
            int q = message.indexOf("initialiser '");
            if (q < 0) return "";
            int end = message.indexOf('\'', q + 13);
            if (end < 0) return "";
            String init = message.substring(q + 13, end);
            for (OnnxNode n : nodes) {
                int i = n.inputs().indexOf(init);
                if (i >= 0) return n.describe() + ", input " + i + ": ";
            }
            return "";
        }

        OnnxNode node(ProtoReader r, int index) {
            String name = "", op = "", domain = "";
            List<String> in = new ArrayList<>(), out = new ArrayList<>();
            Map<String, OnnxNode.Attribute> attrs = new LinkedHashMap<>();
            List<ByteBuffer> attrBytes = new ArrayList<>();
            while (r.hasMore()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 1: r.expect(tag, ProtoReader.LEN, "node input"); in.add(r.string()); break;
                    case 2: r.expect(tag, ProtoReader.LEN, "node output"); out.add(r.string()); break;
                    case 3: r.expect(tag, ProtoReader.LEN, "node name"); name = r.string(); break;
                    case 4: r.expect(tag, ProtoReader.LEN, "op_type"); op = r.string(); break;
                    case 7: r.expect(tag, ProtoReader.LEN, "domain"); domain = r.string(); break;
                    case 5: r.expect(tag, ProtoReader.LEN, "attribute"); attrBytes.add(r.bytes()); break;
                    default: r.skip(tag);
                }
            }
            if (name.isEmpty()) name = (op.isEmpty() ? "node" : op) + "#" + index;
            if (op.isEmpty()) throw new OnnxFormatException(where + ": node '" + name + "' has no op_type");
            String who = "node '" + name + "' (" + op + ")";
            for (ByteBuffer b : attrBytes) {
                OnnxNode.Attribute a = attribute(new ProtoReader(b, where + ": " + who + " attribute"), who);
                attrs.put(a.name(), a);
            }
            return new OnnxNode(name, op, domain.equals("ai.onnx") ? "" : domain, in, out, attrs);
        }

        OnnxNode.Attribute attribute(ProtoReader r, String who) {
            String name = "", s = null;
            int type = 0;
            float f = 0;
            long i = 0;
            OnnxTensor t = null;
            ProtoReader.FloatList floats = new ProtoReader.FloatList();
            ProtoReader.LongList ints = new ProtoReader.LongList();
            boolean hasF = false, hasI = false, hasS = false, hasG = false;
            int strings = 0;
            while (r.hasMore()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 1: r.expect(tag, ProtoReader.LEN, "attribute name"); name = r.string(); break;
                    case 20: r.expect(tag, ProtoReader.VARINT, "attribute type"); type = (int) r.varint(); break;
                    case 2: r.expect(tag, ProtoReader.FIXED32, "attribute f"); f = Float.intBitsToFloat(r.fixed32()); hasF = true; break;
                    case 3: r.expect(tag, ProtoReader.VARINT, "attribute i"); i = r.varint(); hasI = true; break;
                    case 4: r.expect(tag, ProtoReader.LEN, "attribute s"); s = r.string(); hasS = true; break;
                    case 5: r.expect(tag, ProtoReader.LEN, "attribute t"); t = tensor(r.message(where + ": " + who + " attribute tensor")); break;
                    case 6: r.skip(tag); hasG = true; break;
                    case 7: r.floats(tag, floats); break;
                    case 8: r.int64s(tag, ints); break;
                    case 9: r.skip(tag); strings++; break;
                    default: r.skip(tag);
                }
            }
            if (type == 0) {   // IR version < 3 files omit the type: infer it from the field that is set
                type = t != null ? OnnxNode.Attribute.TENSOR : hasG ? OnnxNode.Attribute.GRAPH : hasS ? OnnxNode.Attribute.STRING
                        : hasF ? OnnxNode.Attribute.FLOAT : hasI ? OnnxNode.Attribute.INT : floats.size() > 0 ? OnnxNode.Attribute.FLOATS
                        : ints.size() > 0 ? OnnxNode.Attribute.INTS : strings > 0 ? OnnxNode.Attribute.STRINGS : 0;
            }
            return new OnnxNode.Attribute(name, type, f, i, s, t, floats.toArray(), ints.toArray());
        }

        OnnxGraph.ValueInfo valueInfo(ProtoReader r) {
            String name = "";
            int elem = 0;
            long[] dims = null;
            String[] names = null;
            while (r.hasMore()) {
                int tag = r.tag();
                if ((tag >>> 3) == 1 && (tag & 7) == ProtoReader.LEN) name = r.string();
                else if ((tag >>> 3) == 2 && (tag & 7) == ProtoReader.LEN) {
                    ProtoReader type = r.message(r.where());
                    while (type.hasMore()) {
                        int tt = type.tag();
                        if ((tt >>> 3) != 1 || (tt & 7) != ProtoReader.LEN) { type.skip(tt); continue; }
                        ProtoReader tensor = type.message(r.where());   // TypeProto.Tensor
                        while (tensor.hasMore()) {
                            int t3 = tensor.tag();
                            if ((t3 >>> 3) == 1 && (t3 & 7) == ProtoReader.VARINT) elem = (int) tensor.varint();
                            else if ((t3 >>> 3) == 2 && (t3 & 7) == ProtoReader.LEN) {
                                ProtoReader shape = tensor.message(r.where());
                                List<Long> d = new ArrayList<>();
                                List<String> dn = new ArrayList<>();
                                while (shape.hasMore()) {
                                    int t4 = shape.tag();
                                    if ((t4 >>> 3) != 1 || (t4 & 7) != ProtoReader.LEN) { shape.skip(t4); continue; }
                                    ProtoReader dim = shape.message(r.where());
                                    long v = -1;
                                    String p = null;
                                    while (dim.hasMore()) {
                                        int t5 = dim.tag();
                                        if ((t5 >>> 3) == 1 && (t5 & 7) == ProtoReader.VARINT) v = dim.varint();
                                        else if ((t5 >>> 3) == 2 && (t5 & 7) == ProtoReader.LEN) p = dim.string();
                                        else dim.skip(t5);
                                    }
                                    d.add(v);
                                    dn.add(p);
                                }
                                dims = new long[d.size()];
                                for (int k = 0; k < dims.length; k++) dims[k] = d.get(k);
                                names = dn.toArray(new String[0]);
                            } else tensor.skip(t3);
                        }
                    }
                } else r.skip(tag);
            }
            return new OnnxGraph.ValueInfo(name, elem, dims, names);
        }

        OnnxTensor tensor(ProtoReader r) {
            ProtoReader.LongList dims = new ProtoReader.LongList();
            int type = 0;
            String name = "";
            ByteBuffer raw = null;
            ProtoReader.FloatList floatData = new ProtoReader.FloatList();
            ProtoReader.LongList intData = new ProtoReader.LongList();
            Map<String, String> external = new LinkedHashMap<>();
            long location = 0;
            boolean segment = false;
            while (r.hasMore()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 1: r.int64s(tag, dims); break;
                    case 2: r.expect(tag, ProtoReader.VARINT, "data_type"); type = (int) r.varint(); break;
                    case 3: r.skip(tag); segment = true; break;
                    case 4: r.floats(tag, floatData); break;
                    case 5: r.int64s(tag, intData); break;   // int32_data: varints, read the same way
                    case 7: r.int64s(tag, intData); break;
                    case 8: r.expect(tag, ProtoReader.LEN, "tensor name"); name = r.string(); break;
                    case 9: r.expect(tag, ProtoReader.LEN, "raw_data"); raw = r.bytes(); break;
                    case 10: r.doubles(tag, floatData); break;
                    case 11: r.int64s(tag, intData); break;
                    case 13: {
                        r.expect(tag, ProtoReader.LEN, "external_data");
                        ProtoReader e = r.message(r.where());
                        String k = "", v = "";
                        while (e.hasMore()) {
                            int t = e.tag();
                            if ((t >>> 3) == 1 && (t & 7) == ProtoReader.LEN) k = e.string();
                            else if ((t >>> 3) == 2 && (t & 7) == ProtoReader.LEN) v = e.string();
                            else e.skip(t);
                        }
                        external.put(k, v);
                        break;
                    }
                    case 14: r.expect(tag, ProtoReader.VARINT, "data_location"); location = r.varint(); break;
                    default: r.skip(tag);
                }
            }
            String who = "initialiser '" + name + "'";
            if (segment) throw new OnnxFormatException(who + ": segmented tensors are not supported");
            long[] d = dims.toArray();
            long count = 1;
            for (long x : d) {
                if (x < 0) throw new OnnxFormatException(who + ": negative dimension " + x);
                count = Math.multiplyExact(count, x);
            }
            if (count > Integer.MAX_VALUE - 8) throw new OnnxFormatException(who + ": " + count + " elements, more than one Java array holds");
            int n = (int) count;
            int width = elementBytes(type);
            if (width == 0) {
                throw new OnnxFormatException(who + ": data type " + OnnxTensor.typeName(type)
                        + " is not supported (float32, double and integer tensors are)");
            }
            String shape = java.util.Arrays.toString(d) + " " + OnnxTensor.typeName(type);
            if (location == 1) {
                raw = external(who, shape, external, (long) n * width);
            }
            boolean isFloat = type == OnnxTensor.FLOAT || type == OnnxTensor.DOUBLE;
            if (raw != null) {
                if (raw.remaining() != (long) n * width) {
                    throw new OnnxFormatException(who + " " + shape + ": needs " + n + " values (" + (long) n * width
                            + " bytes), " + (location == 1 ? "the external data holds " : "raw_data holds ") + raw.remaining() + " bytes");
                }
                raw.order(ByteOrder.LITTLE_ENDIAN);
                if (isFloat) {
                    float[] f = new float[n];
                    if (type == OnnxTensor.FLOAT) raw.asFloatBuffer().get(f);
                    else for (int k = 0; k < n; k++) f[k] = (float) raw.getDouble(k * 8);
                    return new OnnxTensor(name, type, d, f, null);
                }
                long[] l = new long[n];
                for (int k = 0; k < n; k++) {
                    switch (width) {
                        case 8: l[k] = raw.getLong(k * 8); break;
                        case 4: l[k] = raw.getInt(k * 4); break;
                        case 2: l[k] = raw.getShort(k * 2); break;
                        default: l[k] = type == OnnxTensor.INT8 ? raw.get(k) : raw.get(k) & 0xff;
                    }
                }
                return new OnnxTensor(name, type, d, null, l);
            }
            int have = isFloat ? floatData.size() : intData.size();
            if (have != n) {
                String field = type == OnnxTensor.FLOAT ? "float_data" : type == OnnxTensor.DOUBLE ? "double_data"
                        : type == OnnxTensor.INT64 ? "int64_data" : "int32_data";
                throw new OnnxFormatException(who + " " + shape + ": needs " + n + " values, " + field + " holds " + have);
            }
            return isFloat ? new OnnxTensor(name, type, d, floatData.toArray(), null) : new OnnxTensor(name, type, d, null, intData.toArray());
        }

        private static int elementBytes(int type) {
            switch (type) {
                case OnnxTensor.FLOAT: case OnnxTensor.INT32: case 12: return 4;
                case OnnxTensor.DOUBLE: case OnnxTensor.INT64: case 13: return 8;
                case OnnxTensor.UINT8: case OnnxTensor.INT8: case OnnxTensor.BOOL: return 1;
                case 4: case 5: return 2;   // UINT16, INT16
                default: return 0;          // STRING, FLOAT16, BFLOAT16, COMPLEX*: not supported
            }
        }

        private ByteBuffer external(String who, String shape, Map<String, String> ext, long expected) {
            String loc = ext.get("location");
            if (loc == null || loc.isEmpty()) throw new OnnxFormatException(who + ": external data without a location");
            if (baseDir == null) throw new OnnxFormatException(who + ": external data '" + loc + "' but the model was not read from a file");
            Path p = baseDir.resolve(loc).normalize();
            if (!p.startsWith(baseDir.normalize())) {
                throw new OnnxFormatException(who + ": external data location '" + loc + "' is outside the model's directory");
            }
            long offset, length;
            try {
                offset = Long.parseLong(ext.getOrDefault("offset", "0"));
                length = ext.containsKey("length") ? Long.parseLong(ext.get("length")) : expected;
            } catch (NumberFormatException e) {
                throw new OnnxFormatException(who + ": bad external data offset/length " + ext, e);
            }
            if (length != expected) {
                throw new OnnxFormatException(who + " " + shape + ": needs " + expected + " bytes, the external data entry says length " + length);
            }
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                if (offset < 0 || offset + length > ch.size()) {
                    throw new OnnxFormatException(who + " " + shape + ": external data file '" + loc + "' holds " + ch.size()
                            + " bytes, the tensor needs bytes " + offset + ".." + (offset + length) + " (truncated?)");
                }
                ByteBuffer b = ByteBuffer.allocate((int) length);
                while (b.hasRemaining()) {
                    if (ch.read(b, offset + b.position()) < 0) throw new OnnxFormatException(who + ": external data file '" + loc + "' ended early");
                }
                b.flip();
                return b;
            } catch (NoSuchFileException e) {
                throw new OnnxFormatException(who + ": external data file '" + loc + "' not found next to the model (" + p + ")", e);
            } catch (IOException e) {
                throw new OnnxFormatException(who + ": cannot read external data file '" + loc + "': " + e, e);
            }
        }
    }

    @Override public String toString() {
        return "OnnxModel(ir " + irVersion + ", opset " + opsets + ", " + producerName + " " + producerVersion + ", "
                + graph.nodes().size() + " nodes, " + graph.initializers().size() + " initialisers)";
    }
}
