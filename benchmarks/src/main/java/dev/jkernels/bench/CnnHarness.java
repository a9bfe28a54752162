package dev.jkernels.bench;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Backends;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Pool2dGeometry;
import dev.jkernels.Pool2dSpec;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.kernel.KernelBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The CNN ops of issue 14 on one backend, as the main harness measures (warm-up, median of repeats,
 * CUDA events and an L2 flush before each repeat of a problem under 256 MiB on the GPU; wall clock
 * around op + synchronize elsewhere):
 * <ul>
 *   <li><b>Pooling and softmax</b> are memory-bound: each is reported as GB/s of the bytes it must
 *       move (input read once, output written once) and as a share of the measured device-to-device
 *       copy bandwidth, the 100 % of ANCHORS.md.</li>
 *   <li><b>Residual conv</b>: {@code act(conv + bias + residual)} in one launch against the three
 *       launches conv, add, activation, shape by shape (ResNet's basic-block convs), with the speedup
 *       the bytes model predicts: the add pass moves 12 bytes per output and the activation pass 8,
 *       while the fused conv reads the residual's 4; so {@code (conv + 20·n/bw) / (conv + 4·n/bw)}.</li>
 * </ul>
 * Each op's output is first checked against the CPU backend (when the backend under test is not the
 * CPU; the unit tests check the CPU against double references). On anything but CUDA the shapes are
 * scaled down ({@code --quick}, or automatically on the emulator) and the output says which backend ran.
 *
 * <pre>
 * java -cp benchmarks/target/dist/jkernels-benchmarks.jar dev.jkernels.bench.CnnHarness --backend cuda --json cnn.json
 * </pre>
 */
public final class CnnHarness {

    public record Pool(String name, int n, int c, int h, int w, Pool2dSpec spec) {}

    public record Softmax(String name, int[] dims, int axis) {}

    /** A 3×3, stride-1, padding-1 conv of C → K channels on N×C×H×W (ResNet's basic-block conv). */
    public record Residual(String name, int n, int c, int h, int w, int k) {}

    /** The GPU list: ResNet-50/18-sized activations at batch 32 (hundreds of MB: no cache effects). */
    public static List<Pool> pools(boolean small) {
        int b = small ? 1 : 32;
        return List.of(
                new Pool("resnet stem max 3x3/2", b, 64, small ? 56 : 112, small ? 56 : 112, Pool2dSpec.max(3).stride(2).padding(1).build()),
                new Pool("resnet stem max 3x3/2 NHWC", b, 64, small ? 56 : 112, small ? 56 : 112,
                        Pool2dSpec.max(3).stride(2).padding(1).layout(Layout.NHWC).build()),
                new Pool("vgg max 2x2/2", b, 128, small ? 56 : 112, small ? 56 : 112, Pool2dSpec.max(2).build()),
                new Pool("avg 3x3/1 pad 1 (inception)", b, 192, small ? 14 : 28, small ? 14 : 28,
                        Pool2dSpec.avg(3).stride(1).padding(1).countIncludePad(false).build()),
                new Pool("global avg 7x7", small ? 8 : 256, 512, 7, 7, Pool2dSpec.globalAvg(Layout.NCHW)),
                new Pool("global avg 7x7 NHWC", small ? 8 : 256, 512, 7, 7, Pool2dSpec.globalAvg(Layout.NHWC)));
    }

    public static List<Softmax> softmaxes(boolean small) {
        return List.of(
                new Softmax("classifier 1000 classes", new int[] {small ? 256 : 32768, 1000}, -1),
                new Softmax("attention rows 4096", new int[] {small ? 64 : 8192, 4096}, -1),
                new Softmax("segmentation 21 classes, channel axis", new int[] {small ? 1 : 16, 21, small ? 64 : 256, small ? 64 : 256}, 1),
                new Softmax("short rows 10 classes", new int[] {small ? 4096 : 1 << 20, 10}, -1));
    }

