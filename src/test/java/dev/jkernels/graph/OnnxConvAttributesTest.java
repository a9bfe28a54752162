package dev.jkernels.graph;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.onnx.Onnx;
import dev.jkernels.onnx.OnnxWriter.Model;
import dev.jkernels.onnx.OnnxWriter.Msg;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.jkernels.onnx.OnnxWriter.*;

/**
 * ONNX Conv attributes as the importer maps them — group, dilations, strides, asymmetric pads and
 * every auto_pad — against a direct double-precision convolution written from the ONNX spec, with
 * odd sizes, on CPU and EMULATED.
 */
class OnnxConvAttributesTest {

    record Case(String name, int c, int k, int group, int h, int w, int r, int s, int[] strides, int[] dil, int[] pads, String autoPad) {}

    static Stream<Arguments> cases() {
        List<Case> cs = List.of(
                new Case("depthwise dilated strided", 6, 6, 6, 13, 11, 3, 3, new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 2, 2, 1}, null),
                new Case("grouped 2, asymmetric pads", 4, 6, 2, 9, 7, 3, 2, new int[] {1, 2}, new int[] {1, 1}, new int[] {0, 1, 2, 0}, null),
                new Case("same_upper stride 2", 3, 5, 1, 8, 9, 4, 3, new int[] {2, 2}, new int[] {1, 1}, null, "SAME_UPPER"),
                new Case("same_lower stride 2", 3, 5, 1, 8, 9, 4, 3, new int[] {2, 2}, new int[] {1, 1}, null, "SAME_LOWER"),
                new Case("valid 1x1 stride 3", 5, 7, 1, 10, 10, 1, 1, new int[] {3, 3}, new int[] {1, 1}, null, "VALID"));
        List<Arguments> a = new ArrayList<>();
        for (BackendKind k : new BackendKind[] {BackendKind.CPU, BackendKind.EMULATED}) for (Case c : cs) a.add(Arguments.of(k, c));
        return a.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void matchesTheSpec(BackendKind kind, Case c) {
        SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
        int n = 2, cg = c.c() / c.group();
        float[] x = GraphTest.rand(rnd, n * c.c() * c.h() * c.w(), -1, 1), w = GraphTest.rand(rnd, c.k() * cg * c.r() * c.s(), -1, 1),
                b = GraphTest.rand(rnd, c.k(), -1, 1);
        // the output size and begin pads from the ONNX spec
        int[] pb = new int[2], pe = new int[2], out = new int[2], in = {c.h(), c.w()}, ker = {c.r(), c.s()};
        for (int d = 0; d < 2; d++) {
            int eff = (ker[d] - 1) * c.dil()[d] + 1;
            if (c.autoPad() == null) {
                pb[d] = c.pads()[d];
                pe[d] = c.pads()[d + 2];
                out[d] = (in[d] + pb[d] + pe[d] - eff) / c.strides()[d] + 1;
            } else if (c.autoPad().equals("VALID")) {
                out[d] = (in[d] - eff) / c.strides()[d] + 1;
            } else {
                out[d] = (in[d] + c.strides()[d] - 1) / c.strides()[d];
                int total = Math.max(0, (out[d] - 1) * c.strides()[d] + eff - in[d]);
                pb[d] = c.autoPad().equals("SAME_UPPER") ? total / 2 : total - total / 2;
            }
        }
        double[] ref = new double[n * c.k() * out[0] * out[1]];
        int kg = c.k() / c.group();
        for (int a = 0; a < n; a++) for (int k = 0; k < c.k(); k++) for (int i = 0; i < out[0]; i++) for (int j = 0; j < out[1]; j++) {
            double acc = b[k];
            int g = k / kg;
            for (int ch = 0; ch < cg; ch++) for (int r = 0; r < c.r(); r++) for (int s = 0; s < c.s(); s++) {
                int hh = i * c.strides()[0] - pb[0] + r * c.dil()[0], ww = j * c.strides()[1] - pb[1] + s * c.dil()[1];
                if (hh < 0 || hh >= c.h() || ww < 0 || ww >= c.w()) continue;
                acc += (double) w[((k * cg + ch) * c.r() + r) * c.s() + s] * x[((a * c.c() + g * cg + ch) * c.h() + hh) * c.w() + ww];
            }
            ref[((a * c.k() + k) * out[0] + i) * out[1] + j] = acc;
        }
        List<Msg> attrs = new ArrayList<>(List.of(attrInt("group", c.group()), attrInts("strides", c.strides()[0], c.strides()[1]),
                attrInts("dilations", c.dil()[0], c.dil()[1]), attrInts("kernel_shape", c.r(), c.s())));
        if (c.pads() != null) attrs.add(attrInts("pads", c.pads()[0], c.pads()[1], c.pads()[2], c.pads()[3]));
        if (c.autoPad() != null) attrs.add(attrString("auto_pad", c.autoPad()));
        byte[] m = new Model().opset(11).input("x", -1, c.c(), c.h(), c.w()).output("y", -1, c.k(), out[0], out[1])
                .init(floatTensor("w", w, c.k(), cg, c.r(), c.s())).init(floatTensor("b", b, c.k()))
                .node(node("conv", "Conv", new String[] {"x", "w", "b"}, new String[] {"y"}, attrs.toArray(new Msg[0]))).toBytes();
        Graph graph = Onnx.load(m);
        try (Backend be = TestBackends.open(kind)) {
            float[] y = graph.to(be).predict(x, n, c.c(), c.h(), c.w());
            Tolerance.forReduction((long) cg * c.r() * c.s()).assertClose(c.name() + " on " + kind, y, ref);
            graph.close();
        }
    }
}
