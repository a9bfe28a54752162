package dev.jkernels.graph;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * One op of a {@link Graph}: the value ids it reads (constants included) and the one it writes, its
 * shape rule and how it runs on a backend. Immutable; the fusion passes make new nodes.
 */
abstract class Node {
    /** The ONNX node(s) this op came from, joined with '+' when fused: "Conv_0+BatchNormalization_1+Relu_2". */
    final String source;
    /** Their op types, joined the same way: "Conv+BatchNormalization+Relu". */
    final String opTypes;
    final int[] inputs;
    final int output;

    Node(String source, String opTypes, int[] inputs, int output) {
        this.source = source;
        this.opTypes = opTypes;
        this.inputs = inputs;
        this.output = output;
    }

    /** The output shape; IllegalArgumentException naming what is wrong. */
    abstract Shape infer(Shape[] in);

    /** Runs on {@code in} (the tensors of {@link #inputs}); returns the output (in[0] itself when in place). */
    abstract Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace);

    /** The op as the backend sees it, for describe(). */
    abstract String op();

    /** True when the output is a view of input 0 (no launch, no memory). */
    boolean isView() { return false; }

    /** True when the op may write its output over input 0 (element-wise, same shape). */
    boolean inPlaceCapable() { return false; }

    /** Launches this op makes (0 for a view). */
    int launches() { return isView() ? 0 : 1; }

    /** The operands for describe(), with shapes. */
    String operands(Shape[] in, Shape out) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < in.length; i++) sb.append(i == 0 ? "" : ", ").append(in[i]);
        return sb.append(" → ").append(out).toString();
    }

    String where() { return "node '" + source + "' (" + opTypes + ")"; }

    static Tensor alloc(Backend b, Shape s) { return b.zeros(Layout.defaultFor(s.rank()), s.dims()); }

    /** A view of {@code t}'s memory with {@code s}; the graph's executor owns the memory. */
    static Tensor view(Tensor t, Shape s) {
        return Tensor.ofStorage(t.backend(), t.storage(), s, Layout.defaultFor(s.rank()));
    }

    static void rank(Shape s, int rank, String what) {
        if (s.rank() != rank) throw new IllegalArgumentException(what + ": expected a " + rank + "-D shape, got " + s);
    }

    // ---- Conv (+ folded BN, + bias, + residual, + activation) -------------------------------------

    static final class Conv extends Node {
        final int strideH, strideW, dilationH, dilationW, groups;
        final int[] pads;          // top, left, bottom, right (ONNX order)
        final String autoPad;
        final boolean hasBias;
        final Activation activation;
        final boolean residual;    // inputs[3] (or [2] without bias) is added before the activation
        /** The unfused nodes this one replaced (for describe); empty when it is an ONNX Conv as is. */
        final List<Node> parts;

        Conv(String source, String opTypes, int[] inputs, int output, int sh, int sw, int dh, int dw, int groups, int[] pads,
             String autoPad, boolean hasBias, Activation activation, boolean residual, List<Node> parts) {
            super(source, opTypes, inputs, output);
            this.strideH = sh;
            this.strideW = sw;
            this.dilationH = dh;
            this.dilationW = dw;
            this.groups = groups;
            this.pads = pads.clone();
            this.autoPad = autoPad;
            this.hasBias = hasBias;
            this.activation = activation;
            this.residual = residual;
            this.parts = List.copyOf(parts);
        }

        Conv with(String source, String opTypes, int[] inputs, int output, boolean hasBias, Activation act, boolean residual, List<Node> parts) {
            return new Conv(source, opTypes, inputs, output, strideH, strideW, dilationH, dilationW, groups, pads, autoPad,
                    hasBias, act, residual, parts);
        }

        int residualInput() { return residual ? inputs[hasBias ? 3 : 2] : -1; }

        Conv2dSpec spec(Shape in, Shape w) {
            Padding p;
            switch (autoPad) {
                case "SAME_UPPER": p = Padding.same(); break;
                case "VALID": p = Padding.valid(); break;
                case "SAME_LOWER": {
                    int[] th = PoolParams.samePad(in.dim(2), w.dim(2), strideH, dilationH);
                    int[] tw = PoolParams.samePad(in.dim(3), w.dim(3), strideW, dilationW);
                    p = Padding.of(th[1], th[0], tw[1], tw[0]);
                    break;
                }
                default: p = Padding.of(pads[0], pads[2], pads[1], pads[3]);
            }
            return Conv2dSpec.builder().stride(strideH, strideW).dilation(dilationH, dilationW).groups(groups)
                    .padding(p).bias(hasBias).layout(Layout.NCHW).build();
        }

        @Override Shape infer(Shape[] in) {
            rank(in[0], 4, "input (X)");
            rank(in[1], 4, "weight (W)");
            Conv2dGeometry g = spec(in[0], in[1]).geometry(in[0], in[1]);
            Shape out = Shape.of(g.outputDims());
            if (hasBias && !in[2].sameAs(g.k())) {
                throw new IllegalArgumentException("bias (B): expected shape [" + g.k() + "], got " + in[2]);
            }
            if (residual && !in[hasBias ? 3 : 2].equals(out)) {
                throw new IllegalArgumentException("residual: expected the output's shape " + out + ", got " + in[hasBias ? 3 : 2]);
            }
            return out;
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            Conv2dSpec spec = spec(in[0].shape(), in[1].shape());
            Tensor bias = hasBias ? in[2] : null;
            if (residual) return GraphOps.convResidual(b, spec, activation, in[0], in[1], bias, in[hasBias ? 3 : 2]);
            if (activation.isIdentity()) return b.conv2d(spec, in[0], in[1], bias);
            return b.conv2dActivation(spec, activation, in[0], in[1], bias);
        }

        @Override int launches() { return residual ? GraphOps.convResidualLaunches(activation) : 1; }

        @Override String op() {
            if (!residual && activation.isIdentity()) return hasBias ? "conv2d(bias)" : "conv2d";
            StringBuilder sb = new StringBuilder("conv2dActivation(");
            sb.append(activation);
            if (hasBias) sb.append(", bias");
            if (residual) sb.append(", residual");
            return sb.append(')').toString();
        }

        @Override String operands(Shape[] in, Shape out) {
            Conv2dSpec s = spec(in[0], in[1]);
            return in[0] + " ⊛ W" + in[1] + (hasBias ? " + b" + in[2] : "") + (residual ? " + r" + in[hasBias ? 3 : 2] : "")
                    + " → " + out + " (stride " + strideH + "x" + strideW + ", padding " + s.padding()
                    + (dilationH * dilationW != 1 ? ", dilation " + dilationH + "x" + dilationW : "")
                    + (groups != 1 ? ", groups " + groups : "") + ")";
        }
    }

    // ---- Gemm / MatMul (+ bias + activation) -----------------------------------------------------

    static final class Gemm extends Node {
        final boolean transA, transB, hasBias;
        final float alpha;
        final Activation activation;

        Gemm(String source, String opTypes, int[] inputs, int output, boolean transA, boolean transB, float alpha,
             boolean hasBias, Activation activation) {
            super(source, opTypes, inputs, output);
            this.transA = transA;
            this.transB = transB;
            this.alpha = alpha;
            this.hasBias = hasBias;
            this.activation = activation;
        }

        Gemm with(String source, String opTypes, int[] inputs, int output, boolean hasBias, Activation act) {
            return new Gemm(source, opTypes, inputs, output, transA, transB, alpha, hasBias, act);
        }

        GemmSpec spec() {
            return GemmSpec.builder().transA(transA).transB(transB).alpha(alpha).bias(hasBias).activation(activation).build();
        }

        /** N, from B's shape. */
        int n(Shape b) { return transB ? b.dim(0) : b.dim(1); }

        @Override Shape infer(Shape[] in) {
            rank(in[0], 2, "A");
            rank(in[1], 2, "B");
            int m = transA ? in[0].dim(1) : in[0].dim(0), k = transA ? in[0].dim(0) : in[0].dim(1);
            int kb = transB ? in[1].dim(1) : in[1].dim(0), n = n(in[1]);
            if (k != kb) {
                throw new IllegalArgumentException("B: expected " + (transB ? "[N, " + k + "]" : "[" + k + ", N]") + " to match A "
                        + in[0] + (transA ? " (transA)" : "") + ", got " + in[1] + (transB ? " (transB)" : ""));
            }
            if (hasBias && !in[2].sameAs(n)) throw new IllegalArgumentException("bias (C): expected shape [" + n + "], got " + in[2]);
            return Shape.of(m, n);
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return b.gemm(spec(), in[0], in[1], hasBias ? in[2] : null);
        }

        @Override String op() {
            StringBuilder sb = new StringBuilder("gemm(");
            String sep = "";
            if (transA) { sb.append("transA"); sep = ", "; }
            if (transB) { sb.append(sep).append("transB"); sep = ", "; }
            if (alpha != 1f) { sb.append(sep).append("alpha ").append(alpha); sep = ", "; }
            if (hasBias) { sb.append(sep).append("bias"); sep = ", "; }
            if (!activation.isIdentity()) sb.append(sep).append(activation);
            return sb.append(')').toString();
        }

        @Override String operands(Shape[] in, Shape out) {
            return in[0] + (transA ? "ᵀ" : "") + " · " + in[1] + (transB ? "ᵀ" : "") + (hasBias ? " + b" + in[2] : "") + " → " + out;
        }
    }

    /** Gemm with a C that is not a constant [N] bias: Y = alpha·A·B + beta·C, C broadcast to [M, N] first. */
    static final class GemmC extends Node {
        final boolean transA, transB;
        final float alpha, beta;

        GemmC(String source, String opTypes, int[] inputs, int output, boolean transA, boolean transB, float alpha, float beta) {
            super(source, opTypes, inputs, output);
            this.transA = transA;
            this.transB = transB;
            this.alpha = alpha;
            this.beta = beta;
        }

        @Override Shape infer(Shape[] in) {
            Shape mn = new Gemm(source, opTypes, new int[] {inputs[0], inputs[1]}, output, transA, transB, alpha, false, Activation.identity())
                    .infer(new Shape[] {in[0], in[1]});
            Shape b = Binary.broadcast(mn, in[2], false);
            if (!b.equals(mn)) throw new IllegalArgumentException("C: " + in[2] + " does not broadcast to the output " + mn);
            return mn;
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            float[] c = HostOps.binary(new float[] {0f}, new int[] {1}, in[2].toArray(), in[2].dims(), out.dims(), BinaryKind.ADD);
            Tensor y = GraphOps.upload(b, c, out);
            try {
                b.gemm(GemmSpec.builder().transA(transA).transB(transB).alpha(alpha).beta(beta).build(), in[0], in[1], null, y);
                return y;
            } catch (RuntimeException | Error e) {
                y.close();
                throw e;
            }
        }

        @Override String op() { return "gemm(" + (transA ? "transA, " : "") + (transB ? "transB, " : "") + "alpha " + alpha + ", beta " + beta + ", C broadcast)"; }
    }

    // ---- element-wise ----------------------------------------------------------------------------

    static final class Act extends Node {
        final Activation activation;

        Act(String source, String opTypes, int[] inputs, int output, Activation activation) {
            super(source, opTypes, inputs, output);
            this.activation = activation;
        }

        @Override Shape infer(Shape[] in) { return in[0]; }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            if (inPlace) {
                b.activation(activation, in[0], in[0]);
                return in[0];
            }
            Tensor y = b.zeros(in[0].layout(), out.dims());
            try {
                b.activation(activation, in[0], y);
            } catch (RuntimeException | Error e) {
                y.close();
                throw e;
            }
            return y;
        }

        @Override boolean inPlaceCapable() { return true; }

        @Override String op() { return "activation(" + activation + ")"; }
    }

    static final class Binary extends Node {
        final BinaryKind kind;

        Binary(String source, String opTypes, int[] inputs, int output, BinaryKind kind) {
            super(source, opTypes, inputs, output);
            this.kind = kind;
        }

        @Override Shape infer(Shape[] in) { return broadcast(in[0], in[1], kind == BinaryKind.PRELU); }

        static Shape broadcast(Shape a, Shape b, boolean intoA) {
            int rank = Math.max(a.rank(), b.rank());
            int[] out = new int[rank];
            for (int i = 0; i < rank; i++) {
                int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
                int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
                if (da != db && da != 1 && db != 1) {
                    throw new IllegalArgumentException("inputs " + a + " and " + b + " do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
                }
                out[i] = da == 1 ? db : da;
            }
            Shape s = Shape.of(out);
            if (intoA && !s.equals(a)) throw new IllegalArgumentException("slope " + b + " must broadcast into X " + a);
            return s;
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.binary(b, kind, in[0], in[1], out);
        }

        @Override int launches() { return 1; }

        @Override String op() { return GraphOps.binaryName(kind); }
    }

    // ---- pooling, normalisation, softmax -------------------------------------------------------

    static final class Pool extends Node {
        final PoolParams params;

        Pool(String source, String opTypes, int[] inputs, int output, PoolParams params) {
            super(source, opTypes, inputs, output);
            this.params = params;
        }

        @Override Shape infer(Shape[] in) {
            rank(in[0], 4, "input (X)");
            PoolParams p = params.resolve(in[0].dim(2), in[0].dim(3));
            int[] o = p.outHW(in[0].dim(2), in[0].dim(3));
            if (o[0] < 1 || o[1] < 1) {
                throw new IllegalArgumentException("the " + p + " window gives an output of " + o[0] + "x" + o[1] + " on input " + in[0]);
            }
            return Shape.of(in[0].dim(0), in[0].dim(1), o[0], o[1]);
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.pool(b, params.resolve(in[0].dim(2), in[0].dim(3)), in[0], out);
        }

        @Override String op() { return (params.max ? "maxPool(" : "avgPool(") + params + ")" + GraphOps.hostNote("pool"); }
    }

    static final class GlobalPool extends Node {
        final boolean max;

        GlobalPool(String source, String opTypes, int[] inputs, int output, boolean max) {
            super(source, opTypes, inputs, output);
            this.max = max;
        }

        @Override Shape infer(Shape[] in) {
            if (in[0].rank() < 3) throw new IllegalArgumentException("input (X): expected [N, C, spatial...], got " + in[0]);
            int[] d = in[0].dims();
            for (int i = 2; i < d.length; i++) d[i] = 1;
            return Shape.of(d);
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.globalPool(b, max, in[0], out);
        }

        @Override String op() { return (max ? "globalMaxPool" : "globalAvgPool") + GraphOps.hostNote("pool"); }
    }

    static final class BatchNorm extends Node {
        final float epsilon;

        /** inputs: x, scale (γ), B (β), mean, var. */
        BatchNorm(String source, String opTypes, int[] inputs, int output, float epsilon) {
            super(source, opTypes, inputs, output);
            this.epsilon = epsilon;
        }

        @Override Shape infer(Shape[] in) {
            if (in[0].rank() < 2) throw new IllegalArgumentException("input (X): expected [N, C, ...], got " + in[0]);
            int c = in[0].dim(1);
            String[] names = {"X", "scale", "B", "input_mean", "input_var"};
            for (int i = 1; i < 5; i++) {
                if (!in[i].sameAs(c)) throw new IllegalArgumentException(names[i] + ": expected shape [" + c + "] (the channels of X " + in[0] + "), got " + in[i]);
            }
            return in[0];
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.batchNorm(b, in[0], in[1], in[2], in[3], in[4], epsilon, out);
        }

        @Override String op() { return "batchNorm(ε " + epsilon + ")" + GraphOps.hostNote("batchNorm"); }
    }

    static final class Softmax extends Node {
        final int axis;
        final boolean log, legacy;   // legacy: opset < 13, softmax over the flattened dims from axis on

        Softmax(String source, String opTypes, int[] inputs, int output, int axis, boolean log, boolean legacy) {
            super(source, opTypes, inputs, output);
            this.axis = axis;
            this.log = log;
            this.legacy = legacy;
        }

        int axis(int rank) {
            int a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
            return a;
        }

        @Override Shape infer(Shape[] in) {
            axis(in[0].rank());
            return in[0];
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.softmax(b, in[0], axis(in[0].rank()), log, legacy, out);
        }

        @Override String op() { return (log ? "logSoftmax(axis " : "softmax(axis ") + axis + (legacy ? ", 2-D coerced" : "") + ")" + GraphOps.hostNote("softmax"); }
    }

    // ---- shape ops -------------------------------------------------------------------------------

    /** Flatten(axis), Reshape(constant shape), Identity, Dropout: a view of the input. */
    static final class Reshape extends Node {
        final long[] shape;      // Reshape's constant shape (0 and -1 as ONNX defines); null for Flatten/Identity
        final int flattenAxis;   // Flatten's axis; Integer.MIN_VALUE when not a Flatten
        final boolean allowZero;

        Reshape(String source, String opTypes, int[] inputs, int output, long[] shape, int flattenAxis, boolean allowZero) {
            super(source, opTypes, inputs, output);
            this.shape = shape == null ? null : shape.clone();
            this.flattenAxis = flattenAxis;
            this.allowZero = allowZero;
        }

        @Override Shape infer(Shape[] in) {
            Shape x = in[0];
            if (flattenAxis != Integer.MIN_VALUE) {
                int a = flattenAxis < 0 ? flattenAxis + x.rank() : flattenAxis;
                if (a < 0 || a > x.rank()) throw new IllegalArgumentException("axis " + flattenAxis + " is out of range for " + x);
                long outer = 1;
                for (int i = 0; i < a; i++) outer *= x.dim(i);
                return Shape.of((int) outer, (int) (x.elementCount() / Math.max(outer, 1)));
            }
            if (shape == null) return x;
            int[] d = new int[shape.length];
            int infer = -1;
            long known = 1;
            for (int i = 0; i < d.length; i++) {
                long v = shape[i];
                if (v == 0 && !allowZero) {
                    if (i >= x.rank()) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": 0 at " + i + " copies a dimension " + x + " does not have");
                    v = x.dim(i);
                }
                if (v == -1) {
                    if (infer >= 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than one -1");
                    infer = i;
                    continue;
                }
                if (v < 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": bad dimension " + v);
                d[i] = (int) v;
                known *= v;
            }
            if (infer >= 0) {
                if (known == 0 || x.elementCount() % known != 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not fit the " + x.elementCount() + " elements of " + x);
                }
                d[infer] = (int) (x.elementCount() / known);
            }
            Shape s = Shape.of(d);
            if (s.elementCount() != x.elementCount()) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " → " + s + " holds " + s.elementCount()
                        + " elements, input " + x + " holds " + x.elementCount());
            }
            return s;
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) { return view(in[0], out); }

        @Override boolean isView() { return true; }

        @Override String op() {
            if (flattenAxis != Integer.MIN_VALUE) return "flatten(axis " + flattenAxis + ", no launch)";
            return shape == null ? "identity (no launch)" : "reshape(" + Arrays.toString(shape) + ", no launch)";
        }
    }

    static final class Concat extends Node {
        final int axis;

        Concat(String source, String opTypes, int[] inputs, int output, int axis) {
            super(source, opTypes, inputs, output);
            this.axis = axis;
        }

        int axis(int rank) {
            int a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
            return a;
        }

        @Override Shape infer(Shape[] in) {
            int a = axis(in[0].rank());
            int[] d = in[0].dims();
            for (int i = 1; i < in.length; i++) {
                if (in[i].rank() != d.length) throw new IllegalArgumentException("input " + i + ": rank of " + in[i] + " differs from input 0 " + in[0]);
                for (int k = 0; k < d.length; k++) {
                    if (k != a && in[i].dim(k) != d[k]) {
                        throw new IllegalArgumentException("input " + i + ": " + in[i] + " differs from input 0 " + in[0] + " outside axis " + axis);
                    }
                }
                d[a] += in[i].dim(a);
            }
            return Shape.of(d);
        }

        @Override Tensor run(Backend b, Tensor[] in, Shape out, boolean inPlace) {
            return GraphOps.concat(b, axis(out.rank()), in, out);
        }

        @Override String op() { return "concat(axis " + axis + ")" + GraphOps.hostNote("concat"); }
    }
}
