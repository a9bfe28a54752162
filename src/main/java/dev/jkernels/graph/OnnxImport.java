package dev.jkernels.graph;

import dev.jkernels.Activation;
import dev.jkernels.Shape;
import dev.jkernels.onnx.OnnxFormatException;
import dev.jkernels.onnx.OnnxGraph;
import dev.jkernels.onnx.OnnxModel;
import dev.jkernels.onnx.OnnxNode;
import dev.jkernels.onnx.OnnxTensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns an {@link OnnxModel} into a {@link Graph}: every node mapped to a graph op with its
 * attributes checked, constants collected, the nodes sorted topologically, and the shapes checked for
 * the declared input shape. Everything is host-side: an unsupported op, attribute or data type fails
 * here, with the node's name and op type, before any backend memory is allocated.
 */
final class OnnxImport {
    /** The op types this importer maps (default ONNX domain). */
    static final Set<String> SUPPORTED = new TreeSet<>(Arrays.asList(
            "Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus",
            "HardSigmoid", "HardSwish", "PRelu", "Gelu", "Clip", "Celu", "ThresholdedRelu", "Softsign", "Mish", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
            "BatchNormalization", "Softmax", "LogSoftmax", "Flatten", "Reshape", "Concat", "Identity", "Dropout", "Constant"));
    static final long MIN_OPSET = 1, MAX_OPSET = 21;

    private final OnnxModel model;
    private final OnnxGraph g;
    private final long opset;
    private final List<String> names = new ArrayList<>();
    private final List<Constant> constants = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, OnnxTensor> rawConstants = new HashMap<>();   // name → tensor (initialisers and Constant nodes), any type

    private OnnxImport(OnnxModel model) {
        this.model = model;
        this.g = model.graph();
        this.opset = model.opset();
    }

    static Graph build(OnnxModel model) {
        if (model == null) throw new IllegalArgumentException("onnx: model must not be null");
        return new OnnxImport(model).build();
    }

    private int value(String name) {
        Integer id = ids.get(name);
        if (id != null) return id;
        ids.put(name, names.size());
        names.add(name);
        constants.add(null);
        return names.size() - 1;
    }

