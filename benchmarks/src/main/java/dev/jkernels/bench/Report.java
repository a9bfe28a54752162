package dev.jkernels.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a results folder into {@code report.md} and PNG charts: {@code bench.json} from the harness
 * and {@code anchors.json} from the rig's PyTorch run, either of which may be absent. When both are
 * there, the anchors fill the harness rows' PyTorch columns (the rig runs the harness before the
 * anchors, so its bench.json cannot have them).
 *
 * <pre>java -cp benchmarks/target/dist/jkernels-benchmarks.jar dev.jkernels.bench.Report RESULTS_DIR [--out DIR]</pre>
 *
 * Charts: {@value #FUSED_PNG} (measured and predicted speedup of fusing, per conv shape and
 * activation) and one "achieved against limit" chart per op ({@value #GEMM_PNG}, {@value #CONV_PNG},
 * {@value #ACTIVATION_PNG}).
 */
public final class Report {
    public static final String FUSED_PNG = "fused-vs-two-launch.png";
    public static final String GEMM_PNG = "gemm-vs-limit.png";
    public static final String CONV_PNG = "conv2d-vs-limit.png";
    public static final String ACTIVATION_PNG = "activation-vs-limit.png";

    private static final int WIDTH = 1200, HEIGHT = 650;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x7f7f7f)};

    private Report() {}

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: Report RESULTS_DIR [--out DIR]   (reads bench.json and/or anchors.json; writes report.md and PNGs)");
            if (args.length == 0) System.exit(2);
            return;
        }
        Path dir = Path.of(args[0]);
        Path out = dir;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) out = Path.of(args[++i]);
            else {
                System.err.println("report: unknown option " + args[i]);
                System.exit(2);
            }
        }
        try {
            List<Path> written = write(dir, out);
            for (Path p : written) System.out.println("report: wrote " + p);
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            System.err.println("report: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Reads {@code dir}, writes report.md and the charts into {@code out}; returns the files written. */
    public static List<Path> write(Path dir, Path out) {
        Path benchFile = dir.resolve("bench.json"), anchorsFile = dir.resolve("anchors.json");
        BenchResult bench = Files.isRegularFile(benchFile) ? BenchResult.read(benchFile) : null;
        Anchors anchors = Files.isRegularFile(anchorsFile) ? Anchors.read(anchorsFile) : null;
        if (bench == null && anchors == null) {
            throw new IllegalArgumentException(dir + " holds neither bench.json nor anchors.json");
        }
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(out);
            StringBuilder md = new StringBuilder("# jkernels benchmark report\n\n");
            md.append("Sources: ").append(bench == null ? "no bench.json" : "`bench.json`").append(", ")
                    .append(anchors == null ? "no anchors.json" : "`anchors.json` (PyTorch " + anchors.torch() + " on " + anchors.device() + ")")
                    .append(".\n\n");
            if (bench != null) {
                BenchResult merged = anchors == null ? bench : withAnchors(bench, anchors, "anchors.json (" + anchors.device() + ")");
                md.append(Tables.render(merged).replaceFirst("^## ", "## Measured: "));
                String sub = subtitle(merged);
                if (!merged.fused().isEmpty() && chartFused(merged, sub, out.resolve(FUSED_PNG))) {
                    written.add(out.resolve(FUSED_PNG));
                    md.append("![fused vs two-launch](").append(FUSED_PNG).append(")\n\n");
                }
                if (chartGemm(merged, sub, out.resolve(GEMM_PNG))) {
                    written.add(out.resolve(GEMM_PNG));
                    md.append("![GEMM against its limits](").append(GEMM_PNG).append(")\n\n");
                }
                if (chartConv(merged, sub, out.resolve(CONV_PNG))) {
                    written.add(out.resolve(CONV_PNG));
                    md.append("![conv2d against its limits](").append(CONV_PNG).append(")\n\n");
                }
                if (chartActivation(merged, sub, out.resolve(ACTIVATION_PNG))) {
                    written.add(out.resolve(ACTIVATION_PNG));
                    md.append("![activations against the copy bandwidth](").append(ACTIVATION_PNG).append(")\n\n");
                }
            }
            if (anchors != null) md.append(anchorTables(anchors));
            Path report = out.resolve("report.md");
            Files.writeString(report, md.toString());
            written.add(0, report);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the report into " + out, e);
        }
        return written;
    }

    /** {@code r} with the PyTorch columns filled from {@code a} where the shapes match exactly. */
    public static BenchResult withAnchors(BenchResult r, Anchors a, String source) {
        List<BenchResult.GemmRow> gemm = new ArrayList<>();
        for (BenchResult.GemmRow g : r.gemm()) {
            boolean tf32 = g.algorithm().endsWith(" TF32");  // TF32 rows: PyTorch with allow_tf32 on
            Double at = g.anchorTflops() != null ? g.anchorTflops()
                    : (tf32 ? a.tf32Gemm(g.m(), g.n(), g.k()) : a.gemm(g.m(), g.n(), g.k())).map(Anchors.Gemm::tflops).orElse(null);
            gemm.add(new BenchResult.GemmRow(g.m(), g.n(), g.k(), g.algorithm(), g.ms(), g.tflops(), g.cublasMs(), g.cublasTflops(),
                    g.shareOfCublas(), at, BytesModel.share(g.tflops(), at), g.check(), g.skipped()));
        }
        List<BenchResult.ConvRow> conv = new ArrayList<>();
        for (BenchResult.ConvRow c : r.conv2d()) {
            Double at = c.anchorTflops() != null ? c.anchorTflops() : anchorConv(a, c.name(), c.shape()).map(Anchors.Conv::tflops).orElse(null);
            conv.add(new BenchResult.ConvRow(c.name(), c.shape(), c.outputs(), c.ms(), c.tflops(), at, BytesModel.share(c.tflops(), at),
                    c.check(), c.skipped()));
        }
        List<BenchResult.ActivationRow> act = new ArrayList<>();
        for (BenchResult.ActivationRow x : r.activation()) {
            Double ag = x.anchorGbps() != null ? x.anchorGbps() : a.activation(x.name(), x.n()).map(Anchors.Activation::gbps).orElse(null);
            act.add(new BenchResult.ActivationRow(x.name(), x.n(), x.ms(), x.gbps(), x.shareOfCopy(), ag, BytesModel.share(x.gbps(), ag),
                    x.check(), x.skipped()));
        }
        List<BenchResult.FusedRow> fused = new ArrayList<>();
        for (BenchResult.FusedRow f : r.fused()) {
            Double two = f.anchorTwoLaunchMs() != null ? f.anchorTwoLaunchMs()
                    : a.convActivation(f.name(), f.activation()).map(Anchors.ConvActivation::twoLaunchMs).orElse(null);
            fused.add(new BenchResult.FusedRow(f.name(), f.activation(), f.outputs(), f.convMs(), f.activationMs(), f.twoLaunchMs(),
                    f.fusedMs(), f.speedup(), f.predictedSpeedup(), two, f.check(), f.skipped()));
        }
        return new BenchResult(r.tool(), r.date(), r.backend(), r.backendKind(), r.backendDescription(), r.gpu(), r.note(), r.java(),
                r.os(), r.cores(), r.timing(), r.l2Flush(), r.warmup(), r.reps(), r.seed(), r.copy(), r.cublas(),
                r.anchors() != null ? r.anchors() : source, gemm, conv, act, fused, r.checkFailures(), r.complete());
    }

    /** The anchor conv of this name whose shape string is the one measured (a scaled-down row has another name). */
    private static java.util.Optional<Anchors.Conv> anchorConv(Anchors a, String name, String shape) {
        // A precision row "name [TF32]" compares with cuDNN's TF32 (allow_tf32 on), "name [FP32_3XTF32]" with cuDNN FP32.
        List<Anchors.Conv> list = a.conv2d();
        if (name.endsWith(" [TF32]")) list = a.tf32() == null ? List.of() : a.tf32().conv2d();
        String base = name.replaceFirst(" \\[(TF32|FP32_3XTF32)]$", "");
        return list.stream().filter(c -> c.name().equals(base)
                && new Workloads.Conv(c.name(), c.n(), c.c(), c.h(), c.w(), c.k(), c.r(), c.s(), c.stride(), c.pad()).shape().equals(shape))
                .findFirst();
    }

    private static String subtitle(BenchResult r) {
        String s = "backend " + r.backend() + " (" + r.backendDescription() + "), " + r.date();
        if (!r.gpu()) s += " -- " + (r.note() != null ? r.note() : "not a GPU");
        return s;
    }

    // ---- charts ---------------------------------------------------------------------------------

    static boolean chartFused(BenchResult r, String subtitle, Path png) throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (BenchResult.FusedRow f : r.fused()) {
            if (f.speedup() == null) continue;
            String cat = shortName(f.name()) + " + " + f.activation();
            d.addValue(f.speedup(), "measured: two-launch / fused", cat);
            if (f.predictedSpeedup() != null) d.addValue(f.predictedSpeedup(), "bytes model: (conv + 8 B/output at copy bandwidth) / conv", cat);
            if (f.anchorTwoLaunchMs() != null) d.addValue(f.anchorTwoLaunchMs() / f.fusedMs(), "PyTorch two-launch / jkernels fused", cat);
        }
        if (d.getColumnCount() == 0) return false;
        JFreeChart c = bars("Fused conv2d+activation against two launches", subtitle, "conv shape + activation", "speedup (×, above 1 = fused is faster)", d);
        ValueMarker one = new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.5f));
        one.setLabel("1× (no gain)");
        one.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        one.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        c.getCategoryPlot().addRangeMarker(one);
        ChartUtils.saveChartAsPNG(png.toFile(), c, WIDTH, HEIGHT);
        return true;
    }

    static boolean chartGemm(BenchResult r, String subtitle, Path png) throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        boolean manyAlgorithms = r.gemm().stream().map(BenchResult.GemmRow::algorithm).distinct().count() > 1;
        for (BenchResult.GemmRow g : r.gemm()) {
            if (g.tflops() == null) continue;
            String cat = g.label() + (manyAlgorithms ? " " + g.algorithm() : "");
            d.addValue(g.tflops(), "jkernels", cat);
            if (g.cublasTflops() != null) d.addValue(g.cublasTflops(), "cuBLAS via JCublas (same run)", cat);
            if (g.anchorTflops() != null) d.addValue(g.anchorTflops(), "PyTorch cuBLAS (anchors)", cat);
        }
        if (d.getColumnCount() == 0) return false;
        ChartUtils.saveChartAsPNG(png.toFile(), bars("SGEMM: achieved against cuBLAS" + noLimit(d, 1), subtitle, "M×N×K", "TFLOP/s", d), WIDTH, HEIGHT);
        return true;
    }

    static boolean chartConv(BenchResult r, String subtitle, Path png) throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (BenchResult.ConvRow c : r.conv2d()) {
            if (c.tflops() == null) continue;
            d.addValue(c.tflops(), "jkernels", shortName(c.name()));
            if (c.anchorTflops() != null) d.addValue(c.anchorTflops(), "PyTorch cuDNN (anchors)", shortName(c.name()));
        }
        if (d.getColumnCount() == 0) return false;
        ChartUtils.saveChartAsPNG(png.toFile(), bars("conv2d: achieved against cuDNN" + noLimit(d, 1), subtitle, "convolution", "TFLOP/s", d), WIDTH, HEIGHT);
        return true;
    }

    static boolean chartActivation(BenchResult r, String subtitle, Path png) throws IOException {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (BenchResult.ActivationRow a : r.activation()) {
            if (a.gbps() == null) continue;
            String cat = shortName(a.name());
            d.addValue(a.gbps(), "jkernels", cat);
            if (r.copy() != null) d.addValue(r.copy().gbps(), "copy bandwidth (same run): the limit", cat);
            if (a.anchorGbps() != null) d.addValue(a.anchorGbps(), "PyTorch (anchors)", cat);
        }
        if (d.getColumnCount() == 0) return false;
        ChartUtils.saveChartAsPNG(png.toFile(), bars("Activations: achieved against the copy bandwidth", subtitle,
                "activation (y = f(x), 8 bytes per element)", "GB/s", d), WIDTH, HEIGHT);
        return true;
    }

    private static String noLimit(DefaultCategoryDataset d, int series) {
        return d.getRowCount() <= series ? " (no limit measured in this run)" : "";
    }

    /** "resnet-c2-3x3 (batch 32→1 on CPU)" → "resnet-c2-3x3 (n=1)" keeps the axis readable. */
    static String shortName(String name) {
        return name.replaceAll(" \\(batch \\d+→(\\d+) on \\w+\\)", " (n=$1)").replaceAll(" \\(n \\d+→(\\d+) on \\w+\\)", " (n=$1)");
    }

    private static JFreeChart bars(String title, String subtitle, String xLabel, String yLabel, DefaultCategoryDataset d) {
        JFreeChart chart = ChartFactory.createBarChart(title, xLabel, yLabel, d, PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        TextTitle sub = new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        chart.addSubtitle(sub);
        chart.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xcccccc));
        plot.setRangeGridlinesVisible(true);
        CategoryAxis x = plot.getDomainAxis();
        x.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        x.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        x.setMaximumCategoryLabelLines(2);
        if (d.getColumnCount() > 6) x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        plot.getRangeAxis().setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        plot.getRangeAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        plot.getRangeAxis().setUpperMargin(0.12);   // room for the value labels
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        renderer.setDrawBarOutline(false);
        for (int i = 0; i < d.getRowCount(); i++) renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        // about three significant digits on every bar, whatever its magnitude (CPU TFLOP/s are tiny)
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator() {
            @Override public String generateLabel(org.jfree.data.category.CategoryDataset ds, int row, int column) {
                Number v = ds.getValue(row, column);
                return v == null ? "" : Tables.rate(v.doubleValue());
            }
        });
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        return chart;
    }

    // ---- anchors alone --------------------------------------------------------------------------

    static String anchorTables(Anchors a) {
        StringBuilder sb = new StringBuilder("## PyTorch anchors on " + a.device() + " (torch " + a.torch() + ", cuDNN " + a.cudnn() + ", TF32 off unless the table says TF32 on)\n\n");
        if (a.copy() != null) sb.append(String.format(Locale.ROOT, "Copy bandwidth (device-to-device): %.0f GB/s.%n%n", a.copy().gbps()));
        if (!a.gemm().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.Gemm g : a.gemm()) rows.add(new String[] {g.m() + "x" + g.n() + "x" + g.k(), Tables.ms(g.ms()), Tables.fmt(g.tflops(), 2)});
            sb.append("### cuBLAS SGEMM\n\n").append(Tables.table(new String[] {"M×N×K", "ms", "TFLOP/s"}, rows)).append('\n');
        }
        if (a.tf32() != null && !a.tf32().gemm().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.Gemm g : a.tf32().gemm()) rows.add(new String[] {g.m() + "x" + g.n() + "x" + g.k(), Tables.ms(g.ms()), Tables.fmt(g.tflops(), 2)});
            sb.append("### cuBLAS, TF32 on (torch.backends.cuda.matmul.allow_tf32 = True)\n\n")
                    .append(Tables.table(new String[] {"M×N×K", "ms", "TFLOP/s"}, rows)).append('\n');
        }
        if (a.tf32() != null && !a.tf32().conv2d().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.Conv c : a.tf32().conv2d()) rows.add(new String[] {c.name(), Tables.ms(c.ms()), Tables.fmt(c.tflops(), 2)});
            sb.append("### cuDNN conv2d, TF32 on (torch.backends.cudnn.allow_tf32 = True, PyTorch's default)\n\n")
                    .append(Tables.table(new String[] {"conv", "ms", "TFLOP/s"}, rows)).append('\n');
        }
        if (!a.conv2d().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.Conv c : a.conv2d()) rows.add(new String[] {c.name(), Tables.ms(c.ms()), Tables.fmt(c.tflops(), 2)});
            sb.append("### cuDNN conv2d (with bias)\n\n").append(Tables.table(new String[] {"conv", "ms", "TFLOP/s"}, rows)).append('\n');
        }
        if (!a.convActivation().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.ConvActivation c : a.convActivation()) {
                rows.add(new String[] {c.name(), c.activation(), Tables.ms(c.convMs()), Tables.ms(c.activationMs()), Tables.ms(c.twoLaunchMs()),
                        Tables.pct(c.activationMs() / c.convMs())});
            }
            sb.append("### conv then activation (eager PyTorch: two launches)\n\n").append(Tables.table(new String[] {"conv", "activation",
                    "conv ms", "activation ms", "two-launch ms", "activation / conv"}, rows)).append('\n');
        }
        if (!a.activation().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (Anchors.Activation x : a.activation()) {
                rows.add(new String[] {x.name(), Long.toString(x.n()), Tables.ms(x.ms()), Tables.fmt(x.gbps(), 0),
                        a.copy() == null ? "–" : Tables.pct(x.gbps() / a.copy().gbps())});
            }
            sb.append("### activations\n\n").append(Tables.table(new String[] {"activation", "elements", "ms", "GB/s", "% of copy"}, rows)).append('\n');
        }
        return sb.toString();
    }
}
