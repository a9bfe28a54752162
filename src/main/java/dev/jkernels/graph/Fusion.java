package dev.jkernels.graph;

import dev.jkernels.Activation;
import dev.jkernels.Shape;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fusion passes, run once when a graph is built, on the topologically sorted node list:
 * <ol>
 *   <li>BatchNormalization folded into the Conv before it: W' = W·γ/σ, b' = (b − μ)·γ/σ + β, σ = √(var + ε);</li>
 *   <li>MatMul/Gemm without bias + Add of a constant [N] → Gemm with the bias in its epilogue;</li>
 *   <li>Conv + Add(conv, other) → the conv with {@code other} as the residual in its epilogue;</li>
 *   <li>Conv/Gemm + activation → the activation in the epilogue.</li>
 * </ol>
 * A node is fused into the one before it only when that one's output has no other reader and is not a
 * graph output; the fused node takes the later node's place in the order (so a residual computed
 * after the conv is ready). Each pass makes new nodes; the input list is not changed.
 */
final class Fusion {
    private final List<Constant> constants;   // value id → constant (null for a non-constant value); grows
    private final List<String> names;
    private final Set<Integer> graphOutputs;

    Fusion(List<Constant> constants, List<String> names, Set<Integer> graphOutputs) {
        this.constants = constants;
        this.names = names;
        this.graphOutputs = graphOutputs;
    }

    List<Node> run(List<Node> nodes) {
        List<Node> n = foldBatchNorm(nodes);
        n = gemmBias(n);
        n = residual(n);
        return activations(n);
    }

    private Map<Integer, List<Node>> readers(List<Node> nodes) {
        Map<Integer, List<Node>> r = new HashMap<>();
        for (Node node : nodes) for (int v : node.inputs) r.computeIfAbsent(v, k -> new ArrayList<>()).add(node);
        return r;
    }

    private Map<Integer, Node> producers(List<Node> nodes) {
        Map<Integer, Node> p = new HashMap<>();
        for (Node node : nodes) p.put(node.output, node);
        return p;
    }

    /** The producer of {@code value} when {@code reader} is its only reader and it is not a graph output; else null. */
    private Node soleProducer(int value, Node reader, Map<Integer, Node> prod, Map<Integer, List<Node>> readers) {
        Node p = prod.get(value);
        if (p == null || graphOutputs.contains(value)) return null;
        List<Node> r = readers.get(value);
        return r != null && r.size() == 1 && r.get(0) == reader ? p : null;
    }

    private boolean isConst(int v) { return constants.get(v) != null; }

    private int addConstant(String name, Shape shape, float[] data) {
        constants.add(new Constant(name, shape, data));
        names.add(name);
        return constants.size() - 1;
    }

