package dev.jkernels.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.kernel.ConvFastKernels;
import dev.jkernels.kernel.ConvKernels;
import dev.jkernels.kernel.DeviceBuffer;
import dev.jkernels.kernel.DeviceProfile;
import dev.jkernels.kernel.EpilogueArgs;
import dev.jkernels.kernel.GemmKernels;
import dev.jkernels.kernel.GemmPlan;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.kernel.KernelLaunch;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * The first device run's decision: every GEMM kernel configuration (and split-K factor, for the
 * variants that split) and every conv kernel configuration on each public workload, timed by CUDA
 * events, and which wins per shape, written as JSON in the format {@link
 * dev.jkernels.kernel.MeasuredWinners} reads. Committed as
 * {@code src/main/resources/dev/jkernels/gemm-winners-<family>.json}, the file makes the selection
 * take the measured winner for those shapes on that device family.
 *
 * <p>What it measures: kernel time only (the launches of one GEMM, the split-K reduction
 * included), median of {@code --reps} after {@code --warmup}, inputs uniform random. Each candidate's
 * output is spot-checked against a double-precision reference first; a wrong one is reported and
 * never wins. A candidate whose first run takes longer than {@value #SLOW_MS} ms (the naive kernel
 * at 8192³) is timed by that run alone. The sweep stops at {@code --limit-s} and writes what it has
 * ({@code "complete": false}). Conv configurations are swept the same way: a new entry of
 * {@link ConvKernels.Config} or {@link ConvFastKernels.Variant} (the pipelined implicit-GEMM tiles,
 * Winograd, depthwise, where each applies) is swept without changes here.
 *
 * <pre>Sweep --backend cuda|emulated --json OUT [--only gemm,conv2d] [--reps 5] [--warmup 2] [--limit-s 150]
 *       [--workloads FILE] [--max-gflop X]</pre>
 */
public final class Sweep {
    static final double SLOW_MS = 250;
    static final int[] SPLITS = {2, 4, 8, 16};

    record Options(String backend, Path json, Set<String> only, int reps, int warmup, double limitS, Path workloads,
                   double maxGflop) {
        static Options parse(String... args) {
            String backend = "cuda";
            Path json = null, workloads = null;
            Set<String> only = new LinkedHashSet<>(List.of("gemm", "conv2d"));
            int reps = 5, warmup = 2;
            double limit = 150, maxGflop = Double.NaN;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--backend" -> { backend = need(v, a); i++; }
                    case "--json" -> { json = Path.of(need(v, a)); i++; }
                    case "--only" -> { only = new LinkedHashSet<>(Arrays.asList(need(v, a).split(","))); i++; }
                    case "--reps" -> { reps = Integer.parseInt(need(v, a)); i++; }
                    case "--warmup" -> { warmup = Integer.parseInt(need(v, a)); i++; }
                    case "--limit-s" -> { limit = Double.parseDouble(need(v, a)); i++; }
                    case "--workloads" -> { workloads = Path.of(need(v, a)); i++; }
                    case "--max-gflop" -> { maxGflop = Double.parseDouble(need(v, a)); i++; }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (json == null) throw new IllegalArgumentException("--json OUT is required");
            if (reps < 1 || warmup < 0) throw new IllegalArgumentException("--reps must be >= 1 and --warmup >= 0");
            for (String o : only) {
                if (!Set.of("gemm", "conv2d").contains(o)) throw new IllegalArgumentException("--only: gemm or conv2d, got " + o);
            }
            if (Double.isNaN(maxGflop)) maxGflop = backend.equals("cuda") ? Double.POSITIVE_INFINITY : 0.02;
            return new Options(backend, json, only, reps, warmup, limit, workloads, maxGflop);
        }

        private static String need(String v, String a) {
            if (v == null) throw new IllegalArgumentException(a + " needs a value");
            return v;
        }
    }

    private final KernelBackend kb;
    private final Options o;
    private final PrintStream log;
    private final long deadline;
    private final JsonObject out = new JsonObject();
    private final JsonArray winners = new JsonArray(), gemmRows = new JsonArray(), convRows = new JsonArray();

