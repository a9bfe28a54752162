package dev.jkernels.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The report from the small fixture in test resources (invented numbers, marked as such). */
class ReportTest {

    private static Path fixture(Path dir, boolean bench, boolean anchors) throws Exception {
        for (String name : List.of("bench.json", "anchors.json")) {
            if (name.equals("bench.json") && !bench || name.equals("anchors.json") && !anchors) continue;
            try (InputStream in = ReportTest.class.getResourceAsStream("fixture/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        return dir;
    }

    @Test
    void rendersMarkdownAndFourCharts(@TempDir Path dir) throws Exception {
        fixture(dir, true, true);
        List<Path> written = Report.write(dir, dir.resolve("out"));
        List<String> names = written.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("report.md", Report.FUSED_PNG, Report.GEMM_PNG, Report.CONV_PNG, Report.ACTIVATION_PNG), names);
        for (Path p : written.subList(1, written.size())) {
            byte[] b = Files.readAllBytes(p);
            assertTrue(b.length > 10_000, p + " is suspiciously small: " + b.length);
            assertEquals((byte) 0x89, b[0]);
            assertEquals("PNG", new String(b, 1, 3, java.nio.charset.StandardCharsets.US_ASCII));
        }
        String md = Files.readString(written.get(0));
        assertTrue(md.contains("![fused vs two-launch](" + Report.FUSED_PNG + ")"), md);
        assertTrue(md.contains("PyTorch anchors on FIXTURE GPU"), md);
        // the anchors filled the PyTorch column: 26.8 of 37.0 TFLOP/s
        assertTrue(md.contains("| 1024x1024x1024 | AUTO | 0.0800 | 26.80 | 0.0600 | 35.80 | 75.0 % | 37.00 | 72.4 % |"), md);
        // fused row: PyTorch's two-launch time comes from the anchors
        assertTrue(md.contains("| mnist-conv1 | relu | 0.0100 | 0.0060 | 0.0170 | 0.0105 | 1.62× | 1.26× | 0.0200 |"), md);
    }

    @Test
    void anchorsAloneStillMakeAReport(@TempDir Path dir) throws Exception {
        fixture(dir, false, true);
        List<Path> written = Report.write(dir, dir);
        assertEquals(1, written.size());
        String md = Files.readString(written.get(0));
        assertTrue(md.contains("no bench.json"), md);
        assertTrue(md.contains("| 4096x4096x4096 | 3.020 | 45.50 |"), md);
    }

    @Test
    void benchAloneHasNoPyTorchColumnsFilled(@TempDir Path dir) throws Exception {
        fixture(dir, true, false);
        List<Path> written = Report.write(dir, dir);
        assertEquals(5, written.size());
        String md = Files.readString(written.get(0));
        // no anchors: the PyTorch columns are left out rather than shown empty
        assertTrue(md.contains("| 1024x1024x1024 | AUTO | 0.0800 | 26.80 | 0.0600 | 35.80 | 75.0 % | ok (64 samples, max err 1.0e-05) |"), md);
        assertFalse(md.contains("PyTorch TFLOP/s"), md);
    }

    @Test
    void anEmptyFolderIsAnError(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Report.write(dir, dir));
        assertTrue(e.getMessage().contains("neither bench.json nor anchors.json"));
    }

    @Test
    void resultJsonRoundTrips(@TempDir Path dir) throws Exception {
        fixture(dir, true, false);
        BenchResult r = BenchResult.read(dir.resolve("bench.json"));
        BenchResult back = BenchResult.parse(r.toJson());
        assertEquals(r, back);
        assertNull(r.gemm().get(0).anchorTflops(), "absent figures stay absent, not 0");
    }

    @Test
    void anchorsParseTheAnchorsPyFormat(@TempDir Path dir) throws Exception {
        fixture(dir, false, true);
        Anchors a = Anchors.read(dir.resolve("anchors.json"));
        assertEquals(0.27, a.convActivation("resnet-c2-3x3", "gelu").orElseThrow().twoLaunchMs());
        assertEquals(4294.9, a.copyGbps().orElseThrow());
        assertTrue(a.conv(Workloads.builtIn().conv2d().get(0)).isPresent());
        assertTrue(a.conv(Workloads.builtIn().conv2d().get(0).withBatch(1)).isEmpty(), "a scaled-down conv has no anchor");
    }

    @Test
    void tf32AnchorsAreTheBaselineOfTheTf32Rows() {
        Anchors a = Anchors.parse("{\"device\":\"FIXTURE GPU\",\"torch\":\"x\",\"cudnn\":1,"
                + "\"gemm\":[{\"m\":64,\"n\":64,\"k\":64,\"ms\":1,\"tflops\":10}],"
                + "\"conv2d\":[{\"name\":\"c\",\"n\":1,\"c\":3,\"h\":8,\"w\":8,\"k\":8,\"r\":3,\"s\":3,\"stride\":1,\"pad\":1,"
                + "\"p\":8,\"q\":8,\"ms\":0.2,\"tflops\":2}],"
                + "\"tf32\":{\"gemm\":[{\"m\":64,\"n\":64,\"k\":64,\"ms\":0.5,\"tflops\":20}],"
                + "\"conv2d\":[{\"name\":\"c\",\"n\":1,\"c\":3,\"h\":8,\"w\":8,\"k\":8,\"r\":3,\"s\":3,\"stride\":1,\"pad\":1,"
                + "\"ms\":0.1,\"tflops\":5}]}}");  // invented numbers
        assertEquals(20, a.tf32Gemm(64, 64, 64).orElseThrow().tflops());
        assertEquals(10, a.gemm(64, 64, 64).orElseThrow().tflops());
        Workloads.Conv c = new Workloads.Conv("c", 1, 3, 8, 8, 8, 3, 3, 1, 1);
        assertEquals(5, a.tf32Conv(c).orElseThrow().tflops());
        assertTrue(Anchors.parse("{\"device\":\"old\"}").tf32Gemm(64, 64, 64).isEmpty(), "an anchors.json without the tf32 part");
        String md = Report.anchorTables(a);
        assertTrue(md.contains("cuBLAS, TF32 on") && md.contains("cuDNN conv2d, TF32 on"), md);
    }
}
