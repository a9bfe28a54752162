package dev.jkernels.bench;

import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.graph.Graph;
import dev.jkernels.graph.GraphPlan;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.onnx.Onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * End-to-end inference speed of an ONNX model (ResNet-18 by default) on one backend: images per
 * second at each batch size, fused ({@link FusionPolicy#AUTO}) and unfused ({@link FusionPolicy#NONE}).
 *
 * <p>What is measured: {@code Graph.forward} on an input tensor already on the backend, followed by
 * {@code synchronize()}: every launch of the plan, the intermediates' allocation and freeing, but not
 * the host → device copy of the batch nor the copy of the logits back. Warm-up until 3 runs and 2 s
 * have passed for each policy (the JIT compiles the CPU kernels), then {@code --reps} runs of each,
 * the policies alternating run by run (a change in the machine's load hits both alike); the median.
 *
 * <pre>
 * OnnxBench [--model target-onnx/resnet18.onnx] [--backend cpu|emulated|cuda|auto] [--batches 1,32] [--reps 7] [--size 224] [--json FILE]
 * </pre>
 */
public final class OnnxBench {
    private OnnxBench() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of("target-onnx/resnet18.onnx");
        String backendName = "auto";
        int[] batches = {1, 32};
        int reps = 7, size = 224;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model": model = Path.of(args[++i]); break;
                case "--backend": backendName = args[++i]; break;
                case "--batches": batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray(); break;
                case "--reps": reps = Integer.parseInt(args[++i]); break;
                case "--json": json = Path.of(args[++i]); break;
                case "--size": size = Integer.parseInt(args[++i]); break;
                case "--help":
                    System.out.println("OnnxBench [--model FILE.onnx] [--backend cpu|emulated|cuda|auto] [--batches 1,32] [--reps N] [--json FILE]");
                    return;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Graph g = Onnx.load(model);
        String declared = g.declaredInputShape(0);
        String[] parts = declared.substring(1, declared.length() - 1).split(",\\s*");
        List<String> rows = new ArrayList<>();
        try (Backend b = open(backendName)) {
            System.out.println("model: " + model + " (" + g.origin() + ", " + g.sourceNodeCount() + " nodes), input " + declared);
            System.out.println("backend: " + b.description());
            g.to(b);
            System.out.println("| batch | fusion | launches | peak intermediates | median ms/batch | images/s |");
            System.out.println("|---:|---|---:|---:|---:|---:|");
            for (int n : batches) {
                int[] shape = new int[parts.length];
                shape[0] = n;
                // symbolic dimensions (ResNet-18's H and W): --size
                for (int i = 1; i < shape.length; i++) shape[i] = parts[i].matches("\\d+") ? Integer.parseInt(parts[i]) : size;
                int per = 1;
                for (int i = 1; i < shape.length; i++) per *= shape[i];
                float[] x = new float[n * per];
                SplittableRandom r = new SplittableRandom(n);
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                try (Tensor in = b.tensor(x, Layout.defaultFor(shape.length), shape)) {
                    FusionPolicy[] policies = FusionPolicy.values();
                    for (FusionPolicy p : policies) {   // warm-up, each policy: the JIT compiles its kernels
                        g.fusion(p);
                        long start = System.nanoTime();
                        for (int warm = 0; warm < 3 || System.nanoTime() - start < 2e9; warm++) run(g, b, in);
                    }
                    // the policies alternate, run by run, so that a change in the machine's load hits both alike
                    double[][] ms = new double[policies.length][reps];
                    for (int k = 0; k < reps; k++) {
                        for (FusionPolicy p : policies) ms[p.ordinal()][k] = run(g.fusion(p), b, in);
                    }
                    for (FusionPolicy p : policies) {
                        GraphPlan plan = g.fusion(p).plan(shape);
                        double[] m = ms[p.ordinal()].clone();
                        Arrays.sort(m);
                        double med = m[reps / 2], ips = n / (med / 1000);
                        String row = String.format(Locale.ROOT, "| %d | %s | %d | %.1f MiB | %.1f | %.1f |", n, p, plan.launches(),
                                plan.peakBytes() / 1048576.0, med, ips);
                        System.out.println(row);
                        rows.add(String.format(Locale.ROOT, "{\"batch\": %d, \"fusion\": \"%s\", \"launches\": %d, \"peak_bytes\": %d, \"median_ms\": %.3f,"
                                + " \"images_per_s\": %.2f, \"ms\": %s}", n, p, plan.launches(), plan.peakBytes(), med, ips, Arrays.toString(ms[p.ordinal()])));
                    }
                }
            }
            g.close();
            if (json != null) {
                String body = "{\"model\": \"" + model + "\", \"backend\": \"" + b.description().replace("\"", "'") + "\", \"reps\": " + reps
                        + ", \"rows\": [\n  " + String.join(",\n  ", rows) + "\n]}\n";
                java.nio.file.Files.writeString(json, body);
            }
        }
    }

    private static double run(Graph g, Backend b, Tensor in) {
        long t = System.nanoTime();
        try (Tensor y = g.forward(in)) {
            b.synchronize();
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static Backend open(String name) {
        switch (name) {
            case "cpu": return Backends.cpu();
            case "emulated": return Backends.emulated();
            case "cuda": return Backends.cuda(0);
            default: return Backends.auto();
        }
    }
}
