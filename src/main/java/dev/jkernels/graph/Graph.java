package dev.jkernels.graph;

import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.nn.FusionPolicy;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model as a DAG of ops, run on one backend: what an ONNX file becomes
 * ({@link dev.jkernels.onnx.Onnx#load}).
 *
 * <p><b>Plan.</b> For each input shape the graph makes (once, cached) a plan: the ops in topological
 * order, every shape inferred and checked before any launch, and each intermediate's lifetime: it is
 * freed as soon as its last reader has run; an unfused activation whose input has no later reader
 * runs in place; Flatten/Reshape/Identity/Dropout are views (no launch, no memory).
 * {@link GraphPlan#peakBytes()} is the peak of the intermediates' memory.
 *
 * <p><b>Fusion</b> ({@link FusionPolicy#AUTO}, the default), done once when the graph is built:
 * BatchNormalization folded into the Conv before it; the bias and activation of Conv/Gemm in the
 * epilogue; a residual Add after a Conv (and the activation after it) in the conv's epilogue — a
 * ResNet block's conv + BN + add + ReLU is one launch. {@link FusionPolicy#NONE} runs every ONNX node
 * as its own op. Both agree within FP32 rounding. {@link #describe(int...)} prints the plan.
 *
 * <p><b>Threads.</b> {@link #forward} may be called from many threads at once (each call has its own
 * intermediates); {@link #to}, {@link #fusion(FusionPolicy)} and {@link #close} may not run
 * concurrently with it.
 */
public final class Graph implements AutoCloseable {
    private final String name;
    private final String origin;
    private final List<String> names;           // value id → name
    private final List<Constant> constants;     // value id → constant or null
    private final int[] inputIds, outputIds;
    private final List<Shape> declaredInputs;   // from value-info; dims < 0 (as -1) are symbolic
    private final List<String> declaredInputText;
    private final List<int[]> declaredRawDims = new ArrayList<>();
    private final List<Node> unfused, fused;
    private final int sourceNodes;
    private final Map<String, GraphPlan> plans = new ConcurrentHashMap<>();
    private volatile FusionPolicy fusion = FusionPolicy.AUTO;
    private volatile Backend backend;
    private volatile Tensor[] uploaded;         // value id → constant on the backend

    /**
     * For importers: {@code nodes} in topological order; {@code constants} indexed by value id (null
     * for non-constant values); {@code inputShapes} as declared (−1 for a symbolic dimension, null
     * when not declared).
     */
    Graph(String name, String origin, List<String> names, List<Constant> constants, int[] inputIds, int[] outputIds,
          List<int[]> inputShapes, List<String> inputText, List<Node> nodes, int sourceNodes) {
        this.name = name;
        this.origin = origin;
        this.names = new ArrayList<>(names);
        this.constants = new ArrayList<>(constants);
        this.inputIds = inputIds.clone();
        this.outputIds = outputIds.clone();
        this.declaredInputs = new ArrayList<>();
        for (int[] d : inputShapes) {
            this.declaredInputs.add(d == null ? null : Shape.of(clampSymbolic(d)));
            this.declaredRawDims.add(d == null ? null : d.clone());
        }
        this.declaredInputText = List.copyOf(inputText);
        this.unfused = List.copyOf(nodes);
        Set<Integer> outs = new HashSet<>();
        for (int o : outputIds) outs.add(o);
        this.fused = List.copyOf(new Fusion(this.constants, this.names, outs).run(nodes));
        this.sourceNodes = sourceNodes;
    }

    /** The graph of an ONNX model; see {@link dev.jkernels.onnx.Onnx#load}. */
    public static Graph fromOnnx(dev.jkernels.onnx.OnnxModel model) { return OnnxImport.build(model); }

    private static int[] clampSymbolic(int[] d) {
        int[] c = d.clone();
        for (int i = 0; i < c.length; i++) if (c[i] < 0) c[i] = 1;
        return c;
    }

    public String name() { return name; }

    /** Where the graph came from, e.g. "onnx opset 17, pytorch 1.13.1". */
    public String origin() { return origin; }

    public List<String> inputNames() {
        List<String> l = new ArrayList<>();
        for (int i : inputIds) l.add(names.get(i));
        return l;
    }

    public List<String> outputNames() {
        List<String> l = new ArrayList<>();
        for (int i : outputIds) l.add(names.get(i));
        return l;
    }

    /** The declared shape of input {@code i} as text, symbolic dimensions by name: "[N, 3, 224, 224]". */
    public String declaredInputShape(int i) { return declaredInputText.get(i); }

    /** The number of ONNX nodes the graph was built from. */
    public int sourceNodeCount() { return sourceNodes; }

    public Graph fusion(FusionPolicy policy) {
        if (policy == null) throw new IllegalArgumentException("Graph: fusion policy must not be null");
        this.fusion = policy;
        return this;
    }

    public FusionPolicy fusion() { return fusion; }

    public Backend backend() { return backend; }

    // ---- weights -------------------------------------------------------------------------------------

    /**
     * Uploads the weights to {@code backend} (freeing a previous backend's copy); returns this. If an
     * upload fails, what was uploaded is freed before the exception is rethrown.
     */
    public synchronized Graph to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("Graph: backend must not be null");
        if (backend == this.backend) return this;
        Set<Integer> used = new HashSet<>();
        for (List<Node> list : List.of(unfused, fused)) for (Node n : list) for (int v : n.inputs) if (constants.get(v) != null) used.add(v);
        for (int o : outputIds) if (constants.get(o) != null) used.add(o);
        Tensor[] up = new Tensor[constants.size()];
        try {
            for (int v : used) {
                Constant c = constants.get(v);
                up[v] = backend.tensor(c.data, Layout.defaultFor(c.shape.rank()), c.shape.dims());
            }
        } catch (RuntimeException | Error e) {
            for (Tensor t : up) if (t != null) t.close();
            throw e;
        }
        close();
        this.uploaded = up;
        this.backend = backend;
        return this;
    }

    /** Frees the weights on the backend (the host copy stays, so {@link #to} may be called again). */
    @Override public synchronized void close() {
        Tensor[] up = uploaded;
        uploaded = null;
        backend = null;
        if (up != null) for (Tensor t : up) if (t != null) t.close();
    }

    // ---- plans ---------------------------------------------------------------------------------------

    /** The output shape of a single-input, single-output graph for an input of {@code inputShape}. */
    public Shape outputShape(int... inputShape) { return plan(fusion, List.of(Shape.of(inputShape))).outputShapes().get(0); }

    /** The plan under the current policy for one input of {@code inputShape}. */
    public GraphPlan plan(int... inputShape) { return plan(fusion, List.of(Shape.of(inputShape))); }

    /** The plan under {@code policy} for inputs of {@code inputShapes} (in {@link #inputNames()} order). */
    public GraphPlan plan(FusionPolicy policy, List<Shape> inputShapes) {
        if (policy == null) throw new IllegalArgumentException("Graph: fusion policy must not be null");
        if (inputShapes == null || inputShapes.size() != inputIds.length) {
            throw new IllegalArgumentException("Graph '" + name + "': expected " + inputIds.length + " input shape(s) for " + inputNames()
                    + ", got " + (inputShapes == null ? "null" : inputShapes.size()));
        }
        String key = policy + " " + inputShapes;
        GraphPlan p = plans.get(key);
        if (p == null) {
            p = makePlan(policy, inputShapes);
            plans.put(key, p);
        }
        return p;
    }

    /**
     * Checks both plans for the declared input shapes, a symbolic batch dimension taken as 1; for
     * importers, before any upload. Skipped when another dimension is symbolic (any value chosen for it
     * could be one the model cannot take); the plan checks every shape before a forward pass then.
     */
    void validate() {
        List<Shape> in = new ArrayList<>();
        for (int i = 0; i < declaredInputs.size(); i++) {
            int[] raw = declaredRawDims.get(i);
            if (raw == null) return;
            for (int k = 1; k < raw.length; k++) if (raw[k] < 0) return;
            in.add(declaredInputs.get(i));
        }
        plan(FusionPolicy.NONE, in);
        plan(FusionPolicy.AUTO, in);
    }

    private GraphPlan makePlan(FusionPolicy policy, List<Shape> inputShapes) {
        int nv = constants.size();
        Shape[] shapes = new Shape[nv];
        for (int v = 0; v < nv; v++) if (constants.get(v) != null) shapes[v] = constants.get(v).shape;
        for (int i = 0; i < inputIds.length; i++) {
            Shape s = inputShapes.get(i);
            if (s == null) throw new IllegalArgumentException("Graph '" + name + "': input shape " + i + " is null");
            Shape d = declaredInputs.get(i);
            if (d != null) checkDeclared(i, d, s);
            shapes[inputIds[i]] = s;
        }
        // 1. order (expanding a fused residual whose shapes do not match) and shapes
        List<Node> order = new ArrayList<>();
        List<Shape[]> inShapes = new ArrayList<>();
        for (Node n : policy == FusionPolicy.AUTO ? fused : unfused) {
            List<Node> todo = List.of(n);
            if (n instanceof Node.Conv && ((Node.Conv) n).residual) {
                Node.Conv c = (Node.Conv) n;
                Shape r = shapes[c.residualInput()];
                Shape base;
                try {
                    base = Shape.of(c.spec(shapes[c.inputs[0]], shapes[c.inputs[1]]).geometry(shapes[c.inputs[0]], shapes[c.inputs[1]]).outputDims());
                } catch (IllegalArgumentException e) {
                    base = null;
                }
                if (base != null && !base.equals(r)) todo = c.parts;   // broadcasting add: run the nodes as they were
            }
            for (Node m : todo) {
                Shape[] in = new Shape[m.inputs.length];
                for (int k = 0; k < in.length; k++) in[k] = shapes[m.inputs[k]];
                try {
                    shapes[m.output] = m.infer(in);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(m.where() + ": " + e.getMessage() + " (inputs " + inputsText(m, in) + ")", e);
                }
                order.add(m);
                inShapes.add(in);
            }
        }
        // 2. lifetimes: last reader of every value; outputs live past the end
        int steps = order.size(), never = Integer.MAX_VALUE;
        int[] last = new int[nv];
        Arrays.fill(last, -1);
        for (int i = 0; i < steps; i++) for (int v : order.get(i).inputs) last[v] = i;
        for (int o : outputIds) last[o] = never;
        for (int i = 0; i < steps; i++) if (last[order.get(i).output] < 0) last[order.get(i).output] = i;   // dead outputs: freed at once
        int[] rootOf = new int[nv];
        for (int v = 0; v < nv; v++) rootOf[v] = v;
        Map<Integer, List<Integer>> members = new HashMap<>();
        Set<Integer> external = new HashSet<>();
        for (int v : inputIds) external.add(v);
        for (int v = 0; v < nv; v++) if (constants.get(v) != null) external.add(v);
        long live = 0, peak = 0;
        List<GraphPlan.Step> planned = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            Node n = order.get(i);
            Shape out = shapes[n.output];
            boolean inPlace = false;
            int root;
            if (n.isView()) {
                root = rootOf[n.inputs[0]];
            } else {
                int r0 = n.inputs.length > 0 ? rootOf[n.inputs[0]] : -1;
                if (n.inPlaceCapable() && !external.contains(r0) && shapes[n.inputs[0]].equals(out) && maxLast(members, r0, last) == i) {
                    inPlace = true;
                    root = r0;
                } else {
                    root = n.output;
                    live += 4 * out.elementCount();
                }
            }
            rootOf[n.output] = root;
            members.computeIfAbsent(root, k -> new ArrayList<>(List.of(k))).add(n.output);
            peak = Math.max(peak, live);
            // free every root whose members are all read for the last time here
            List<Integer> free = new ArrayList<>();
            Set<Integer> seen = new HashSet<>();
            List<Integer> touched = new ArrayList<>();
            for (int v : n.inputs) touched.add(v);
            touched.add(n.output);
            for (int v : touched) {
                int r = rootOf[v];
                if (external.contains(r) || !seen.add(r)) continue;
                if (maxLast(members, r, last) == i) free.add(r);
            }
            List<String> freeNames = new ArrayList<>();
            int[] freeRoots = new int[free.size()];
            for (int k = 0; k < freeRoots.length; k++) {
                freeRoots[k] = free.get(k);
                freeNames.add(names.get(free.get(k)));
                live -= 4 * shapes[free.get(k)].elementCount();
            }
            planned.add(new GraphPlan.Step(n, n.op() + (inPlace ? " in place" : ""), n.operands(inShapes.get(i), out), n.launches(),
                    inPlace, inShapes.get(i), out, freeNames, freeRoots));
        }
        List<Shape> outShapes = new ArrayList<>();
        for (int o : outputIds) {
            if (shapes[o] == null) throw new IllegalArgumentException("Graph '" + name + "': output '" + names.get(o) + "' is not computed by any node");
            outShapes.add(shapes[o]);
        }
        long weights = 0;
        Set<Integer> used = new HashSet<>();
        for (List<Node> list : List.of(unfused, fused)) for (Node n : list) for (int v : n.inputs) if (constants.get(v) != null && used.add(v)) weights += constants.get(v).bytes();
        return new GraphPlan(inputShapes, outShapes, planned, peak, weights, rootOf, shapes);
    }

    private static int maxLast(Map<Integer, List<Integer>> members, int root, int[] last) {
        List<Integer> m = members.get(root);
        if (m == null) return last[root];
        int x = -1;
        for (int v : m) x = Math.max(x, last[v]);
        return x;
    }

    private void checkDeclared(int i, Shape declared, Shape actual) {
        int[] raw = declaredRaw(i);
        boolean ok = raw.length == actual.rank();
        for (int k = 0; ok && k < raw.length; k++) ok = raw[k] < 0 || raw[k] == actual.dim(k);
        if (!ok) {
            throw new IllegalArgumentException("Graph '" + name + "': input '" + names.get(inputIds[i]) + "': expected shape "
                    + declaredInputText.get(i) + ", got " + actual);
        }
    }

    private int[] declaredRaw(int i) { return declaredRawDims.get(i); }

    private String inputsText(Node m, Shape[] in) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < in.length; k++) sb.append(k == 0 ? "" : ", ").append('\'').append(names.get(m.inputs[k])).append("' ").append(in[k]);
        return sb.toString();
    }

    // ---- running -------------------------------------------------------------------------------------

    /** Runs a single-input, single-output graph on {@code input} (on the graph's backend); the caller closes the result. */
    public Tensor forward(Tensor input) {
        if (inputIds.length != 1 || outputIds.length != 1) {
            throw new IllegalStateException("Graph '" + name + "': forward(Tensor) needs one input and one output, the graph has "
                    + inputNames() + " → " + outputNames() + "; use forward(Map)");
        }
        return forward(Map.of(names.get(inputIds[0]), input)).values().iterator().next();
    }

    /** Runs the graph on named inputs; returns the outputs by name (in {@link #outputNames()} order); the caller closes them. */
    public Map<String, Tensor> forward(Map<String, Tensor> inputs) {
        Backend b = backend;
        Tensor[] up = uploaded;
        if (b == null || up == null) throw new IllegalStateException("Graph '" + name + "': no backend; call to(backend) first");
        if (inputs == null) throw new IllegalArgumentException("Graph '" + name + "': inputs must not be null");
        List<Shape> shapes = new ArrayList<>();
        Tensor[] in = new Tensor[inputIds.length];
        for (int i = 0; i < inputIds.length; i++) {
            String n = names.get(inputIds[i]);
            Tensor t = inputs.get(n);
            if (t == null) throw new IllegalArgumentException("Graph '" + name + "': input '" + n + "' is missing (inputs: " + inputNames() + ")");
            t.ensureOpen("input '" + n + "'");
            if (t.backend() != b) {
                throw new IllegalArgumentException("Graph '" + name + "': input '" + n + "' is on " + t.backend().name() + ", the graph's weights on " + b.name());
            }
            if (t.rank() == 4 && t.layout() != Layout.NCHW) {
                throw new IllegalArgumentException("Graph '" + name + "': input '" + n + "' must be NCHW (ONNX's layout), got " + t.layout());
            }
            in[i] = t;
            shapes.add(t.shape());
        }
        if (inputs.size() != inputIds.length) {
            for (String k : inputs.keySet()) {
                if (!inputNames().contains(k)) throw new IllegalArgumentException("Graph '" + name + "': unknown input '" + k + "' (inputs: " + inputNames() + ")");
            }
        }
        GraphPlan plan = plan(fusion, shapes);
        return run(b, up, plan, in);
    }

    private Map<String, Tensor> run(Backend b, Tensor[] up, GraphPlan plan, Tensor[] inputs) {
        int nv = constants.size();
        Tensor[] val = new Tensor[nv];
        for (int v = 0; v < nv; v++) if (up[v] != null) val[v] = up[v];
        for (int i = 0; i < inputIds.length; i++) val[inputIds[i]] = inputs[i];
        Tensor[] owned = new Tensor[nv];   // root id → the tensor that owns its memory (closed when the root dies)
        Map<String, Tensor> result = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (GraphPlan.Step s : plan.steps()) {
                Node n = s.node;
                Tensor[] args = new Tensor[n.inputs.length];
                for (int k = 0; k < args.length; k++) args[k] = val[n.inputs[k]];
                Tensor out = n.run(b, args, s.output(), s.inPlace());
                val[n.output] = out;
                if (!s.view() && !s.inPlace()) owned[n.output] = out;
                for (int r : s.freeRoots) {
                    if (owned[r] != null) {
                        owned[r].close();
                        owned[r] = null;
                    }
                }
            }
            Set<Integer> handed = new HashSet<>();
            for (int o : outputIds) {
                int r = plan.rootOf[o];
                Tensor t = val[o];
                boolean mine = owned[r] != null && handed.add(r);
                Tensor give = mine ? t : b.copyOf(t);   // inputs, constants and a second alias of one buffer are copied
                if (mine) owned[r] = null;              // the output (or its view) now owns the memory
                result.put(names.get(o), give);
            }
            ok = true;
            return result;
        } finally {
            if (!ok) for (Tensor t : result.values()) t.close();
            for (Tensor t : owned) if (t != null && (!ok || !result.containsValue(t))) t.close();
        }
    }

    /** Runs a single-input, single-output graph on a host batch of {@code shape}; returns the output row-major. */
    public float[] predict(float[] input, int... shape) {
        Backend b = backend;
        if (b == null) throw new IllegalStateException("Graph '" + name + "': no backend; call to(backend) first");
        if (input == null) throw new IllegalArgumentException("Graph '" + name + "': input must not be null");
        try (Tensor x = b.tensor(input, Layout.defaultFor(shape.length), shape); Tensor y = forward(x)) {
            return y.toArray();
        }
    }

    /** As {@link #predict(float[], int...)} from a buffer's remaining floats. */
    public float[] predict(FloatBuffer input, int... shape) {
        Backend b = backend;
        if (b == null) throw new IllegalStateException("Graph '" + name + "': no backend; call to(backend) first");
        if (input == null) throw new IllegalArgumentException("Graph '" + name + "': input must not be null");
        try (Tensor x = b.tensor(input, Layout.defaultFor(shape.length), shape); Tensor y = forward(x)) {
            return y.toArray();
        }
    }

    // ---- describe ------------------------------------------------------------------------------------

    /** The plan for the declared input shape (symbolic dimensions as 1). */
    public String describe() {
        List<Shape> in = new ArrayList<>();
        for (Shape s : declaredInputs) {
            if (s == null) throw new IllegalStateException("Graph '" + name + "': an input has no declared shape; use describe(shape)");
            in.add(s);
        }
        return describe(in);
    }

    /** The plan as text for one input of {@code inputShape}: every step, what it fused, its shapes, the peak memory. */
    public String describe(int... inputShape) { return describe(List.of(Shape.of(inputShape))); }

    public String describe(List<Shape> inputShapes) {
        GraphPlan p = plan(fusion, inputShapes);
        StringBuilder sb = new StringBuilder();
        sb.append("Graph '").append(name).append("' (").append(origin).append("): ").append(sourceNodes).append(" ONNX nodes → ")
                .append(p.steps().size()).append(" steps, ").append(p.launches()).append(" launches, fusion ").append(fusion).append('\n');
        for (int i = 0; i < inputIds.length; i++) {
            sb.append("input  '").append(names.get(inputIds[i])).append("' ").append(declaredInputText.get(i)).append(" = ").append(inputShapes.get(i)).append('\n');
        }
        for (int i = 0; i < outputIds.length; i++) sb.append("output '").append(names.get(outputIds[i])).append("' ").append(p.outputShapes().get(i)).append('\n');
        sb.append(String.format(Locale.ROOT, "memory: peak intermediates %s, weights %s%n", mib(p.peakBytes()), mib(p.weightBytes())));
        int opW = 0, srcW = 0;
        for (GraphPlan.Step s : p.steps()) {
            opW = Math.max(opW, s.op().length());
            srcW = Math.max(srcW, s.opTypes().length());
        }
        sb.append("steps:\n");
        int launch = 0;
        for (int i = 0; i < p.steps().size(); i++) {
            GraphPlan.Step s = p.steps().get(i);
            String l = s.launches() == 0 ? "   -  " : s.launches() == 1 ? String.format("%5d ", launch) : String.format("%2d-%-3d", launch, launch + s.launches() - 1);
            launch += s.launches();
            sb.append(String.format(Locale.ROOT, "  %-3d %s %-" + opW + "s  %-" + srcW + "s  %s", i, l, s.op(), s.opTypes(), s.operands()).stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    @Override public String toString() {
        return "Graph '" + name + "' (" + origin + ", " + sourceNodes + " ONNX nodes, " + fused.size() + " fused steps)";
    }
}