    Sweep(KernelBackend kb, Options o, PrintStream log) {
        this.kb = kb;
        this.o = o;
        this.log = log;
        this.deadline = System.nanoTime() + (long) (o.limitS() * 1e9);
        DeviceProfile d = kb.deviceProfile();
        // On the emulated CUDA driver (a rehearsal) nothing here is a GPU figure: the family is not an
        // sm_XY name, so MeasuredWinners refuses this file even if it is copied into the resources.
        boolean emulated = Harness.emulatedDriver(kb);
        out.addProperty("about", (emulated ? "EMULATED CUDA driver (a rehearsal, not a GPU): wall clock of the CPU emulator "
                + "through JCuda; these are not GPU figures and not GPU winners. " : "")
                + "Kernel time (CUDA events on a GPU; wall clock on the emulator, for plumbing only) of every "
                + "GEMM configuration and split-K factor and every conv configuration per public workload; median of "
                + o.reps() + " after " + o.warmup() + " warm-up runs. 'winners' is what MeasuredWinners reads.");
        out.addProperty("gpu", Harness.isGpu(kb));
        out.addProperty("family", emulated ? "emulated (not " + d.family() + ")" : d.family());
        out.addProperty("device", kb.description());
        out.addProperty("smCount", d.smCount());
        out.addProperty("backend", kb.kind().toString());
        out.addProperty("measured", Instant.now().toString());
        out.addProperty("complete", false);
        out.add("winners", winners);
        out.add("gemm", gemmRows);
        out.add("conv2d", convRows);
    }

    public static void main(String[] args) throws IOException {
        Options o = Options.parse(args);
        Backend b = Harness.create(o.backend());
        if (!(b instanceof KernelBackend kb)) {
            System.err.println("sweep: the " + o.backend() + " backend runs no kernels; nothing to sweep");
            b.close();
            System.exit(3);
            return;
        }
        try (kb) {
            Sweep s = new Sweep(kb, o, System.err);
            Workloads w = o.workloads() == null ? Workloads.builtIn() : Workloads.read(o.workloads());
            boolean complete = true;
            if (o.only().contains("gemm")) complete &= s.gemm(w.gemm());
            if (o.only().contains("conv2d")) complete &= s.conv(w.conv2d());
            s.out.addProperty("complete", complete);
            s.write();
            System.out.println(s.table());
        }
    }

    boolean timeLeft() { return System.nanoTime() < deadline; }

    void write() throws IOException {
        Path tmp = o.json().resolveSibling(o.json().getFileName() + ".tmp");
        if (o.json().getParent() != null) Files.createDirectories(o.json().getParent());
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(out), StandardCharsets.UTF_8);
        Files.move(tmp, o.json(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Median kernel time in ms of {@code launches}, or the first run's when it is slow. */
    double time(List<KernelLaunch> launches) {
        Runnable run = () -> { for (KernelLaunch l : launches) kb.launcher().launch(l); };
        double first = kb.timeMillis(run);
        if (first > SLOW_MS) return first;
        for (int i = 0; i < o.warmup(); i++) kb.timeMillis(run);
        double[] t = new double[o.reps()];
        for (int i = 0; i < t.length; i++) t[i] = kb.timeMillis(run);
        Arrays.sort(t);
        return t[t.length / 2];
    }

    static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2f - 1f;
        return x;
    }

    boolean gemm(List<Workloads.Gemm> shapes) throws IOException {
        for (Workloads.Gemm g : shapes) {
            if (!timeLeft()) return false;
            if (g.flops() / 1e9 > o.maxGflop()) {
                log.printf(Locale.ROOT, "sweep gemm %s: skipped (%.1f GFLOP > --max-gflop %.3f)%n", g.label(), g.flops() / 1e9, o.maxGflop());
                continue;
            }
            int m = g.m(), n = g.n(), k = g.k();
            GemmSpec spec = GemmSpec.plain();
            float[] a = random(1, m * k), b = random(2, k * n);
            SpotCheck.Reference ref = SpotCheck.gemm(a, b, m, n, k);
            GemmPlan model = kb.planGemm(GemmAlgorithm.AUTO, m, n, k);
            JsonObject row = new JsonObject();
            row.addProperty("m", m);
            row.addProperty("n", n);
            row.addProperty("k", k);
            row.addProperty("model", model.config().cudaName() + " split-K " + model.splitK());
            JsonArray cands = new JsonArray();
            row.add("candidates", cands);
            gemmRows.add(row);
            String bestName = null;
            int bestSplit = 1;
            double bestMs = Double.POSITIVE_INFINITY, modelMs = Double.NaN;
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(kb.tensor(a, m, k)), tb = scope.track(kb.tensor(b, k, n));
                Tensor tc = scope.track(kb.zeros(m, n));
                for (GemmKernels.Config c : GemmKernels.Config.values()) {
                    // FP32 kernels only: the winners table feeds AUTO's FP32 choice (a TF32 kernel is not an
                    // FP32 candidate); the tensor-core configurations are chosen by the model until a sweep per
                    // precision exists.
                    if (c.precision() != dev.jkernels.Precision.FP32) continue;
                    if (!c.fits(m, n)) continue;
                    List<Integer> splits = new ArrayList<>(List.of(1));
                    GemmPlan unsplit = plan(c, 1, m, n, k);
                    // split-K only where the selection would consider it: under one wave, K/s >= 256,
                    // a workspace of at most 256 MiB
                    if (c.supportsSplitK() && unsplit != null && unsplit.tiles() < (long) unsplit.blocksPerSm() * unsplit.smCount()) {
                        for (int s : SPLITS) if (k / s >= 256 && (long) s * m * n <= (1L << 26)) splits.add(s);
                    }
                    for (int s : splits) {
                        if (!timeLeft()) {
                            write();
                            return false;
                        }
                        GemmPlan p = plan(c, s, m, n, k);
                        if (p == null) continue;
                        Tensor ws = p.workspaceFloats() > 0 ? scope.track(kb.zeros((int) p.workspaceFloats())) : null;
                        List<KernelLaunch> ls = GemmKernels.launches(p, spec, buffer(ta), buffer(tb), buffer(tc), EpilogueArgs.identity(),
                                ws == null ? null : buffer(ws), "sweep " + c.cudaName() + " split " + s);
                        JsonObject cand = new JsonObject();
                        cand.addProperty("config", c.cudaName());
                        cand.addProperty("splitK", s);
                        try {
                            for (KernelLaunch l : ls) kb.launcher().launch(l);
                            SpotCheck.Outcome chk = SpotCheck.check(tc.toArray(), ref, 7, i -> "C[" + i / n + "][" + i % n + "]");
                            cand.addProperty("check", chk.ok() ? "ok" : chk.message());
                            if (chk.ok()) {
                                double ms = time(ls);
                                cand.addProperty("ms", ms);
                                cand.addProperty("tflops", g.flops() / (ms * 1e-3) / 1e12);
                                if (ms < bestMs) {
                                    bestMs = ms;
                                    bestName = c.cudaName();
                                    bestSplit = s;
                                }
                                if (c == model.config() && s == model.splitK()) modelMs = ms;
                            }
                        } catch (RuntimeException e) {
                            cand.addProperty("check", "failed: " + e.getMessage());
                        }
                        if (ws != null) {
                            ws.close();
                        }
                        cands.add(cand);
                        log.printf(Locale.ROOT, "sweep gemm %s %s split %d: %s%n", g.label(), c.cudaName(), s, cand);
                    }
                }
            }
            if (bestName != null) {
                JsonObject w = new JsonObject();
                w.addProperty("m", m);
                w.addProperty("n", n);
                w.addProperty("k", k);
                w.addProperty("config", bestName);
                w.addProperty("splitK", bestSplit);
                w.addProperty("ms", bestMs);
                w.addProperty("modelChoice", model.config().cudaName() + " split-K " + model.splitK());
                if (!Double.isNaN(modelMs)) w.addProperty("modelChoiceMs", modelMs);
                winners.add(w);
            }
            write();
        }
        return true;
    }

