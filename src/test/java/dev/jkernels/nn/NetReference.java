package dev.jkernels.nn;

import dev.jkernels.Layout;
import dev.jkernels.Padding;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.testing.CnnReference;
import dev.jkernels.testing.PoolCase;

/**
 * A whole network's forward pass in double precision, layer by layer, from each layer's host
 * weights and literal parameters through the naive loops of {@link NnReference} and
 * {@link CnnReference}: no fusion, no folding, nothing of the code under test but the layers'
 * getters. Output sizes come from the reference formulas.
 */
final class NetReference {
    private NetReference() {}

    /** The output and its shape. */
    record Result(double[] y, int[] dims) {}

    static Result forward(Layer layer, double[] x, int[] dims, Layout layout) {
        if (layer instanceof Sequential seq) {
            Result r = new Result(x, dims);
            Layout l = layout;
            for (Layer inner : seq.layers()) {
                r = forward(inner, r.y, r.dims, l);
                if (inner instanceof Flatten) l = Layout.PLAIN;
            }
            return r;
        }
        if (layer instanceof Conv2d c) {
            boolean nchw = layout == Layout.NCHW;
            int n = dims[0], ch = nchw ? dims[1] : dims[3], h = nchw ? dims[2] : dims[1], w = nchw ? dims[3] : dims[2];
            var sp = c.spec();
            int[] pads = sp.padding().equals(Padding.same()) ? null : sp.padding().equals(Padding.valid()) ? new int[4]
                    : sp.padding().resolve(h, w, c.kernelH(), c.kernelW(), sp.strideH(), sp.strideW(), sp.dilationH(), sp.dilationW());
            NnReference.Conv cv = new NnReference.Conv(n, ch, h, w, c.outChannels(), c.kernelH(), c.kernelW(), sp.strideH(),
                    sp.strideW(), pads, sp.dilationH(), sp.dilationW(), sp.groups(), layout);
            return new Result(NnReference.conv(x, cv, c.weight(), c.bias(), c.activation()), cv.outputDims());
        }
        if (layer instanceof BatchNorm2d bn) {
            int axis = layout == Layout.NHWC ? 3 : 1, inner = 1;
            for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
            float[] g = bn.weight(), b = bn.bias(), m = bn.runningMean(), v = bn.runningVar();
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int k = (i / inner) % dims[axis];
                y[i] = (x[i] - m[k]) / Math.sqrt((double) v[k] + bn.eps()) * g[k] + b[k];
            }
            return new Result(y, dims);
        }
        if (layer instanceof ActivationLayer a) return new Result(NnReference.activation(x, a.activation()), dims);
        if (layer instanceof PoolLayer p) {
            PoolCase pc = poolCase(p.spec(), dims, layout);
            return new Result(CnnReference.pool2d(pc, x), CnnReference.poolOutputDims(pc));
        }
        if (layer instanceof Flatten) {
            int rest = 1;
            for (int d = 1; d < dims.length; d++) rest *= dims[d];
            return new Result(x, new int[] {dims[0], rest});
        }
        if (layer instanceof Linear l) {
            return new Result(NnReference.linear(x, dims[0], l.inFeatures(), l.outFeatures(), l.weight(), l.bias(), l.activation()),
                    new int[] {dims[0], l.outFeatures()});
        }
        if (layer instanceof Softmax s) {
            int axis = s.dim() < 0 ? s.dim() + dims.length : s.dim();
            return new Result(CnnReference.softmax(x, dims, axis, s.isLog()), dims);
        }
        if (layer instanceof ResidualBlock rb) {
            Result m = forward(rb.mainPath(), x, dims, layout);
            Result sc = rb.shortcut() == null ? new Result(x, dims) : forward(rb.shortcut(), x, dims, layout);
            double[] y = new double[m.y.length];
            for (int i = 0; i < y.length; i++) y[i] = dev.jkernels.testing.Reference.activation(rb.activation(), m.y[i] + sc.y[i]);
            return new Result(y, m.dims);
        }
        throw new AssertionError("no reference for " + layer.name());
    }

    private static PoolCase poolCase(Pool2dSpec s, int[] dims, Layout layout) {
        boolean nchw = layout == Layout.NCHW;
        int n = dims[0], c = nchw ? dims[1] : dims[3], h = nchw ? dims[2] : dims[1], w = nchw ? dims[3] : dims[2];
        boolean max = s.kind() == Pool2dSpec.Kind.MAX;
        PoolCase pc;
        if (s.isGlobal()) pc = PoolCase.global(max, n, c, h, w);
        else if (s.isAdaptive()) pc = PoolCase.adaptive(max, n, c, h, w, s.adaptiveOutH(), s.adaptiveOutW());
        else {
            pc = (max ? PoolCase.max(n, c, h, w, s.kernelH(), s.kernelW()) : PoolCase.avg(n, c, h, w, s.kernelH(), s.kernelW()))
                    .stride(s.strideH(), s.strideW()).dilation(s.dilationH(), s.dilationW()).ceil(s.ceilMode())
                    .includePad(s.countIncludePad());
            if (s.padding().equals(Padding.same())) pc = pc.same();
            else {
                int[] p = s.padding().resolve(h, w, s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.dilationH(), s.dilationW());
                pc = pc.pad(p[0], p[1], p[2], p[3]);
            }
        }
        return pc.layout(layout);
    }

    static Shape shape(int[] dims) { return Shape.of(dims); }
}
