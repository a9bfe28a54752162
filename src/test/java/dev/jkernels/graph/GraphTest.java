package dev.jkernels.graph;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.onnx.Onnx;
import dev.jkernels.onnx.OnnxWriter.Model;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.jkernels.onnx.OnnxWriter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The graph executor on small ONNX graphs: a ResNet basic block with a classifier head against a
 * double-precision reference, fused and unfused; the plan (what was fused, in-place steps, when
 * intermediates are freed, peak memory); a residual add that broadcasts (not fusable: run as the
 * nodes were); many threads at once.
 */
class GraphTest {
    static final int N = 3, C = 5, H = 7, W = 7, CLASSES = 3;

    static float[] rand(SplittableRandom r, int n, double lo, double hi) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return f;
    }

    /** The block's parameters. */
    static final class Params {
        final SplittableRandom r = new SplittableRandom(15);
        final float[] w1 = rand(r, C * C * 9, -0.3, 0.3), b1 = rand(r, C, -0.1, 0.1), w2 = rand(r, C * C * 9, -0.3, 0.3);
        final float[][] bn1 = {rand(r, C, 0.5, 1.5), rand(r, C, -0.2, 0.2), rand(r, C, -0.2, 0.2), rand(r, C, 0.5, 1.5)};
        final float[][] bn2 = {rand(r, C, 0.5, 1.5), rand(r, C, -0.2, 0.2), rand(r, C, -0.2, 0.2), rand(r, C, 0.5, 1.5)};
        final float[] fc = rand(r, CLASSES * C, -0.5, 0.5), fcb = rand(r, CLASSES, -0.1, 0.1);
        final float[] x = rand(r, N * C * H * W, -1, 1);
    }

    /** conv1(+bias)+BN+ReLU → conv2+BN → + x → ReLU → GlobalAveragePool → Flatten → Gemm(transB) → Softmax. */
    static byte[] block(Params p) {
        String[] bn = {"scale", "B", "mean", "var"};
        Model m = new Model().opset(15).input("x", -1, C, H, W).output("prob", -1, CLASSES)
                .init(floatTensor("w1", p.w1, C, C, 3, 3)).init(floatTensor("b1", p.b1, C)).init(floatTensor("w2", p.w2, C, C, 3, 3))
                .init(floatTensor("fc", p.fc, CLASSES, C)).init(floatTensor("fcb", p.fcb, CLASSES));
        for (int i = 0; i < 4; i++) m.init(floatTensor("bn1_" + bn[i], p.bn1[i], C)).init(floatTensor("bn2_" + bn[i], p.bn2[i], C));
        return m.node(node("conv1", "Conv", new String[] {"x", "w1", "b1"}, new String[] {"c1"}, attrInts("pads", 1, 1, 1, 1), attrInts("kernel_shape", 3, 3)))
                .node(node("bn1", "BatchNormalization", new String[] {"c1", "bn1_scale", "bn1_B", "bn1_mean", "bn1_var"}, new String[] {"n1"}, attrFloat("epsilon", 1e-3f)))
                .node(node("relu1", "Relu", new String[] {"n1"}, new String[] {"a1"}))
                .node(node("conv2", "Conv", new String[] {"a1", "w2"}, new String[] {"c2"}, attrInts("pads", 1, 1, 1, 1)))
                .node(node("bn2", "BatchNormalization", new String[] {"c2", "bn2_scale", "bn2_B", "bn2_mean", "bn2_var"}, new String[] {"n2"}))
                .node(node("add", "Add", new String[] {"n2", "x"}, new String[] {"s"}))
                .node(node("relu2", "Relu", new String[] {"s"}, new String[] {"a2"}))
                .node(node("gap", "GlobalAveragePool", new String[] {"a2"}, new String[] {"g"}))
                .node(node("flat", "Flatten", new String[] {"g"}, new String[] {"f"}))
                .node(node("fc", "Gemm", new String[] {"f", "fc", "fcb"}, new String[] {"logits"}, attrInt("transB", 1)))
                .node(node("softmax", "Softmax", new String[] {"logits"}, new String[] {"prob"}, attrInt("axis", 1)))
                .toBytes();
    }

    static double[] conv(double[] x, float[] w, float[] b, int n) {
        double[] y = new double[n * C * H * W];
        for (int a = 0; a < n; a++) for (int k = 0; k < C; k++) for (int i = 0; i < H; i++) for (int j = 0; j < W; j++) {
            double acc = b == null ? 0 : b[k];
            for (int c = 0; c < C; c++) for (int r = 0; r < 3; r++) for (int s = 0; s < 3; s++) {
                int h = i + r - 1, v = j + s - 1;
                if (h >= 0 && h < H && v >= 0 && v < W) acc += w[((k * C + c) * 3 + r) * 3 + s] * x[((a * C + c) * H + h) * W + v];
            }
            y[((a * C + k) * H + i) * W + j] = acc;
        }
        return y;
    }

    static void bn(double[] x, float[][] p, double eps) {
        for (int i = 0; i < x.length; i++) {
            int c = (i / (H * W)) % C;
            x[i] = (x[i] - p[2][c]) / Math.sqrt(p[3][c] + eps) * p[0][c] + p[1][c];
        }
    }

    static double[] reference(Params p) {
        double[] x = new double[p.x.length];
        for (int i = 0; i < x.length; i++) x[i] = p.x[i];
        double[] a1 = conv(x, p.w1, p.b1, N);
        bn(a1, p.bn1, 1e-3);
        for (int i = 0; i < a1.length; i++) a1[i] = Math.max(a1[i], 0);
        double[] a2 = conv(a1, p.w2, null, N);
        bn(a2, p.bn2, 1e-5);
        for (int i = 0; i < a2.length; i++) a2[i] = Math.max(a2[i] + x[i], 0);
        double[] out = new double[N * CLASSES];
        for (int a = 0; a < N; a++) {
            double[] g = new double[C];
            for (int c = 0; c < C; c++) {
                for (int k = 0; k < H * W; k++) g[c] += a2[(a * C + c) * H * W + k];
                g[c] /= H * W;
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            double[] l = new double[CLASSES];
            for (int o = 0; o < CLASSES; o++) {
                l[o] = p.fcb[o];
                for (int c = 0; c < C; c++) l[o] += p.fc[o * C + c] * g[c];
                max = Math.max(max, l[o]);
            }
            for (int o = 0; o < CLASSES; o++) sum += Math.exp(l[o] - max);
            for (int o = 0; o < CLASSES; o++) out[a * CLASSES + o] = Math.exp(l[o] - max) / sum;
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"CPU", "EMULATED"})
    void resnetBlockFusedAndUnfusedMatchTheReference(BackendKind kind) { checkBlock(kind); }

    static void checkBlock(BackendKind kind) {
        Params p = new Params();
        Graph g = Onnx.load(block(p));
        double[] ref = reference(p);
        try (Backend b = TestBackends.open(kind)) {
            g.to(b);
            for (FusionPolicy policy : FusionPolicy.values()) {
                float[] y = g.fusion(policy).predict(p.x, N, C, H, W);
                Tolerance.forReduction(C * 9L * 2).assertClose("block on " + kind + ", fusion " + policy, y, ref);
            }
            g.close();
        }
    }

    @Test void thePlanFusesFoldsAndFreesEarly() {
        Graph g = Onnx.load(block(new Params()));
        GraphPlan fused = g.fusion(FusionPolicy.AUTO).plan(N, C, H, W), unfused = g.fusion(FusionPolicy.NONE).plan(N, C, H, W);
        List<String> types = new ArrayList<>();
        for (GraphPlan.Step s : fused.steps()) types.add(s.opTypes());
        assertEquals(List.of("Conv+BatchNormalization+Relu", "Conv+BatchNormalization+Add+Relu", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"), types);
        assertEquals(11, unfused.steps().size());
        assertTrue(fused.launches() < unfused.launches());
        // unfused: relu1 and relu2 run in place on the BN / add output, which nothing else reads
        assertTrue(unfused.steps().get(2).inPlace(), unfused.steps().get(2).op());
        assertTrue(unfused.steps().get(6).inPlace(), unfused.steps().get(6).op());
        assertTrue(unfused.steps().get(8).view() && unfused.steps().get(8).launches() == 0);
        // lifetimes: the conv1 output dies after relu1's in-place step reads it in conv2
        long act = 4L * N * C * H * W;
        assertEquals(List.of("c1"), unfused.steps().get(1).frees());
        assertEquals(2 * act, unfused.peakBytes(), "two activation-sized buffers live at once, unfused");
        assertEquals(2 * act, fused.peakBytes(), "the conv1 output and the block output, fused");
        String d = g.fusion(FusionPolicy.AUTO).describe(N, C, H, W);
        assertTrue(d.contains("conv2dActivation(relu, bias, residual)") && d.contains("peak intermediates"), d);
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"CPU", "EMULATED"})
    void aResidualThatBroadcastsRunsUnfused(BackendKind kind) {
        SplittableRandom r = new SplittableRandom(3);
        float[] w = rand(r, 2 * 2 * 9, -0.5, 0.5), x = rand(r, 2 * 4 * 4, -1, 1), res = {0.25f, -2f};
        byte[] m = new Model().input("x", 1, 2, 4, 4).input("r", 1, 2, 1, 1).output("y", 1, 2, 4, 4).init(floatTensor("w", w, 2, 2, 3, 3))
                .node(node("conv", "Conv", new String[] {"x", "w"}, new String[] {"c"}, attrInts("pads", 1, 1, 1, 1)))
                .node(node("add", "Add", new String[] {"c", "r"}, new String[] {"s"}))
                .node(node("relu", "Relu", new String[] {"s"}, new String[] {"y"})).toBytes();
        Graph g = Onnx.load(m);
        try (Backend b = TestBackends.open(kind); Tensor tx = b.tensor(x, 1, 2, 4, 4); Tensor tr = b.tensor(res, 1, 2, 1, 1)) {
            g.to(b);
            float[][] out = new float[2][];
            for (FusionPolicy p : FusionPolicy.values()) {
                try (Tensor y = g.fusion(p).forward(Map.of("x", tx, "r", tr)).get("y")) {
                    out[p.ordinal()] = y.toArray();
                }
            }
            double[] ref = new double[32];
            for (int k = 0; k < 2; k++) for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) {
                double acc = res[k];
                for (int c = 0; c < 2; c++) for (int a = 0; a < 3; a++) for (int s = 0; s < 3; s++) {
                    int h = i + a - 1, v = j + s - 1;
                    if (h >= 0 && h < 4 && v >= 0 && v < 4) acc += w[((k * 2 + c) * 3 + a) * 3 + s] * x[(c * 4 + h) * 4 + v];
                }
                ref[(k * 4 + i) * 4 + j] = Math.max(acc, 0);
            }
            for (float[] o : out) Tolerance.forReduction(18).assertClose("broadcast residual on " + kind, o, ref);
            assertArrayEquals(x, tx.toArray(), "the input is never written");
            g.close();
        }
    }

    @Test void clipAsRelu6AndMatMulPlusAddAsBiasAreFused() {
        SplittableRandom r = new SplittableRandom(5);
        byte[] m = new Model().opset(13).input("x", 2, 1, 5, 5).output("y", 2, 4)
                .init(floatTensor("w", rand(r, 3 * 9, -1, 1), 3, 1, 3, 3)).init(floatTensor("lo", new float[] {0f}))
                .init(floatTensor("hi", new float[] {6f})).init(floatTensor("fc", rand(r, 27 * 4, -1, 1), 27, 4))
                .init(floatTensor("fcb", rand(r, 4, -1, 1), 4))
                .node(node("conv", "Conv", new String[] {"x", "w"}, new String[] {"c"}))
                .node(node("clip", "Clip", new String[] {"c", "lo", "hi"}, new String[] {"a"}))
                .node(node("flat", "Flatten", new String[] {"a"}, new String[] {"f"}))
                .node(node("mm", "MatMul", new String[] {"f", "fc"}, new String[] {"mmo"}))
                .node(node("bias", "Add", new String[] {"mmo", "fcb"}, new String[] {"y"})).toBytes();
        Graph g = Onnx.load(m);
        GraphPlan p = g.plan(2, 1, 5, 5);
        assertEquals("conv2dActivation(relu6)", p.steps().get(0).op());
        assertEquals("gemm(bias)", p.steps().get(2).op());
        assertEquals("MatMul+Add", p.steps().get(2).opTypes());
        float[] x = rand(r, 50, -3, 3);
        try (Backend b = dev.jkernels.Backends.cpu()) {
            g.to(b);
            float[] fusedOut = g.fusion(FusionPolicy.AUTO).predict(x, 2, 1, 5, 5), plain = g.fusion(FusionPolicy.NONE).predict(x, 2, 1, 5, 5);
            Tolerance.forReduction(27 * 9).assertClose("fused vs unfused", fusedOut, plain);
            g.close();
        }
    }

    @Test void inPlaceOnlyWhereNothingElseReads() {
        byte[] m = new Model().input("x", 2, 9).output("y", 2, 9)
                .node(node("relu", "Relu", new String[] {"x"}, new String[] {"a"}))
                .node(node("sig", "Sigmoid", new String[] {"a"}, new String[] {"b"}))
                .node(node("add", "Add", new String[] {"a", "b"}, new String[] {"c"}))
                .node(node("tanh", "Tanh", new String[] {"c"}, new String[] {"y"})).toBytes();
        Graph g = Onnx.load(m);
        GraphPlan p = g.plan(2, 9);
        assertFalse(p.steps().get(0).inPlace(), "never over the graph's input");
        assertFalse(p.steps().get(1).inPlace(), "a is read again by add");
        assertTrue(p.steps().get(3).inPlace(), "c is read by tanh only");
        float[] x = rand(new SplittableRandom(9), 18, -3, 3);
        try (Backend b = dev.jkernels.Backends.cpu()) {
            float[] y = g.to(b).predict(x, 2, 9);
            for (int i = 0; i < 18; i++) {
                double a = Math.max(x[i], 0), want = Math.tanh(a + 1 / (1 + Math.exp(-a)));
                assertEquals(want, y[i], 1e-6, "y[" + i + "]");
            }
            g.close();
        }
    }

    @Test void manyThreadsAtOnce() throws Exception {
        Params p = new Params();
        Graph g = Onnx.load(block(p));
        try (Backend b = dev.jkernels.Backends.cpu()) {
            g.to(b);
            float[] want = g.predict(p.x, N, C, H, W);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<float[]>> fs = new ArrayList<>();
                for (int i = 0; i < 32; i++) fs.add(pool.submit(() -> g.predict(p.x, N, C, H, W)));
                for (Future<float[]> f : fs) assertArrayEquals(want, f.get(), "same bits from every thread");
            } finally {
                pool.shutdown();
            }
            g.close();
        }
    }

    @Test void wrongInputsAreRejectedBeforeAnyWork() {
        Graph g = Onnx.load(block(new Params()));
        assertThrows(IllegalStateException.class, () -> g.predict(new float[N * C * H * W], N, C, H, W), "no backend yet");
        try (Backend b = dev.jkernels.Backends.cpu()) {
            g.to(b);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.predict(new float[N * 4 * H * W], N, 4, H, W));
            assertTrue(e.getMessage().contains("[N, 5, 7, 7]") && e.getMessage().contains("[3, 4, 7, 7]"), e.getMessage());
            g.close();
        }
    }
}