    public static List<Residual> residuals(boolean small) {
        int b = small ? 1 : 32;
        return List.of(
                new Residual("resnet18 conv2_x 64", b, 64, small ? 28 : 56, small ? 28 : 56, 64),
                new Residual("resnet18 conv3_x 128", b, 128, 28, 28, 128),
                new Residual("resnet18 conv4_x 256", b, 256, 14, 14, 256),
                new Residual("resnet18 conv5_x 512", b, 512, 7, 7, 512),
                new Residual("small channels 8", b, 8, small ? 28 : 112, small ? 28 : 112, 8));
    }

    static final long FLUSH_BELOW_BYTES = 256L << 20;

    private final Backend backend;
    private final int reps, warmup;
    private final PrintStream progress;
    private final boolean cuda;
    private Tensor flushSrc, flushDst;
    private final StringBuilder json = new StringBuilder();
    private double copyGbps;

    CnnHarness(Backend backend, int reps, int warmup, PrintStream progress) {
        this.backend = backend;
        this.reps = reps;
        this.warmup = warmup;
        this.progress = progress;
        this.cuda = backend.kind() == BackendKind.CUDA && backend instanceof KernelBackend;
    }

    public static void main(String[] args) throws IOException {
        String name = "auto";
        boolean quick = false;
        int reps = 10, warmup = 3;
        Path jsonOut = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> name = args[++i];
                case "--quick" -> quick = true;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--json" -> jsonOut = Path.of(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: CnnHarness [--backend cpu|cuda|emulated|auto] [--quick] [--reps N] [--warmup N] [--json FILE]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        try (Backend b = Harness.create(name)) {
            boolean small = quick || b.kind() != BackendKind.CUDA;
            CnnHarness h = new CnnHarness(b, reps, warmup, System.err);
            String md = h.run(pools(small), softmaxes(small), residuals(small));
            System.out.print(md);
            if (jsonOut != null) Files.writeString(jsonOut, h.json());
        }
    }

    /** The JSON of the last run. */
    String json() { return json.toString(); }

    /** Runs the three lists; returns the Markdown report (and fills {@link #json()}). */
    String run(List<Pool> pools, List<Softmax> softmaxes, List<Residual> residuals) {
        StringBuilder md = new StringBuilder();
        List<String> rows = new ArrayList<>();
        try (TensorScope scope = new TensorScope(); Backend cpu = backend.kind() == BackendKind.CPU ? null : Backends.cpu()) {
            if (cuda) {
                flushSrc = scope.track(backend.zeros(24 << 20));
                flushDst = scope.track(backend.zeros(24 << 20));
            }
            int copyFloats = cuda ? 1 << 28 : 1 << 24;
            try (Tensor a = backend.zeros(copyFloats); Tensor b = backend.zeros(copyFloats)) {
                double ms = measure(() -> backend.copy(a, b), Long.MAX_VALUE);
                copyGbps = BytesModel.gbPerSecond(8.0 * copyFloats, ms);
            }
            md.append("# CNN ops on ").append(backend.name()).append(" (").append(backend.description()).append(")\n\n");
            if (backend.kind() != BackendKind.CUDA) {
                md.append("**Not a GPU**: ").append(backend.kind() == BackendKind.CPU ? "CPU backend figures."
                        : "the CUDA kernels on the CPU; times say nothing about a GPU.").append(" Shapes scaled down.\n\n");
            }
            md.append(String.format(Locale.ROOT, "Copy bandwidth (device-to-device, read + write): %.1f GB/s = 100 %%.%n%n", copyGbps));
            md.append("## Memory-bound: pooling and softmax\n\n| op | shape | ms | GB/s | share of copy | check |\n|---|---|---:|---:|---:|---|\n");
            for (Pool p : pools) rows.add(pool(p, cpu, md));
            for (Softmax s : softmaxes) rows.add(softmax(s, cpu, md));
            md.append("\n## Residual add: fused into the conv epilogue vs conv, add, activation (three launches)\n\n"
                    + "| conv 3x3 | conv ms | three launches ms | fused ms | speedup | model | check |\n|---|---:|---:|---:|---:|---:|---|\n");
            for (Residual r : residuals) rows.add(residual(r, cpu, md));
        }
        json.setLength(0);
        json.append("{\"backend\": \"").append(backend.name()).append("\", \"kind\": \"").append(backend.kind())
                .append("\", \"copyGbps\": ").append(fmt(copyGbps)).append(", \"rows\": [\n  ").append(String.join(",\n  ", rows)).append("\n]}\n");
        return md.toString();
    }

    private static String fmt(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null"; }

    private double measure(Runnable op, long bytes) {
        for (int i = 0; i < warmup; i++) op.run();
        backend.synchronize();
        if (!cuda && warmup > 0) {
            // the JIT compiles the CPU loops after a few hundred calls: warm up for a second
            long until = System.nanoTime() + 1_000_000_000L;
            for (int i = 0; i < 300 && System.nanoTime() < until; i++) op.run();
            backend.synchronize();
        }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            if (cuda && bytes < FLUSH_BELOW_BYTES) backend.copy(flushSrc, flushDst);
            if (cuda) {
                t[i] = ((KernelBackend) backend).timeMillis(op);
            } else {
                backend.synchronize();
                long t0 = System.nanoTime();
                op.run();
                backend.synchronize();
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return Harness.median(t);
    }

    /** "ok", or what differs from the CPU backend's result of the same op. */
    private static String compare(float[] got, float[] want, double tol) {
        for (int i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
                return "MISMATCH at " + i + ": " + got[i] + " vs cpu " + want[i];
            }
        }
        return "ok";
    }

    private String pool(Pool p, Backend cpu, StringBuilder md) {
        Layout l = p.spec().layout();
        int[] dims = l == Layout.NCHW ? new int[] {p.n(), p.c(), p.h(), p.w()} : new int[] {p.n(), p.h(), p.w(), p.c()};
        Pool2dGeometry g = p.spec().geometry(Shape.of(dims));
        float[] x = Harness.random(g.inputCount(), p.name().hashCode(), 1f);
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, l, dims));
            Tensor ty = s.track(backend.zeros(l, g.outputDims()));
            backend.pool2d(p.spec(), tx, ty);
            String check = "ok (cpu)";
            if (cpu != null) {
                try (Tensor cx = cpu.tensor(x, l, dims); Tensor cy = cpu.pool2d(p.spec(), cx)) {
                    check = compare(ty.toArray(), cy.toArray(), 1e-5);
                }
            }
            double ms = measure(() -> backend.pool2d(p.spec(), tx, ty), (long) g.bytesMoved());
            return row(md, "pool2d " + p.name(), Arrays.toString(dims), ms, g.bytesMoved(), check);
        }
    }

    private String softmax(Softmax sm, Backend cpu, StringBuilder md) {
        long n = Shape.of(sm.dims()).elementCount();
        float[] x = Harness.random(n, sm.name().hashCode(), 8f);
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, sm.dims()));
            Tensor ty = s.track(backend.zeros(sm.dims()));
            backend.softmax(tx, sm.axis(), ty);
            String check = "ok (cpu)";
            if (cpu != null) {
                try (Tensor cx = cpu.tensor(x, sm.dims()); Tensor cy = cpu.softmax(cx, sm.axis())) {
                    check = compare(ty.toArray(), cy.toArray(), 1e-5);
                }
            }
            double ms = measure(() -> backend.softmax(tx, sm.axis(), ty), 8 * n);
            return row(md, "softmax " + sm.name(), Arrays.toString(sm.dims()) + " axis " + sm.axis(), ms, 8.0 * n, check);
        }
    }

    private String row(StringBuilder md, String op, String shape, double ms, double bytes, String check) {
        double gbps = BytesModel.gbPerSecond(bytes, ms);
        md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.1f | %.0f %% | %s |%n", op, shape, ms, gbps, 100 * gbps / copyGbps, check));
        progress.printf(Locale.ROOT, "%s %s: %.4f ms, %.1f GB/s (%.0f %% of copy)%n", op, shape, ms, gbps, 100 * gbps / copyGbps);
        return String.format(Locale.ROOT, "{\"op\": \"%s\", \"shape\": \"%s\", \"ms\": %s, \"gbps\": %s, \"shareOfCopy\": %s, \"check\": \"%s\"}",
                op, shape, fmt(ms), fmt(gbps), fmt(gbps / copyGbps), check.replace("\"", "'"));
    }

    private String residual(Residual r, Backend cpu, StringBuilder md) {
        Conv2dSpec spec = Conv2dSpec.builder().padding(1).bias(true).build();
        int[] in = {r.n(), r.c(), r.h(), r.w()}, out = {r.n(), r.k(), r.h(), r.w()};
        long outputs = (long) r.n() * r.k() * r.h() * r.w();
        float[] x = Harness.random((long) r.n() * r.c() * r.h() * r.w(), 1, 1f), w = Harness.random((long) r.k() * r.c() * 9, 2, 0.1f);
        float[] b = Harness.random(r.k(), 3, 1f), res = Harness.random(outputs, 4, 1f);
        Activation relu = Activation.relu();
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, in)), tw = s.track(backend.tensor(w, r.k(), r.c(), 3, 3));
            Tensor tb = s.track(backend.tensor(b, r.k())), tr = s.track(backend.tensor(res, out));
            Tensor ty = s.track(backend.zeros(out)), tz = s.track(backend.zeros(out));
            backend.conv2dActivation(spec, relu, tx, tw, tb, tr, ty);
            String check = "ok (cpu)";
            if (cpu != null) {
                try (Tensor cx = cpu.tensor(x, in); Tensor cw = cpu.tensor(w, r.k(), r.c(), 3, 3); Tensor cb = cpu.tensor(b, r.k());
                     Tensor cr = cpu.tensor(res, out); Tensor cy = cpu.conv2dActivationResidual(spec, relu, cx, cw, cb, cr)) {
                    check = compare(ty.toArray(), cy.toArray(), 1e-4);
                }
            }
            long bytes = 4L * (x.length + w.length + outputs * 2);
            double convMs = measure(() -> backend.conv2d(spec, tx, tw, tb, tz), bytes);
            double threeMs = measure(() -> {
                backend.conv2d(spec, tx, tw, tb, tz);
                backend.add(tz, tr, tz);
                backend.activation(relu, tz, tz);
            }, bytes);
            double fusedMs = measure(() -> backend.conv2dActivation(spec, relu, tx, tw, tb, tr, ty), bytes);
            double perByte = 1 / (copyGbps * 1e6); // ms per byte
            double model = (convMs + 20.0 * outputs * perByte) / (convMs + 4.0 * outputs * perByte);
            String shape = r.n() + "x" + r.c() + "x" + r.h() + "x" + r.w() + " → " + r.k();
            md.append(String.format(Locale.ROOT, "| %s %s | %.4f | %.4f | %.4f | %.2fx | %.2fx | %s |%n", r.name(), shape, convMs, threeMs,
                    fusedMs, threeMs / fusedMs, model, check));
            progress.printf(Locale.ROOT, "residual %s: conv %.4f ms, three launches %.4f ms, fused %.4f ms (%.2fx, model %.2fx)%n",
                    r.name(), convMs, threeMs, fusedMs, threeMs / fusedMs, model);
            return String.format(Locale.ROOT, "{\"op\": \"residual %s\", \"shape\": \"%s\", \"convMs\": %s, \"threeLaunchMs\": %s, \"fusedMs\": %s, "
                    + "\"speedup\": %s, \"modelSpeedup\": %s, \"check\": \"%s\"}", r.name(), shape, fmt(convMs), fmt(threeMs), fmt(fusedMs),
                    fmt(threeMs / fusedMs), fmt(model), check.replace("\"", "'"));
        }
    }
}