    GemmPlan plan(GemmKernels.Config c, int s, int m, int n, int k) { return kb.planGemm(c, s, m, n, k); }

    static DeviceBuffer buffer(Tensor t) { return KernelBackend.deviceBuffer(t); }

    boolean conv(List<Workloads.Conv> shapes) throws IOException {
        Activation identity = Activation.identity();
        for (Workloads.Conv cv : shapes) {
            if (!timeLeft()) return false;
            if (cv.flops() / 1e9 > o.maxGflop()) {
                log.printf(Locale.ROOT, "sweep conv2d %s: skipped (%.1f GFLOP > --max-gflop %.3f)%n", cv.name(), cv.flops() / 1e9, o.maxGflop());
                continue;
            }
            Conv2dSpec spec = Conv2dSpec.builder().stride(cv.stride()).padding(cv.pad()).bias(true).build();
            int[] in = {cv.n(), cv.c(), cv.h(), cv.w()}, f = {cv.k(), cv.c(), cv.r(), cv.s()};
            Conv2dGeometry geo = spec.geometry(Shape.of(in), Shape.of(f));
            float[] x = random(3, (int) cv.inputElements()), wts = random(4, (int) cv.filterElements()), bias = random(5, cv.k());
            SpotCheck.Reference ref = SpotCheck.conv(x, wts, bias, cv, identity);
            JsonObject row = new JsonObject();
            row.addProperty("name", cv.name());
            row.addProperty("shape", cv.shape());
            JsonArray cands = new JsonArray();
            row.add("candidates", cands);
            convRows.add(row);
            String best = null;
            double bestMs = Double.POSITIVE_INFINITY;
            try (TensorScope scope = new TensorScope()) {
                Tensor tx = scope.track(kb.tensor(x, Layout.NCHW, in)), tw = scope.track(kb.tensor(wts, f));
                Tensor tbias = scope.track(kb.tensor(bias, cv.k()));
                Tensor ty = scope.track(kb.zeros(Layout.NCHW, cv.n(), cv.k(), cv.p(), cv.q()));
                for (ConvKernels.Config c : ConvKernels.Config.values()) {
                    if (!timeLeft()) {
                        write();
                        return false;
                    }
                    if (c.unsupportedReason(geo) != null) continue;
                    JsonObject cand = new JsonObject();
                    cand.addProperty("config", c.cudaName());
                    try {
                        KernelLaunch l = ConvKernels.launch(c, geo, identity, buffer(tx), buffer(tw), buffer(tbias), buffer(ty),
                                "sweep conv2d " + cv.name() + " " + c.cudaName());
                        kb.launcher().launch(l);
                        SpotCheck.Outcome chk = SpotCheck.check(ty.toArray(), ref, 7, i -> "y[" + i + "]");
                        cand.addProperty("check", chk.ok() ? "ok" : chk.message());
                        if (chk.ok()) {
                            double ms = time(List.of(l));
                            cand.addProperty("ms", ms);
                            cand.addProperty("tflops", cv.flops() / (ms * 1e-3) / 1e12);
                            if (ms < bestMs) {
                                bestMs = ms;
                                best = c.cudaName();
                            }
                        }
                    } catch (RuntimeException e) {
                        cand.addProperty("check", "failed: " + e.getMessage());
                    }
                    cands.add(cand);
                    log.printf(Locale.ROOT, "sweep conv2d %s %s: %s%n", cv.name(), c.cudaName(), cand);
                }
                // The second-generation kernels (ConvFastKernels), filters transformed once before timing.
                for (ConvFastKernels.Variant v : ConvFastKernels.Variant.values()) {
                    if (!timeLeft()) {
                        write();
                        return false;
                    }
                    if (v == ConvFastKernels.Variant.GEMM_1X1 || v.unsupportedReason(geo) != null) continue;
                    // The tensor-core variants are timed too (checked in their precision) but never the FP32 winner.
                    boolean fp32 = v.precision() == dev.jkernels.Precision.FP32;
                    if (!fp32 && !dev.jkernels.kernel.TensorCores.supported(kb.deviceProfile())) continue;
                    JsonObject cand = new JsonObject();
                    cand.addProperty("config", v.cudaName());
                    if (!fp32) cand.addProperty("precision", v.precision().name());
                    try {
                        KernelLaunch l = kb.planConv(v, geo, tx, tw, tbias, ty);
                        kb.launcher().launch(l);
                        SpotCheck.Outcome chk = SpotCheck.check(ty.toArray(), SpotCheck.inPrecision(ref, v.precision()), 7,
                                i -> "y[" + i + "]");
                        cand.addProperty("check", chk.ok() ? "ok" : chk.message());
                        if (chk.ok()) {
                            double ms = time(List.of(l));
                            cand.addProperty("ms", ms);
                            cand.addProperty("tflops", cv.flops() / (ms * 1e-3) / 1e12);
                            if (fp32 && ms < bestMs) {
                                bestMs = ms;
                                best = v.cudaName();
                            }
                        }
                    } catch (RuntimeException e) {
                        cand.addProperty("check", "failed: " + e.getMessage());
                    }
                    cands.add(cand);
                    log.printf(Locale.ROOT, "sweep conv2d %s %s: %s%n", cv.name(), v.cudaName(), cand);
                }
            }
            if (best != null) {
                row.addProperty("winner", best);
                row.addProperty("winnerMs", bestMs);
            }
            write();
        }
        return true;
    }

    String table() {
        StringBuilder sb = new StringBuilder("| shape | winner | ms | model's choice | its ms |\n|---|---|---|---|---|\n");
        for (var e : winners) {
            JsonObject w = e.getAsJsonObject();
            sb.append(String.format(Locale.ROOT, "| %dx%dx%d | %s split-K %d | %.4f | %s | %s |%n", w.get("m").getAsInt(), w.get("n").getAsInt(),
                    w.get("k").getAsInt(), w.get("config").getAsString(), w.get("splitK").getAsInt(), w.get("ms").getAsDouble(),
                    w.get("modelChoice").getAsString(), w.has("modelChoiceMs") ? String.format(Locale.ROOT, "%.4f", w.get("modelChoiceMs").getAsDouble()) : "-"));
        }
        for (var e : convRows) {
            JsonObject r = e.getAsJsonObject();
            if (r.has("winner")) {
                sb.append(String.format(Locale.ROOT, "| conv2d %s | %s | %.4f | | |%n", r.get("name").getAsString(), r.get("winner").getAsString(),
                        r.get("winnerMs").getAsDouble()));
            }
        }
        return sb.toString();
    }
}
