package dev.jkernels.graph;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BinaryOp;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * Where each graph op runs: the backends' own ops (docs/cnn-ops.md) — conv with bias, residual and
 * activation in one launch, GEMM, activations, pooling, batch norm, softmax, add/multiply, concat.
 * {@link HostOps} (a copy to the host and back; marked "(host)" in describe()) is left for what no
 * backend op covers: a two-sided broadcast, PRelu with per-channel slopes as a tensor, element-wise
 * functions that are not jkernels activations, and pooling over other than 2-D.
 */
final class GraphOps {
    private GraphOps() {}

    static Tensor upload(Backend b, float[] data, Shape s) {
        return b.tensor(data, Layout.defaultFor(s.rank()), s.dims());
    }

    /** act(conv + bias + residual) in one launch. */
    static Tensor convResidual(Backend b, Conv2dSpec spec, Activation act, Tensor x, Tensor w, Tensor bias, Tensor residual) {
        return b.conv2dActivationResidual(spec, act, x, w, bias, residual);
    }

    static int convResidualLaunches(Activation act) { return 1; }

    static String binaryName(BinaryKind k) {
        switch (k) {
            case ADD: return "add";
            case MUL: return "multiply";
            default: return "prelu(per-channel slopes) (host)";
        }
    }

    /** Whether the backend's binary op takes these shapes: one operand broadcast into the other's shape. */
    static boolean oneSided(Shape a, Shape b, Shape out) { return a.equals(out) || b.equals(out); }

    static Tensor binary(Backend b, BinaryKind kind, Tensor x, Tensor y, Shape out) {
        if (kind != BinaryKind.PRELU && oneSided(x.shape(), y.shape(), out) && x.rank() >= y.rank() == x.shape().equals(out)) {
            try {
                return b.binary(kind == BinaryKind.ADD ? BinaryOp.ADD : BinaryOp.MULTIPLY, x, y);
            } catch (IllegalArgumentException unsupportedPattern) {
                // a broadcast pattern the backend op does not take (docs/cnn-ops.md): the host path below
            }
        }
        return upload(b, HostOps.binary(x.toArray(), x.dims(), y.toArray(), y.dims(), out.dims(), kind), out);
    }

    static Tensor pool(Backend b, PoolParams p, Tensor x, Shape out) {
        Pool2dSpec.Builder s = p.max ? Pool2dSpec.max(p.kernelH, p.kernelW) : Pool2dSpec.avg(p.kernelH, p.kernelW);
        Pool2dSpec spec = s.stride(p.strideH, p.strideW).padding(Padding.of(p.pads[0], p.pads[2], p.pads[1], p.pads[3]))
                .dilation(p.dilationH, p.dilationW).ceilMode(p.ceil).countIncludePad(p.countIncludePad).layout(Layout.NCHW).build();
        return b.pool2d(spec, x);
    }

    static Tensor globalPool(Backend b, boolean max, Tensor x, Shape out) {
        if (x.rank() == 4) return b.pool2d(max ? Pool2dSpec.globalMax(Layout.NCHW) : Pool2dSpec.globalAvg(Layout.NCHW), x);
        int nc = x.dim(0) * x.dim(1);
        return upload(b, HostOps.globalPool(x.toArray(), nc, (int) (x.size() / nc), max), out);
    }

    static Tensor batchNorm(Backend b, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, float eps, Shape out) {
        return b.batchNorm(x, gamma, beta, mean, var, eps);
    }

    static Tensor softmax(Backend b, Tensor x, int axis, boolean log, boolean legacy, Shape out) {
        if (!legacy || axis == x.rank() - 1) return log ? b.logSoftmax(x, axis) : b.softmax(x, axis);
        // opset < 13: the input coerced to 2-D [outer, rest] and the softmax over rest — a view, one launch, a view back
        int[] d = x.dims();
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= d[i];
        Shape flat = Shape.of((int) outer, (int) (x.size() / outer));
        Tensor view = Node.view(x, flat);
        Tensor y = log ? b.logSoftmax(view, 1) : b.softmax(view, 1);
        return Node.view(y, out);
    }

    static Tensor concat(Backend b, int axis, Tensor[] in, Shape out) {
        return b.concat(axis, in);
    }

    static String hostNote(String op) { return ""; }
}
