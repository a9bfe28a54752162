package dev.jkernels.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Markdown tables of a {@link BenchResult}; "–" marks a figure that was not measured. */
public final class Tables {
    private Tables() {}

    /** The whole run: a header saying which backend ran, then one table per op. */
    public static String render(BenchResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("## jkernels benchmark: backend ").append(r.backend()).append(" (").append(r.backendDescription()).append(")\n\n");
        if (r.note() != null) sb.append("**").append(r.note()).append("**\n\n");
        sb.append("- date ").append(r.date()).append("; ").append(r.java()).append("; ").append(r.os())
                .append(", ").append(r.cores()).append(" cores\n");
        sb.append("- timing: ").append(r.timing()).append("; warm-up ").append(r.warmup()).append(", median of ")
                .append(r.reps()).append("; L2 flush: ").append(r.l2Flush()).append("\n");
        if (r.copy() != null) {
            sb.append(String.format(Locale.ROOT, "- copy bandwidth (%s, %s MiB each way): %.1f GB/s, the limit for memory-bound ops%n",
                    r.gpu() ? "device-to-device" : "Backend.copy in memory", fmt(r.copy().bytes() / 2.0 / (1 << 20), 0), r.copy().gbps()));
        }
        if (r.cublas() != null) sb.append("- cuBLAS (JCublas): ").append(r.cublas()).append('\n');
        sb.append("- PyTorch anchors: ").append(r.anchors() == null ? "none given (--anchors anchors.json)" : r.anchors()).append('\n');
        if (!r.complete()) sb.append("- **incomplete run: stopped before the end of the workload list**\n");
        if (r.checkFailures() > 0) sb.append("- **").append(r.checkFailures()).append(" result(s) FAILED (a wrong result in the spot check, or an error) and were not timed**\n");
        sb.append('\n');

        // On a CPU run the anchors are benchmarks/cpu-anchors.py's: numpy/OpenBLAS SGEMM, PyTorch CPU (oneDNN) conv.
        boolean cpu = "CPU".equals(r.backendKind());
        String gemmAnchor = cpu ? "numpy/OpenBLAS" : "PyTorch", convAnchor = cpu ? "PyTorch CPU" : "cuDNN";
        String actAnchor = cpu ? "PyTorch CPU" : "PyTorch";
        if (!r.gemm().isEmpty()) {
            sb.append("### GEMM (C = A·B; FP32 unless the algorithm names TF32 or FP32_3XTF32)\n\n");
            if (r.gemm().stream().anyMatch(g -> g.algorithm().endsWith("TF32"))) {
                sb.append("TF32 rows compare with cuBLAS in TF32 tensor-op math and PyTorch with allow_tf32 on; FP32_3XTF32 rows with "
                        + "cuBLAS SGEMM and PyTorch with TF32 off (the FP32 baselines it matches in accuracy).\n\n");
            }
            List<String[]> rows = new ArrayList<>();
            for (BenchResult.GemmRow g : r.gemm()) {
                rows.add(new String[] {g.label(), g.algorithm(), ms(g.ms()), rate(g.tflops()), ms(g.cublasMs()), rate(g.cublasTflops()),
                        pct(g.shareOfCublas()), rate(g.anchorTflops()), pct(g.shareOfAnchor()), status(g.check(), g.skipped())});
            }
            sb.append(compactTable(new String[] {"M×N×K", "algorithm", "ms", "TFLOP/s", "cuBLAS ms", "cuBLAS TFLOP/s", "% of cuBLAS",
                    gemmAnchor + " TFLOP/s", "% of " + gemmAnchor, "check"}, rows)).append('\n');
        }
        if (!r.conv2d().isEmpty()) {
            sb.append("### conv2d (NCHW, bias; FP32 unless the row names [TF32] or [FP32_3XTF32])\n\n");
            if (r.conv2d().stream().anyMatch(c -> c.name().endsWith("TF32]"))) {
                sb.append("[TF32] rows compare with cuDNN with allow_tf32 on (PyTorch's default); [FP32_3XTF32] rows with cuDNN FP32.\n\n");
            }
            List<String[]> rows = new ArrayList<>();
            for (BenchResult.ConvRow c : r.conv2d()) {
                rows.add(new String[] {c.name(), c.shape(), ms(c.ms()), rate(c.tflops()), rate(c.anchorTflops()),
                        pct(c.shareOfAnchor()), status(c.check(), c.skipped())});
            }
            sb.append(compactTable(new String[] {"conv", "N×C×H×W k R×S/stride pad", "ms", "TFLOP/s", convAnchor + " TFLOP/s", "% of " + convAnchor, "check"}, rows)).append('\n');
        }
        if (!r.activation().isEmpty()) {
            sb.append("### activation (y = f(x), 8 bytes per element)\n\n");
            List<String[]> rows = new ArrayList<>();
            for (BenchResult.ActivationRow a : r.activation()) {
                rows.add(new String[] {a.name(), Long.toString(a.n()), ms(a.ms()), rate(a.gbps()), pct(a.shareOfCopy()),
                        rate(a.anchorGbps()), pct(a.shareOfAnchor()), status(a.check(), a.skipped())});
            }
            sb.append(compactTable(new String[] {"activation", "elements", "ms", "GB/s", "% of copy", actAnchor + " GB/s", "% of " + actAnchor, "check"}, rows)).append('\n');
        }
        if (!r.fused().isEmpty()) {
            sb.append("### fused conv2d+activation vs two launches\n\n");
            sb.append("two-launch = conv2d, then the activation over its output; predicted = (conv + 8 bytes/output at the copy bandwidth) / conv.\n\n");
            List<String[]> rows = new ArrayList<>();
            for (BenchResult.FusedRow f : r.fused()) {
                rows.add(new String[] {f.name(), f.activation(), ms(f.convMs()), ms(f.activationMs()), ms(f.twoLaunchMs()), ms(f.fusedMs()),
                        times(f.speedup()), times(f.predictedSpeedup()), ms(f.anchorTwoLaunchMs()), status(f.check(), f.skipped())});
            }
            sb.append(compactTable(new String[] {"conv", "activation", "conv ms", "activation ms", "two-launch ms", "fused ms", "speedup",
                    "predicted", actAnchor + " two-launch ms", "check"}, rows)).append('\n');
        }
        return sb.toString();
    }

