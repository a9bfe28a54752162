package dev.jkernels.graph;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

/**
 * Where each graph op runs. Conv, Gemm and activations are the backends' own ops (the fused kernels);
 * the CNN ops (pooling, batch norm, softmax, add/mul, concat, the residual in the conv epilogue) are
 * issue 14's {@code Backend} ops. Until those are on the backend, this class runs the missing ones
 * through {@link HostOps} (a copy to the host and back), and {@link #hostNote} marks them in describe().
 */
final class GraphOps {
    private GraphOps() {}

    static String hostNote(String op) { return " (host)"; }

    static Tensor upload(Backend b, float[] data, Shape s) {
        return b.tensor(data, Layout.defaultFor(s.rank()), s.dims());
    }

    /** act(conv + bias + residual): conv (+bias) in one launch, then the residual add and the activation. */
    static Tensor convResidual(Backend b, Conv2dSpec spec, Activation act, Tensor x, Tensor w, Tensor bias, Tensor residual) {
        Tensor y = b.conv2d(spec, x, w, bias);
        try {
            float[] r = HostOps.binary(y.toArray(), y.dims(), residual.toArray(), residual.dims(), y.dims(), BinaryKind.ADD);
            y.copyFrom(r);
            if (!act.isIdentity()) b.activation(act, y, y);
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    static int convResidualLaunches(Activation act) { return act.isIdentity() ? 2 : 3; }

    static String binaryName(BinaryKind k) {
        switch (k) {
            case ADD: return "add" + hostNote("add");
            case MUL: return "multiply" + hostNote("multiply");
            default: return "prelu(per-channel slopes)" + hostNote("prelu");
        }
    }

    static Tensor binary(Backend b, BinaryKind kind, Tensor x, Tensor y, Shape out) {
        return upload(b, HostOps.binary(x.toArray(), x.dims(), y.toArray(), y.dims(), out.dims(), kind), out);
    }

    static Tensor pool(Backend b, PoolParams p, Tensor x, Shape out) {
        int[] d = x.dims();
        return upload(b, HostOps.pool2d(x.toArray(), d[0], d[1], d[2], d[3], p, out.dim(2), out.dim(3)), out);
    }

    static Tensor globalPool(Backend b, boolean max, Tensor x, Shape out) {
        int nc = x.dim(0) * x.dim(1);
        return upload(b, HostOps.globalPool(x.toArray(), nc, (int) (x.size() / nc), max), out);
    }

    static Tensor batchNorm(Backend b, Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, float eps, Shape out) {
        float[] g = gamma.toArray(), be = beta.toArray(), m = mean.toArray(), v = var.toArray();
        float[] scale = new float[g.length], shift = new float[g.length];
        for (int c = 0; c < g.length; c++) {
            double s = g[c] / Math.sqrt((double) v[c] + eps);
            scale[c] = (float) s;
            shift[c] = (float) (be[c] - m[c] * s);
        }
        int n = x.dim(0), c = x.dim(1);
        return upload(b, HostOps.channelAffine(x.toArray(), n, c, (int) (x.size() / ((long) n * c)), scale, shift), out);
    }

    static Tensor softmax(Backend b, Tensor x, int axis, boolean log, boolean legacy, Shape out) {
        int[] d = x.dims();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= d[i];
        for (int i = axis + 1; i < d.length; i++) inner *= d[i];
        int mid = d[axis];
        if (legacy) {   // opset < 13: the input is coerced to 2-D [outer, rest] and the softmax runs over rest
            mid *= inner;
            inner = 1;
        }
        return upload(b, HostOps.softmax(x.toArray(), outer, mid, inner, log), out);
    }

    static Tensor concat(Backend b, int axis, Tensor[] in, Shape out) {
        float[][] xs = new float[in.length][];
        int[][] shapes = new int[in.length][];
        for (int i = 0; i < in.length; i++) {
            xs[i] = in[i].toArray();
            shapes[i] = in[i].dims();
        }
        return upload(b, HostOps.concat(xs, shapes, axis, out.dims()), out);
    }
}
