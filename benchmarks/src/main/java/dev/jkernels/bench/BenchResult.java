package dev.jkernels.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One harness run, as written to {@code bench.json} and read back by {@link Report}. Figures that
 * were not measured are {@code null} (JSON: absent), never 0; a row that did not run says why in
 * {@code skipped}; {@code check} says how the result was verified before it was timed.
 *
 * @param backend the backend's short name ({@code cpu}, {@code cuda:0}, {@code emulated})
 * @param backendKind CPU, CUDA or EMULATED
 * @param gpu whether the figures are GPU figures
 * @param note one sentence a reader must not miss (e.g. "CPU backend: these are not GPU figures")
 * @param timing how times were taken
 * @param l2Flush when the L2 cache was flushed between repeats
 * @param copy the device-to-device copy bandwidth measured in this run (the memory-bound limit)
 * @param cublas whether cuBLAS ran through JCublas, and if not why
 * @param anchors which anchors file was used (device and path), or null
 * @param complete false while the run is in progress (the harness rewrites its JSON after each
 *     workload, so a run cut short leaves a partial file that says so)
 */
public record BenchResult(String tool, String date, String backend, String backendKind, String backendDescription,
                          boolean gpu, String note, String java, String os, int cores, String timing, String l2Flush,
                          int warmup, int reps, long seed, Copy copy, String cublas, String anchors,
                          List<GemmRow> gemm, List<ConvRow> conv2d, List<ActivationRow> activation, List<FusedRow> fused,
                          int checkFailures, boolean complete) {

    public BenchResult {
        gemm = gemm == null ? List.of() : List.copyOf(gemm);
        conv2d = conv2d == null ? List.of() : List.copyOf(conv2d);
        activation = activation == null ? List.of() : List.copyOf(activation);
        fused = fused == null ? List.of() : List.copyOf(fused);
    }

    public record Copy(long bytes, double ms, double gbps) {}

    public record GemmRow(int m, int n, int k, String algorithm, Double ms, Double tflops,
                          Double cublasMs, Double cublasTflops, Double shareOfCublas,
                          Double anchorTflops, Double shareOfAnchor, String check, String skipped) {
        public String label() { return m + "x" + n + "x" + k; }
    }

    public record ConvRow(String name, String shape, long outputs, Double ms, Double tflops,
                          Double anchorTflops, Double shareOfAnchor, String check, String skipped) {}

    public record ActivationRow(String name, long n, Double ms, Double gbps, Double shareOfCopy,
                                Double anchorGbps, Double shareOfAnchor, String check, String skipped) {}

    /**
     * @param speedup twoLaunchMs / fusedMs
     * @param predictedSpeedup the bytes model: (convMs + 8·outputs / copy bandwidth) / convMs
     * @param anchorTwoLaunchMs PyTorch's conv then activation, on the same device, when anchors were given
     */
    public record FusedRow(String name, String activation, long outputs, Double convMs, Double activationMs,
                           Double twoLaunchMs, Double fusedMs, Double speedup, Double predictedSpeedup,
                           Double anchorTwoLaunchMs, String check, String skipped) {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    public String toJson() { return GSON.toJson(this); }

    public static BenchResult parse(String json) {
        BenchResult r;
        try {
            r = GSON.fromJson(json, BenchResult.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bench.json: not in the harness's format: " + e.getMessage(), e);
        }
        if (r == null) throw new IllegalArgumentException("bench.json: empty document");
        return r;
    }

    public static BenchResult read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }
}
