package dev.jkernels.examples;

import dev.jkernels.Backend;
import dev.jkernels.Shape;
import dev.jkernels.graph.Graph;
import dev.jkernels.onnx.Onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Loads an ONNX model and classifies images with it, printing the launch plan, the predictions and
 * images/second on the chosen backend.
 *
 * <pre>
 * OnnxClassify MODEL.onnx [BACKEND] [IMAGES.idx.gz [LABELS.idx.gz]] [--batch N] [--images N]
 * </pre>
 *
 * With an IDX image file (MNIST / Fashion-MNIST, e.g. Debian's
 * {@code /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}) the images are scaled to [0, 1]
 * and normalised with Fashion-MNIST's mean 0.2860 and std 0.3530 (what
 * {@code benchmarks/onnx/train_fashion_mnist.py} trained on), and with labels the accuracy is printed.
 * Without one, the model's declared input shape is filled with seeded random images (ResNet-18:
 * {@code [N, 3, 224, 224]}). BACKEND is cpu, emulated, cuda or cuda:N (default: Backends.auto()).
 */
public final class OnnxClassify {
    private OnnxClassify() {}

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help")) {
            System.out.println("usage: OnnxClassify MODEL.onnx [cpu|emulated|cuda|cuda:N] [IMAGES.idx.gz [LABELS.idx.gz]] [--batch N] [--images N]");
            return;
        }
        Path model = Path.of(args[0]);
        String backendName = "";
        Path images = null, labels = null;
        int batch = 32, count = -1;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--batch")) batch = Integer.parseInt(args[++i]);
            else if (a.equals("--images")) count = Integer.parseInt(args[++i]);
            else if (a.endsWith(".gz") || a.contains("idx")) {
                if (images == null) images = Path.of(a);
                else labels = Path.of(a);
            } else backendName = a;
        }
        // The three lines a user writes: load, move to a backend, predict.
        Graph graph = Onnx.load(model);
        try (Backend backend = ExampleSupport.backend(backendName.isEmpty() ? new String[0] : new String[] {backendName});
             Graph g = graph.to(backend)) {
            int[] in = inputShape(g, images);
            int per = (int) (Shape.of(in).elementCount() / in[0]);
            float[] data;
            byte[] truth = null;
            int total;
            if (images != null) {
                byte[] px = idx(images, 4);
                total = count > 0 ? Math.min(count, px.length / per) : px.length / per;
                data = new float[total * per];
                for (int i = 0; i < data.length; i++) data[i] = ((px[i] & 0xff) / 255f - 0.2860f) / 0.3530f;
                if (labels != null) truth = idx(labels, 2);
            } else {
                total = count > 0 ? count : 2 * batch;
                data = ExampleSupport.randn(2026, total * per);
            }
            batch = Math.min(batch, total);
            in[0] = batch;
            System.out.print(g.describe(in));
            // warm-up: one batch (plans are made and the JIT compiles the CPU kernels)
            g.predict(Arrays.copyOf(data, batch * per), in);
            int correct = 0, classes = -1;
            int[] histogram = null;
            long t0 = System.nanoTime();
            for (int s = 0; s < total; s += batch) {
                int m = Math.min(batch, total - s);
                int[] shape = in.clone();
                shape[0] = m;
                float[] y = g.predict(Arrays.copyOfRange(data, s * per, (s + m) * per), shape);
                classes = y.length / m;
                if (histogram == null) histogram = new int[classes];
                for (int i = 0; i < m; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) if (y[i * classes + c] > y[i * classes + best]) best = c;
                    histogram[best]++;
                    if (truth != null && best == truth[s + i]) correct++;
                }
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "classified %d images (batch %d) on %s in %.2f s: %.1f images/s%n", total, batch, backend.name(), sec, total / sec);
            if (truth != null) System.out.printf(Locale.ROOT, "accuracy: %.2f %% (%d of %d)%n", 100.0 * correct / total, correct, total);
            if (classes <= 20) System.out.println("predicted classes: " + Arrays.toString(histogram));
        }
    }

    private static int[] inputShape(Graph g, Path images) {
        String declared = g.declaredInputShape(0);
        String[] parts = declared.substring(1, declared.length() - 1).split(",\\s*");
        int[] d = new int[parts.length];
        // symbolic dimensions: the batch is set later; an image's H and W are 28 for IDX files, else 224
        for (int i = 0; i < d.length; i++) d[i] = parts[i].matches("\\d+") ? Integer.parseInt(parts[i]) : i >= 2 ? (images != null ? 28 : 224) : 1;
        if (images != null && d.length == 4 && (d[2] != 28 || d[3] != 28)) {
            throw new IllegalArgumentException("the model's input is " + declared + "; IDX images are 28x28");
        }
        return d;
    }

    private static byte[] idx(Path p, int headerInts) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            byte[] all = in.readAllBytes();
            return Arrays.copyOfRange(all, 4 * headerInts, all.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
