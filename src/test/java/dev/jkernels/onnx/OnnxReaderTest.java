package dev.jkernels.onnx;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.graph.Graph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.jkernels.onnx.OnnxWriter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The reader and importer on models written by {@link OnnxWriter}: each way of storing an initialiser,
 * and each bad file the issue names (not ONNX, truncated, unsupported op, unsupported data type, wrong
 * initialiser size), which must fail in {@link Onnx#load} — which takes no backend, so nothing can have
 * been allocated on one — with the node's name and op type in the message.
 */
class OnnxReaderTest {

    /** y = relu(conv(x, W) + b) → flatten: x [N, 1, 4, 4], W [2, 1, 3, 3]. */
    private static Model convModel(Msg weight) {
        float[] b = {0.5f, -0.25f};
        return new Model().opset(13)
                .input("x", -1, 1, 4, 4)
                .init(weight)
                .init(floatTensor("b", b, 2))
                .init(int64Tensor("shape", new long[] {0, -1}, 2))
                .node(node("conv", "Conv", new String[] {"x", "W", "b"}, new String[] {"c"}, attrInts("pads", 1, 1, 1, 1)))
                .node(node("relu", "Relu", new String[] {"c"}, new String[] {"r"}))
                .node(node("reshape", "Reshape", new String[] {"r", "shape"}, new String[] {"y"}))
                .output("y", -1, 32);
    }

    private static float[] weights() {
        float[] w = new float[18];
        for (int i = 0; i < w.length; i++) w[i] = (i % 7 - 3) * 0.125f;
        return w;
    }

    private static float[] input() {
        float[] x = new float[16];
        for (int i = 0; i < x.length; i++) x[i] = (i * 5 % 11 - 5) * 0.2f;
        return x;
    }

    /** conv + relu in double precision. */
    private static double[] reference() {
        float[] w = weights(), x = input();
        double[] b = {0.5, -0.25}, y = new double[32];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    double acc = b[k];
                    for (int r = 0; r < 3; r++) {
                        for (int s = 0; s < 3; s++) {
                            int h = i + r - 1, v = j + s - 1;
                            if (h >= 0 && h < 4 && v >= 0 && v < 4) acc += (double) w[k * 9 + r * 3 + s] * x[h * 4 + v];
                        }
                    }
                    y[k * 16 + i * 4 + j] = Math.max(acc, 0);
                }
            }
        }
        return y;
    }

    private static void assertRuns(Graph g) {
        try (Backend cpu = Backends.cpu()) {
            g.to(cpu);
            float[] y = g.predict(input(), 1, 1, 4, 4);
            double[] ref = reference();
            for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-5, "y[" + i + "]");
            g.close();
        }
    }

    @Test void rawAndTypedInitialisersGiveTheSameModel() {
        assertRuns(Onnx.load(convModel(floatTensor("W", weights(), 2, 1, 3, 3)).toBytes()));
        assertRuns(Onnx.load(convModel(floatTensorTyped("W", weights(), 2, 1, 3, 3)).toBytes()));
    }

    @Test void externalDataFile(@TempDir Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8 + 72).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0x1234);   // 8 bytes of something else first: the offset must be honoured
        for (float f : weights()) b.putFloat(f);
        Files.write(dir.resolve("weights.bin"), b.array());
        Path model = dir.resolve("m.onnx");
        Files.write(model, convModel(externalTensor("W", "weights.bin", 8, 72, 2, 1, 3, 3)).toBytes());
        assertRuns(Onnx.load(model));

        Files.write(dir.resolve("weights.bin"), Arrays.copyOf(b.array(), 40));   // truncated data file
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> Onnx.load(model));
        assertContains(e, "node 'conv' (Conv)", "'W'", "weights.bin", "truncated");
        Files.delete(dir.resolve("weights.bin"));
        e = assertThrows(OnnxFormatException.class, () -> Onnx.load(model));
        assertContains(e, "node 'conv' (Conv)", "not found");
    }

    @Test void valueInfoAndDescribe() {
        Graph g = Onnx.load(convModel(floatTensor("W", weights(), 2, 1, 3, 3)).toBytes());
        assertEquals("[N, 1, 4, 4]", g.declaredInputShape(0));
        assertEquals(java.util.List.of("x"), g.inputNames());
        assertEquals(java.util.List.of("y"), g.outputNames());
        assertNull(g.backend(), "loading allocates nothing on any backend");
        String d = g.describe(3, 1, 4, 4);
        assertTrue(d.contains("conv2dActivation(relu, bias)") && d.contains("Conv+Relu"), d);
        assertEquals(java.util.List.of(3, 32), java.util.Arrays.stream(g.outputShape(3, 1, 4, 4).dims()).boxed().toList());
    }

    @Test void notOnnx() {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> Onnx.load("this is a text file, not a model\n".getBytes(StandardCharsets.UTF_8)));
        assertContains(e, "not an ONNX model");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(png)), "not an ONNX model");
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(new byte[0])), "not an ONNX model");
    }

    @Test void truncated() {
        byte[] full = convModel(floatTensor("W", weights(), 2, 1, 3, 3)).toBytes();
        for (int cut : new int[] {1, 7, full.length / 3, full.length / 2, full.length - 1}) {
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> Onnx.load(Arrays.copyOf(full, cut)), "cut at " + cut);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not an ONNX model"), e.getMessage());
        }
    }

    @Test void unsupportedOp() {
        byte[] m = new Model().input("x", 1, 8).output("y", 1, 3)
                .node(node("top3", "TopK", new String[] {"x"}, new String[] {"y"}, attrInt("k", 3))).toBytes();
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(m)), "node 'top3' (TopK)", "not supported");
    }

    @Test void unsupportedDataType() {
        Msg w = new Msg().packedVarints(1, new long[] {2, 1, 3, 3}).varint(2, 10).string(8, "W").bytes(9, new byte[36]);   // FLOAT16
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> Onnx.load(convModel(w).toBytes()));
        assertContains(e, "node 'conv' (Conv)", "'W'", "FLOAT16", "not supported");
    }

    @Test void wrongInitialiserSize() {
        float[] w = Arrays.copyOf(weights(), 17);
        OnnxFormatException raw = assertThrows(OnnxFormatException.class, () -> Onnx.load(convModel(floatTensor("W", w, 2, 1, 3, 3)).toBytes()));
        assertContains(raw, "node 'conv' (Conv)", "'W'", "needs 18 values", "68 bytes");
        OnnxFormatException typed = assertThrows(OnnxFormatException.class, () -> Onnx.load(convModel(floatTensorTyped("W", w, 2, 1, 3, 3)).toBytes()));
        assertContains(typed, "node 'conv' (Conv)", "needs 18 values", "float_data holds 17");
    }

    @Test void wrongShapesAreFoundAtLoad() {
        // a weight of the wrong channel count: found by the shape check at load, naming the node
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> Onnx.load(convModel(floatTensor("W", new float[36], 2, 2, 3, 3)).toBytes()));
        assertContains(e, "node 'conv' (Conv)", "filters");
    }

    @Test void missingInputAndBadAttribute() {
        byte[] m = new Model().input("x", 1, 8).output("y", 1, 8)
                .node(node("add", "Add", new String[] {"x", "nowhere"}, new String[] {"y"})).toBytes();
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(m)), "node 'add' (Add)", "'nowhere'", "not produced");
        byte[] m2 = new Model().input("x", 1, 1, 4, 4).output("y", 1, 1, 2, 2)
                .node(node("pool", "MaxPool", new String[] {"x"}, new String[] {"y"}, attrInts("strides", 2, 2))).toBytes();
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(m2)), "node 'pool' (MaxPool)", "kernel_shape");
        byte[] m3 = new Model().input("x", 1, 1, 4, 4).output("y", 1, 1, 2, 2)
                .node(node("pool", "MaxPool", new String[] {"x"}, new String[] {"y"}, attrString("kernel_shape", "2"))).toBytes();
        assertContains(assertThrows(OnnxFormatException.class, () -> Onnx.load(m3)), "node 'pool' (MaxPool)", "'kernel_shape' is STRING");
    }

    private static void assertContains(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }
}