    /**
     * A Markdown table without the columns that hold no figure in any row (a CPU run has no cuBLAS or
     * PyTorch column to show); the first two columns always stay.
     */
    static String compactTable(String[] header, List<String[]> rows) {
        List<Integer> keep = new ArrayList<>();
        for (int c = 0; c < header.length; c++) {
            final int col = c;
            if (c < 2 || rows.stream().anyMatch(r -> r[col] != null && !r[col].equals("–"))) keep.add(c);
        }
        String[] h = keep.stream().map(c -> header[c]).toArray(String[]::new);
        List<String[]> out = new ArrayList<>();
        for (String[] r : rows) out.add(keep.stream().map(c -> r[c]).toArray(String[]::new));
        return table(h, out);
    }

    /** A Markdown table; cells must not contain '|'. */
    public static String table(String[] header, List<String[]> rows) {
        StringBuilder sb = new StringBuilder();
        line(sb, header);
        String[] rule = new String[header.length];
        for (int i = 0; i < rule.length; i++) rule[i] = "---";
        line(sb, rule);
        for (String[] r : rows) line(sb, r);
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells) {
        sb.append('|');
        for (String c : cells) sb.append(' ').append(c == null ? "–" : c.replace('|', '/')).append(" |");
        sb.append('\n');
    }

    static String status(String check, String skipped) {
        if (skipped != null) return skipped;
        return check == null ? "–" : check;
    }

    static String ms(Double v) {
        if (v == null) return "–";
        return v >= 100 ? fmt(v, 1) : v >= 1 ? fmt(v, 3) : fmt(v, 4);
    }

    /** A throughput with about three significant digits: 4294.9, 35.80, 0.0181 (CPU figures are small). */
    static String rate(Double v) {
        if (v == null || v.isNaN()) return "–";
        double a = Math.abs(v);
        return fmt(v, a >= 100 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 4 : 6);
    }

    static String fmt(Double v, int digits) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String pct(Double share) {
        return share == null ? "–" : String.format(Locale.ROOT, "%.1f %%", 100 * share);
    }

    static String times(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.2f×", v);
    }
}
