package dev.jkernels.onnx;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.graph.Graph;
import dev.jkernels.graph.GraphPlan;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The end-to-end checks against PyTorch: ResNet-18 (torchvision, seeded random weights and BN
 * statistics, exported by {@code benchmarks/onnx/make_resnet18.py} into {@code target-onnx/}) and the small
 * CNN trained on Fashion-MNIST ({@code benchmarks/onnx/train_fashion_mnist.py}, committed in the test
 * resources), on one backend, fused and unfused.
 *
 * <p>Inputs that are not there (the ResNet-18 files, Debian's dataset-fashion-mnist) skip the test,
 * unless {@code -Djkernels.requireOnnxModels=true} (CI sets it after generating them), which fails it.
 */
abstract class OnnxModelsTestBase {
    static final Path FASHION_DATA = Path.of(System.getProperty("jkernels.fashionMnist", "/usr/share/datasets/fashion-mnist"));
    static final float MEAN = 0.2860f, STD = 0.3530f;

    abstract BackendKind kind();

    /** How many Fashion-MNIST test images this backend classifies (all 10,000 where fast enough). */
    int fashionImages() { return 10_000; }

    static boolean required() { return Boolean.getBoolean("jkernels.requireOnnxModels"); }

    static void need(Path p, String what) {
        if (Files.exists(p)) return;
        if (required()) throw new AssertionError(what + " not found: " + p);
        Assumptions.abort(what + " not found: " + p + " (run benchmarks/onnx/make_resnet18.py, or install dataset-fashion-mnist)");
    }

    /** target-onnx/ at the repository root (the tests run in src/); not under target/, so mvn clean keeps it. */
    static Path modelsDir() {
        String p = System.getProperty("jkernels.onnxModels");
        if (p != null) return Path.of(p);
        Path d = Path.of("").toAbsolutePath();
        while (d != null && !Files.isDirectory(d.resolve("benchmarks/onnx"))) d = d.getParent();
        return d == null ? Path.of("target-onnx") : d.resolve("target-onnx");
    }

    static Path fashionDir() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null && !Files.isDirectory(d.resolve("benchmarks/onnx"))) d = d.getParent();
        return (d == null ? Path.of("src") : d.resolve("src")).resolve("test/resources/onnx/fashion-mnist");
    }

    static float[] f32(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    /** An IDX file (gzip) as bytes after its header. */
    static byte[] idx(Path p, int headerInts) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            byte[] all = in.readAllBytes();
            return java.util.Arrays.copyOfRange(all, 4 * headerInts, all.length);
        }
    }

    void resnet18(int batch) throws IOException { resnet18(batch, 224, FusionPolicy.values()); }

    /** ResNet-18 on {@code batch} images of size×size (224: the batch of 2; 32: the one small image). */
    void resnet18(int batch, int size, FusionPolicy... policies) throws IOException {
        Path dir = modelsDir();
        need(dir.resolve("resnet18.onnx"), "ResNet-18 ONNX model");
        String suffix = size == 224 ? "" : "_" + size;
        float[] x = f32(dir.resolve("resnet18_input" + suffix + ".f32")), ref = f32(dir.resolve("resnet18_output" + suffix + ".f32"));
        int have = x.length / (3 * size * size);
        int n = Math.min(batch, have);
        float[] xb = java.util.Arrays.copyOf(x, n * 3 * size * size);
        Graph g = Onnx.load(dir.resolve("resnet18.onnx"));
        // the conv rule: the error of a 3x3x512 reduction, times the depth it propagates through (18 layers)
        Tolerance tol = Tolerance.forReduction(512 * 9).times(4);
        try (Backend b = TestBackends.open(kind())) {
            g.to(b);
            int[] launches = new int[2];
            for (FusionPolicy p : FusionPolicy.values()) launches[p.ordinal()] = g.fusion(p).plan(n, 3, size, size).launches();
            for (FusionPolicy p : policies) {
                g.fusion(p);
                GraphPlan plan = g.plan(n, 3, size, size);
                launches[p.ordinal()] = plan.launches();
                long t0 = System.nanoTime();
                float[] y = g.predict(xb, n, 3, size, size);
                double s = (System.nanoTime() - t0) / 1e9;
                double maxErr = 0, maxRef = 0;
                for (int i = 0; i < y.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(y[i] - ref[i]));
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                }
                System.out.printf(Locale.ROOT, "[onnx] ResNet-18 on %s, fusion %s, batch %d of %dx%d: max |jkernels − PyTorch| = %.3g (max |logit| %.3g),"
                                + " %d launches, peak intermediates %.1f MiB, %.2f s%n",
                        b.name(), p, n, size, size, maxErr, maxRef, plan.launches(), plan.peakBytes() / 1048576.0, s);
                tol.assertClose("ResNet-18 logits on " + b.name() + ", fusion " + p, y, java.util.Arrays.copyOf(ref, y.length));
                for (int k = 0; k < n; k++) assertEquals(argmax(ref, k * 1000, 1000), argmax(y, k * 1000, 1000), "top-1 of image " + k);
            }
            assertTrue(launches[FusionPolicy.AUTO.ordinal()] < launches[FusionPolicy.NONE.ordinal()],
                    "fused " + launches[0] + " vs unfused " + launches[1] + " launches");
            g.close();
        }
    }

    void fashionMnist() throws IOException {
        Path images = FASHION_DATA.resolve("t10k-images-idx3-ubyte.gz"), labels = FASHION_DATA.resolve("t10k-labels-idx1-ubyte.gz");
        need(images, "Fashion-MNIST test images (Debian's dataset-fashion-mnist)");
        Path dir = fashionDir();
        need(dir.resolve("fashion_cnn.onnx"), "Fashion-MNIST model");
        byte[] px = idx(images, 4), lab = idx(labels, 2);
        float[] torchLogits = f32(dir.resolve("fashion_cnn_logits.f32"));
        int total = fashionImages();
        float[] x = new float[total * 784];
        for (int i = 0; i < x.length; i++) x[i] = ((px[i] & 0xff) / 255f - MEAN) / STD;   // float32 as in the script
        Graph g = Onnx.load(dir.resolve("fashion_cnn.onnx"));
        Tolerance tol = Tolerance.forReduction(1568).times(4);
        try (Backend b = TestBackends.open(kind())) {
            g.to(b);
            for (FusionPolicy p : FusionPolicy.values()) {
                g.fusion(p);
                int batch = 500, same = 0, correctJk = 0, correctTorch = 0, closeCalls = 0;
                double maxErr = 0;
                long t0 = System.nanoTime();
                for (int s = 0; s < total; s += batch) {
                    int m = Math.min(batch, total - s);
                    float[] y = g.predict(java.util.Arrays.copyOfRange(x, s * 784, (s + m) * 784), m, 1, 28, 28);
                    for (int i = 0; i < m; i++) {
                        int img = s + i;
                        int pj = argmax(y, i * 10, 10), pt = argmax(torchLogits, img * 10, 10);
                        for (int c = 0; c < 10; c++) maxErr = Math.max(maxErr, Math.abs(y[i * 10 + c] - torchLogits[img * 10 + c]));
                        if (pj == pt) same++;
                        else {
                            // allowed only where PyTorch's two top logits are within the tolerance of each other
                            float top = torchLogits[img * 10 + pt], mine = torchLogits[img * 10 + pj];
                            assertTrue(tol.accepts(mine, top) || Math.abs(top - mine) <= 2 * (tol.atol() + tol.rtol() * Math.abs(top)),
                                    "image " + img + ": jkernels says " + pj + ", PyTorch " + pt + " (logits " + mine + " vs " + top + ")");
                            closeCalls++;
                        }
                        if (pj == lab[img]) correctJk++;
                        if (pt == lab[img]) correctTorch++;
                    }
                }
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "[onnx] Fashion-MNIST CNN on %s, fusion %s: %d test images, same prediction as PyTorch for %d"
                                + " (%d differ, all where PyTorch's top two logits are within tolerance), accuracy jkernels %.2f %% vs PyTorch %.2f %%,"
                                + " max |logit diff| %.3g, %.0f images/s%n",
                        b.name(), p, total, same, closeCalls, 100.0 * correctJk / total, 100.0 * correctTorch / total, maxErr, total / s);
                assertTrue(closeCalls <= Math.max(5, total / 1000), closeCalls + " predictions differ");
                assertTrue(Math.abs(correctJk - correctTorch) <= closeCalls, "accuracy differs by more than the close calls");
                assertTrue(maxErr <= tol.atol() + tol.rtol() * 30, "max logit error " + maxErr);
            }
            g.close();
        }
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }
}