    private Graph build() {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new OnnxFormatException("model: default-domain opset " + opset + " is not supported (" + MIN_OPSET + " to " + MAX_OPSET + ")");
        }
        for (OnnxTensor t : g.initializers().values()) rawConstants.put(t.name(), t);
        for (OnnxNode n : g.nodes()) {
            if (n.opType().equals("Constant") && n.domain().isEmpty()) rawConstants.put(output(n), constantValue(n));
        }
        // graph inputs: those without an initialiser
        List<Integer> inputIds = new ArrayList<>();
        List<int[]> inputShapes = new ArrayList<>();
        List<String> inputText = new ArrayList<>();
        for (OnnxGraph.ValueInfo vi : g.inputs()) {
            if (rawConstants.containsKey(vi.name())) continue;
            if (vi.elemType() != OnnxTensor.FLOAT) {
                throw new OnnxFormatException("graph input '" + vi.name() + "': element type " + OnnxTensor.typeName(vi.elemType())
                        + " is not supported (float32 only)");
            }
            inputIds.add(value(vi.name()));
            long[] d = vi.dims();
            int[] dims = null;
            if (d != null) {
                dims = new int[d.length];
                for (int i = 0; i < d.length; i++) dims[i] = d[i] < 0 || d[i] > Integer.MAX_VALUE ? -1 : (int) d[i];
                if (dims.length == 0) dims = new int[] {1};   // a scalar input is held as [1]
            }
            inputShapes.add(dims);
            inputText.add(vi.shapeString());
        }
        if (inputIds.isEmpty()) throw new OnnxFormatException("model: the graph has no input (other than initialisers)");
        // every node output gets an id first, so that nodes may come in any order
        for (OnnxNode n : g.nodes()) for (String o : n.outputs()) if (!o.isEmpty()) value(o);
        List<Node> nodes = new ArrayList<>();
        Map<Node, OnnxNode> origin = new HashMap<>();
        for (OnnxNode n : g.nodes()) {
            if (!n.domain().isEmpty()) {
                throw new OnnxFormatException(n.describe() + ": domain '" + n.domain() + "' is not supported (only the default ONNX domain)");
            }
            if (!SUPPORTED.contains(n.opType())) {
                throw new OnnxFormatException(n.describe() + ": op type " + n.opType() + " is not supported; supported: " + SUPPORTED);
            }
            if (n.opType().equals("Constant")) continue;
            List<Node> m;
            try {
                m = convert(n);
            } catch (OnnxFormatException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(n.describe() + ": " + e.getMessage(), e);
            }
            for (Node x : m) {
                nodes.add(x);
                origin.put(x, n);
            }
        }
        int[] outputIds = new int[g.outputs().size()];
        if (outputIds.length == 0) throw new OnnxFormatException("model: the graph has no output");
        for (int i = 0; i < outputIds.length; i++) {
            String o = g.outputs().get(i).name();
            if (!ids.containsKey(o)) throw new OnnxFormatException("graph output '" + o + "' is not computed by any node");
            outputIds[i] = value(o);
        }
        List<Node> sorted = topoSort(nodes, origin, inputIds);
        String origin2 = "onnx opset " + opset + (model.producerName().isEmpty() ? "" : ", " + model.producerName() + " " + model.producerVersion()).trim();
        int[] in = inputIds.stream().mapToInt(Integer::intValue).toArray();
        Graph graph = new Graph(g.name().isEmpty() ? "onnx" : g.name(), origin2, names, constants, in, outputIds, inputShapes, inputText, sorted, g.nodes().size());
        try {
            graph.validate();
        } catch (IllegalArgumentException e) {
            throw e instanceof OnnxFormatException ? e : new OnnxFormatException(e.getMessage() + " (for the declared input shapes "
                    + inputText + ", symbolic dimensions as 1)", e);
        }
        return graph;
    }

    private List<Node> topoSort(List<Node> nodes, Map<Node, OnnxNode> origin, List<Integer> inputIds) {
        Map<Integer, Node> producer = new HashMap<>();
        for (Node n : nodes) producer.put(n.output, n);
        Map<Node, Integer> pending = new LinkedHashMap<>();
        Map<Integer, List<Node>> readers = new HashMap<>();
        for (Node n : nodes) {
            int count = 0;
            for (int k = 0; k < n.inputs.length; k++) {
                int v = n.inputs[k];
                if (constants.get(v) != null || inputIds.contains(v)) continue;
                if (!producer.containsKey(v)) {
                    throw new OnnxFormatException(origin.get(n).describe() + ": input '" + names.get(v)
                            + "' is not produced by any node, initialiser or graph input");
                }
                count++;
                readers.computeIfAbsent(v, x -> new ArrayList<>()).add(n);
            }
            pending.put(n, count);
        }
        List<Node> out = new ArrayList<>();
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (Node n : nodes) if (pending.get(n) == 0) ready.add(n);
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            out.add(n);
            for (Node r : readers.getOrDefault(n.output, List.of())) {
                for (int v : r.inputs) if (v == n.output) pending.put(r, pending.get(r) - 1);
                if (pending.get(r) == 0) ready.add(r);
            }
        }
        if (out.size() != nodes.size()) {
            for (Node n : nodes) if (!out.contains(n)) throw new OnnxFormatException(origin.get(n).describe() + ": the graph has a cycle through this node");
        }
        return out;
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static String output(OnnxNode n) {
        if (n.outputs().isEmpty() || n.outputs().get(0).isEmpty()) throw new OnnxFormatException(n.describe() + ": no output");
        return n.outputs().get(0);
    }

    private OnnxTensor constantValue(OnnxNode n) {
        OnnxTensor t = n.getTensor("value");
        if (t != null) return t;
        String o = output(n);
        if (n.has("value_float")) return OnnxTensor.ofFloats(o, new long[0], new float[] {n.getFloat("value_float", 0)});
        if (n.has("value_floats")) {
            float[] f = n.getFloats("value_floats", null);
            return OnnxTensor.ofFloats(o, new long[] {f.length}, f);
        }
        if (n.has("value_int")) return OnnxTensor.ofLongs(o, new long[0], new long[] {n.getInt("value_int", 0)});
        if (n.has("value_ints")) {
            long[] l = n.getInts("value_ints", null);
            return OnnxTensor.ofLongs(o, new long[] {l.length}, l);
        }
        throw new OnnxFormatException(n.describe() + ": Constant without a 'value' (sparse and string constants are not supported)");
    }

    /** The graph value for input {@code i}; float constants become graph constants. */
    private int in(OnnxNode n, int i, String role) {
        if (i >= n.inputs().size() || n.inputs().get(i).isEmpty()) {
            throw new OnnxFormatException(n.describe() + ": input " + i + " (" + role + ") is missing");
        }
        String name = n.inputs().get(i);
        OnnxTensor t = rawConstants.get(name);
        int id = value(name);
        if (t != null && constants.get(id) == null) {
            if (!t.isFloat()) {
                throw new OnnxFormatException(n.describe() + ": input " + i + " (" + role + ") '" + name + "' is "
                        + OnnxTensor.typeName(t.dataType()) + "; only float32 tensors flow through the graph");
            }
            constants.set(id, new Constant(name, shapeOf(t.intDims()), t.floats()));
        }
        return id;
    }

    /** ONNX scalars (rank 0) are held as [1], which broadcasts the same. */
    static Shape shapeOf(int[] dims) { return dims.length == 0 ? Shape.of(1) : Shape.of(dims); }

    private boolean hasInput(OnnxNode n, int i) { return i < n.inputs().size() && !n.inputs().get(i).isEmpty(); }

    /** A constant (initialiser or Constant node) input, or null when the input is absent. */
    private OnnxTensor constInput(OnnxNode n, int i, String role) {
        if (!hasInput(n, i)) return null;
        OnnxTensor t = rawConstants.get(n.inputs().get(i));
        if (t == null) {
            throw new OnnxFormatException(n.describe() + ": input " + i + " (" + role + ") '" + n.inputs().get(i)
                    + "' must be a constant (an initialiser or a Constant node); computed " + role + " is not supported");
        }
        return t;
    }

    private static void onlyFirstOutputUsed(OnnxNode n, OnnxGraph g, String what) {
        for (int k = 1; k < n.outputs().size(); k++) {
            String o = n.outputs().get(k);
            if (o.isEmpty()) continue;
            for (OnnxNode m : g.nodes()) {
                if (m.inputs().contains(o)) throw new OnnxFormatException(n.describe() + ": output " + k + " (" + what + ") '" + o + "' is read by "
                        + m.describe() + "; only the first output is supported");
            }
            for (OnnxGraph.ValueInfo vi : g.outputs()) {
                if (vi.name().equals(o)) throw new OnnxFormatException(n.describe() + ": output " + k + " (" + what + ") '" + o
                        + "' is a graph output; only the first output is supported");
            }
        }
    }

    private static int[] ints(OnnxNode n, String key, int count, int dflt) {
        long[] v = n.getInts(key, null);
        int[] out = new int[count];
        if (v == null) {
            Arrays.fill(out, dflt);
            return out;
        }
        if (v.length != count) throw new OnnxFormatException(n.describe() + ": attribute '" + key + "' has " + v.length + " values, expected " + count + " (2-D only)");
        for (int i = 0; i < count; i++) {
            if (v[i] < 0 || v[i] > Integer.MAX_VALUE) throw new OnnxFormatException(n.describe() + ": attribute '" + key + "' = " + Arrays.toString(v) + " is out of range");
            out[i] = (int) v[i];
        }
        return out;
    }

    private static String autoPad(OnnxNode n) {
        String a = n.getString("auto_pad", "NOTSET");
        if (!List.of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID").contains(a)) {
            throw new OnnxFormatException(n.describe() + ": auto_pad '" + a + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }
        return a;
    }

    private static void positive(OnnxNode n, String key, int[] v) {
        for (int x : v) if (x < 1) throw new OnnxFormatException(n.describe() + ": attribute '" + key + "' = " + Arrays.toString(v) + " must be >= 1");
    }

    private Node act(OnnxNode n, Activation a) {
        return new Node.Act(n.name(), n.opType(), new int[] {in(n, 0, "X")}, value(output(n)), a);
    }


    // ---- the op mapping ----------------------------------------------------------------------------

    private List<Node> convert(OnnxNode n) {
        if (n.opType().equals("Gemm")) return gemm(n);
        return List.of(convertOne(n));
    }

    private List<Node> gemm(OnnxNode n) {
        String src = n.name(), op = n.opType();
        float alpha = n.getFloat("alpha", 1f), beta = n.getFloat("beta", 1f);
        boolean ta = n.getInt("transA", 0) != 0, tb = n.getInt("transB", 0) != 0;
        int a = in(n, 0, "A"), b = in(n, 1, "B");
        int out = value(output(n));
        if (!hasInput(n, 2) || beta == 0f) return List.of(new Node.Gemm(src, op, new int[] {a, b}, out, ta, tb, alpha, false, Activation.identity()));
        int c = in(n, 2, "C");
        Constant cc = constants.get(c), bc = constants.get(b);
        if (cc != null && bc != null && bc.shape.rank() == 2) {
            int nn = tb ? bc.shape.dim(0) : bc.shape.dim(1);
            if (cc.shape.sameAs(nn) || cc.shape.sameAs(1, nn) || cc.shape.elementCount() == 1) {
                float[] bias = new float[nn];
                for (int i = 0; i < nn; i++) bias[i] = beta * cc.data[cc.shape.elementCount() == 1 ? 0 : i];
                constants.add(new Constant(names.get(c) + "|bias", Shape.of(nn), bias));
                names.add(names.get(c) + "|bias");
                return List.of(new Node.Gemm(src, op, new int[] {a, b, constants.size() - 1}, out, ta, tb, alpha, true, Activation.identity()));
            }
        }
        // Y = alpha·A·B + beta·C with C broadcast to [M, N]: the GEMM's beta·C term, one launch
        return List.of(new Node.GemmC(src, op, new int[] {a, b, c}, out, ta, tb, alpha, beta));
    }

    private Node convertOne(OnnxNode n) {
        String src = n.name(), op = n.opType();
        switch (op) {
            case "Conv": {
                int x = in(n, 0, "X"), w = in(n, 1, "W");
                Constant wc = constants.get(w);
                if (wc != null && wc.shape.rank() != 4) {
                    throw new OnnxFormatException(n.describe() + ": weight '" + names.get(w) + "' " + wc.shape + " is not 4-D; only 2-D convolutions are supported");
                }
                int[] strides = ints(n, "strides", 2, 1), dil = ints(n, "dilations", 2, 1), pads = ints(n, "pads", 4, 0);
                positive(n, "strides", strides);
                positive(n, "dilations", dil);
                int[] ks = n.has("kernel_shape") ? ints(n, "kernel_shape", 2, 0) : null;
                if (ks != null && wc != null && (ks[0] != wc.shape.dim(2) || ks[1] != wc.shape.dim(3))) {
                    throw new OnnxFormatException(n.describe() + ": kernel_shape " + Arrays.toString(ks) + " does not match weight " + wc.shape);
                }
                long group = n.getInt("group", 1);
                if (group < 1 || group > Integer.MAX_VALUE) throw new OnnxFormatException(n.describe() + ": group " + group + " must be >= 1");
                boolean bias = hasInput(n, 2);
                int[] inputs = bias ? new int[] {x, w, in(n, 2, "B")} : new int[] {x, w};
                return new Node.Conv(src, op, inputs, value(output(n)), strides[0], strides[1], dil[0], dil[1], (int) group, pads,
                        autoPad(n), bias, Activation.identity(), false, List.of());
            }
            case "MatMul":
                return new Node.Gemm(src, op, new int[] {in(n, 0, "A"), in(n, 1, "B")}, value(output(n)), false, false, 1f, false, Activation.identity());
            case "Add":
            case "Mul":
                return new Node.Binary(src, op, new int[] {in(n, 0, "A"), in(n, 1, "B")}, value(output(n)), op.equals("Add") ? BinaryKind.ADD : BinaryKind.MUL);
            case "Relu":
            case "Sigmoid":
            case "Tanh":
            case "Softplus":
            case "Softsign":
            case "HardSwish":
            case "Mish":
                // the name parser's ONNX reading: Softplus exactly log(1 + eˣ), no threshold
                return act(n, Activation.parse(op, Activation.Framework.ONNX));
            case "LeakyRelu": return act(n, Activation.leakyRelu(n.getFloat("alpha", 0.01f)));
            case "Elu": {
                float a = n.getFloat("alpha", 1f);
                if (a < 0) throw new OnnxFormatException(n.describe() + ": alpha " + a + " must be >= 0");
                return act(n, Activation.elu(a));
            }
            case "Celu": return act(n, Activation.celu(n.getFloat("alpha", 1f)));
            case "ThresholdedRelu": return act(n, Activation.thresholdedRelu(n.getFloat("alpha", 1f)));
            case "Selu": return act(n, Activation.selu(n.getFloat("alpha", 1.67326319217681884765625f), n.getFloat("gamma", 1.05070102214813232421875f)));
            case "HardSigmoid": return act(n, Activation.hardSigmoid(n.getFloat("alpha", 0.2f), n.getFloat("beta", 0.5f)));
            case "Gelu": {
                String approx = n.getString("approximate", "none");
                if (approx.equals("none")) return act(n, Activation.gelu());
                if (approx.equals("tanh")) return act(n, Activation.geluTanh());
                throw new OnnxFormatException(n.describe() + ": approximate '" + approx + "' is not 'none' or 'tanh'");
            }
            case "PRelu": {
                int x = in(n, 0, "X"), s = in(n, 1, "slope");
                Constant sc = constants.get(s);
                if (sc != null && sc.shape.elementCount() == 1) return new Node.Act(src, op, new int[] {x}, value(output(n)), Activation.prelu(sc.data[0]));
                return new Node.Binary(src, op, new int[] {x, s}, value(output(n)), BinaryKind.PRELU);
            }
            case "Clip": {
                float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
                if (opset < 11) {
                    lo = n.getFloat("min", lo);
                    hi = n.getFloat("max", hi);
                } else {
                    OnnxTensor a = constInput(n, 1, "min"), b = constInput(n, 2, "max");
                    if (a != null) lo = scalar(n, a, "min");
                    if (b != null) hi = scalar(n, b, "max");
                }
                if (lo == 0f && hi == 6f) return act(n, Activation.relu6());
                if (lo == 0f && hi == Float.POSITIVE_INFINITY) return act(n, Activation.relu());
                if (!(lo <= hi)) throw new OnnxFormatException(n.describe() + ": min " + lo + " > max " + hi);
                return act(n, Activation.hardtanh(lo, hi));   // Hardtanh is Clip with bounds
            }
            case "MaxPool":
            case "AveragePool": {
                boolean max = op.equals("MaxPool");
                if (max) onlyFirstOutputUsed(n, g, "Indices");
                if (n.getInt("storage_order", 0) != 0) throw new OnnxFormatException(n.describe() + ": storage_order 1 (column-major) is not supported");
                if (!n.has("kernel_shape")) throw new OnnxFormatException(n.describe() + ": attribute 'kernel_shape' is missing");
                int[] k = ints(n, "kernel_shape", 2, 0), s = ints(n, "strides", 2, 1), d = ints(n, "dilations", 2, 1), p = ints(n, "pads", 4, 0);
                positive(n, "kernel_shape", k);
                positive(n, "strides", s);
                positive(n, "dilations", d);
                for (int i = 0; i < 2; i++) {
                    if (p[i] >= k[i] * 1L * d[i] || p[i + 2] >= k[i] * 1L * d[i]) {
                        throw new OnnxFormatException(n.describe() + ": pads " + Arrays.toString(p) + " must be smaller than the kernel " + Arrays.toString(k));
                    }
                }
                PoolParams pp = new PoolParams(max, k[0], k[1], s[0], s[1], d[0], d[1], p, autoPad(n), n.getInt("ceil_mode", 0) != 0,
                        n.getInt("count_include_pad", 0) != 0);
                return new Node.Pool(src, op, new int[] {in(n, 0, "X")}, value(output(n)), pp);
            }
            case "GlobalAveragePool":
            case "GlobalMaxPool":
                return new Node.GlobalPool(src, op, new int[] {in(n, 0, "X")}, value(output(n)), op.equals("GlobalMaxPool"));
            case "BatchNormalization": {
                if (n.getInt("training_mode", 0) != 0) throw new OnnxFormatException(n.describe() + ": training_mode 1 is not supported (inference only)");
                if (n.getInt("spatial", 1) != 1) throw new OnnxFormatException(n.describe() + ": spatial 0 is not supported");
                onlyFirstOutputUsed(n, g, "running statistics");
                float eps = n.getFloat("epsilon", 1e-5f);
                if (!(eps >= 0)) throw new OnnxFormatException(n.describe() + ": epsilon " + eps + " must be >= 0");
                int[] inputs = {in(n, 0, "X"), in(n, 1, "scale"), in(n, 2, "B"), in(n, 3, "input_mean"), in(n, 4, "input_var")};
                Constant v = constants.get(inputs[4]);
                if (v != null) for (float f : v.data) if (!(f >= 0)) throw new OnnxFormatException(n.describe() + ": input_var holds " + f + " (must be >= 0)");
                return new Node.BatchNorm(src, op, inputs, value(output(n)), eps);
            }
            case "Softmax":
            case "LogSoftmax": {
                long axis = n.getInt("axis", opset < 13 ? 1 : -1);
                return new Node.Softmax(src, op, new int[] {in(n, 0, "input")}, value(output(n)), (int) axis, op.equals("LogSoftmax"), opset < 13);
            }
            case "Flatten":
                return new Node.Reshape(src, op, new int[] {in(n, 0, "input")}, value(output(n)), null, (int) n.getInt("axis", 1), false);
            case "Reshape": {
                long[] shape;
                if (opset < 5 || (!hasInput(n, 1) && n.has("shape"))) shape = n.getInts("shape", null);
                else shape = constInput(n, 1, "shape").longs();
                if (shape == null) throw new OnnxFormatException(n.describe() + ": no shape");
                return new Node.Reshape(src, op, new int[] {in(n, 0, "data")}, value(output(n)), shape, Integer.MIN_VALUE, n.getInt("allowzero", 0) != 0);
            }
            case "Concat": {
                if (!n.has("axis")) throw new OnnxFormatException(n.describe() + ": attribute 'axis' is missing");
                int[] inputs = new int[n.inputs().size()];
                for (int i = 0; i < inputs.length; i++) inputs[i] = in(n, i, "input " + i);
                if (inputs.length == 0) throw new OnnxFormatException(n.describe() + ": no inputs");
                return new Node.Concat(src, op, inputs, value(output(n)), (int) n.getInt("axis", 0));
            }
            case "Identity":
                return new Node.Reshape(src, op, new int[] {in(n, 0, "input")}, value(output(n)), null, Integer.MIN_VALUE, false);
            case "Dropout": {
                onlyFirstOutputUsed(n, g, "mask");
                OnnxTensor training = constInputOrNull(n, 2);
                if (hasInput(n, 2) && (training == null || training.longs().length != 1 || training.longs()[0] != 0)) {
                    throw new OnnxFormatException(n.describe() + ": training_mode must be a constant false (inference only)");
                }
                return new Node.Reshape(src, op, new int[] {in(n, 0, "data")}, value(output(n)), null, Integer.MIN_VALUE, false);
            }
            default:
                throw new OnnxFormatException(n.describe() + ": op type " + op + " is not supported");
        }
    }

    private OnnxTensor constInputOrNull(OnnxNode n, int i) {
        return hasInput(n, i) ? rawConstants.get(n.inputs().get(i)) : null;
    }

    private static float scalar(OnnxNode n, OnnxTensor t, String role) {
        if (t.elementCount() != 1) throw new OnnxFormatException(n.describe() + ": " + role + " must be a scalar, got " + Arrays.toString(t.dims()));
        return t.floats()[0];
    }
}