    /** Replaces {@code later} by {@code fused} and drops {@code earlier}. */
    private static List<Node> replace(List<Node> nodes, Node earlier, Node later, Node fused) {
        List<Node> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            if (n == earlier) continue;
            out.add(n == later ? fused : n);
        }
        return out;
    }

    private static List<Node> parts(Node n) {
        if (n instanceof Node.Conv && !((Node.Conv) n).parts.isEmpty()) return ((Node.Conv) n).parts;
        return List.of(n);
    }

    private static List<Node> join(Node a, Node b) {
        List<Node> l = new ArrayList<>(parts(a));
        l.add(b);
        return l;
    }

    /** One fusion rule: the list after its first fusion in {@code nodes}, or null when it fuses nothing. */
    private interface Rule {
        List<Node> fuseFirst(List<Node> nodes, Map<Integer, Node> producers, Map<Integer, List<Node>> readers);
    }

    /** Applies {@code rule} until it fuses nothing more (each fusion changes who reads what, so the maps are rebuilt). */
    private List<Node> untilFixpoint(List<Node> nodes, Rule rule) {
        List<Node> cur = nodes;
        for (List<Node> next; (next = rule.fuseFirst(cur, producers(cur), readers(cur))) != null; ) cur = next;
        return cur;
    }

    List<Node> foldBatchNorm(List<Node> nodes) { return untilFixpoint(nodes, this::foldFirstBatchNorm); }

    List<Node> gemmBias(List<Node> nodes) { return untilFixpoint(nodes, this::fuseFirstGemmBias); }

    List<Node> residual(List<Node> nodes) { return untilFixpoint(nodes, this::fuseFirstResidual); }

    List<Node> activations(List<Node> nodes) { return untilFixpoint(nodes, this::fuseFirstActivation); }

    private List<Node> foldFirstBatchNorm(List<Node> cur, Map<Integer, Node> prod, Map<Integer, List<Node>> readers) {
        for (Node n : cur) {
            if (!(n instanceof Node.BatchNorm)) continue;
            Node.BatchNorm bn = (Node.BatchNorm) n;
            Node p = soleProducer(bn.inputs[0], bn, prod, readers);
            if (!(p instanceof Node.Conv)) continue;
            Node.Conv c = (Node.Conv) p;
            if (c.residual || !c.activation.isIdentity() || !isConst(c.inputs[1]) || (c.hasBias && !isConst(c.inputs[2]))) continue;
            boolean params = true;
            for (int i = 1; i < 5; i++) params &= isConst(bn.inputs[i]);
            if (!params) continue;
            Constant w = constants.get(c.inputs[1]);
            int k = w.shape.dim(0);
            float[] g = constants.get(bn.inputs[1]).data, be = constants.get(bn.inputs[2]).data;
            float[] mu = constants.get(bn.inputs[3]).data, var = constants.get(bn.inputs[4]).data;
            if (g.length != k || be.length != k || mu.length != k || var.length != k) continue;   // the plan reports the mismatch
            float[] b0 = c.hasBias ? constants.get(c.inputs[2]).data : new float[k];
            float[] w2 = new float[w.data.length], b2 = new float[k];
            int per = w.data.length / k;
            for (int o = 0; o < k; o++) {
                double s = g[o] / Math.sqrt((double) var[o] + bn.epsilon);
                for (int j = 0; j < per; j++) w2[o * per + j] = (float) (w.data[o * per + j] * s);
                b2[o] = (float) ((b0[o] - mu[o]) * s + be[o]);
            }
            int wId = addConstant(w.name + "|bn-folded", w.shape, w2);
            int bId = addConstant(names.get(bn.inputs[2]) + "|bn-folded-bias", Shape.of(k), b2);
            Node.Conv fused = c.with(c.source + "+" + bn.source, c.opTypes + "+" + bn.opTypes,
                    new int[] {c.inputs[0], wId, bId}, bn.output, true, Activation.identity(), false, join(c, bn));
            return replace(cur, c, bn, fused);
        }
        return null;
    }

    private List<Node> fuseFirstGemmBias(List<Node> cur, Map<Integer, Node> prod, Map<Integer, List<Node>> readers) {
        for (Node n : cur) {
            if (!(n instanceof Node.Binary) || ((Node.Binary) n).kind != BinaryKind.ADD) continue;
            for (int side = 0; side < 2; side++) {
                int v = n.inputs[side], other = n.inputs[1 - side];
                Node p = soleProducer(v, n, prod, readers);
                if (!(p instanceof Node.Gemm) || !isConst(other)) continue;
                Node.Gemm g = (Node.Gemm) p;
                if (g.hasBias || !g.activation.isIdentity() || !isConst(g.inputs[1])) continue;
                int nn = g.n(constants.get(g.inputs[1]).shape);
                Shape cs = constants.get(other).shape;
                if (!(cs.sameAs(nn) || cs.sameAs(1, nn))) continue;
                int bId = other;
                if (cs.rank() != 1) bId = addConstant(names.get(other) + "|bias", Shape.of(nn), constants.get(other).data);
                Node fused = g.with(g.source + "+" + n.source, g.opTypes + "+" + n.opTypes, new int[] {g.inputs[0], g.inputs[1], bId},
                        n.output, true, Activation.identity());
                return replace(cur, g, n, fused);
            }
        }
        return null;
    }

    private List<Node> fuseFirstResidual(List<Node> cur, Map<Integer, Node> prod, Map<Integer, List<Node>> readers) {
        for (Node n : cur) {
            if (!(n instanceof Node.Binary) || ((Node.Binary) n).kind != BinaryKind.ADD) continue;
            for (int side = 0; side < 2; side++) {
                int v = n.inputs[side], other = n.inputs[1 - side];
                Node p = soleProducer(v, n, prod, readers);
                if (!(p instanceof Node.Conv) || isConst(other) || other == v) continue;
                Node.Conv c = (Node.Conv) p;
                if (c.residual || !c.activation.isIdentity()) continue;
                int[] in = new int[c.inputs.length + 1];
                System.arraycopy(c.inputs, 0, in, 0, c.inputs.length);
                in[c.inputs.length] = other;
                Node fused = c.with(c.source + "+" + n.source, c.opTypes + "+" + n.opTypes, in, n.output, c.hasBias,
                        Activation.identity(), true, join(c, n));
                return replace(cur, c, n, fused);
            }
        }
        return null;
    }

    private List<Node> fuseFirstActivation(List<Node> cur, Map<Integer, Node> prod, Map<Integer, List<Node>> readers) {
        for (Node n : cur) {
            if (!(n instanceof Node.Act)) continue;
            Node p = soleProducer(n.inputs[0], n, prod, readers);
            Activation a = ((Node.Act) n).activation;
            Node fused = null;
            if (p instanceof Node.Conv && ((Node.Conv) p).activation.isIdentity()) {
                Node.Conv c = (Node.Conv) p;
                fused = c.with(c.source + "+" + n.source, c.opTypes + "+" + n.opTypes, c.inputs, n.output, c.hasBias, a, c.residual, join(c, n));
            } else if (p instanceof Node.Gemm && ((Node.Gemm) p).activation.isIdentity()) {
                Node.Gemm g = (Node.Gemm) p;
                fused = g.with(g.source + "+" + n.source, g.opTypes + "+" + n.opTypes, g.inputs, n.output, g.hasBias, a);
            }
            if (fused != null) return replace(cur, p, n, fused);
        }
        return null;
    }
}
