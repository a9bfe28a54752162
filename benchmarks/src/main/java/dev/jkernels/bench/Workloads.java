package dev.jkernels.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark workloads, in the format of {@code workloads.json} (the public list shared with the
 * PyTorch anchors): GEMM shapes, NCHW convolutions (filters KCRS, square stride and padding), the
 * activations fused after each convolution, and one element-wise size with its activations.
 */
public record Workloads(List<Gemm> gemm, List<Conv> conv2d, List<String> convActivations,
                        long activationElements, List<String> activations) {

    /** The copy of the public list kept as a resource of this module. */
    public static final String RESOURCE = "dev/jkernels/bench/workloads.json";

    public Workloads {
        gemm = List.copyOf(gemm);
        conv2d = List.copyOf(conv2d);
        convActivations = List.copyOf(convActivations);
        activations = List.copyOf(activations);
        if (activationElements < 0) throw new IllegalArgumentException("activation.n must be >= 0, got " + activationElements);
    }

    /** C[M,N] = A[M,K]·B[K,N]. */
    public record Gemm(int m, int n, int k) {
        public Gemm {
            if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("gemm: m, n, k must be >= 1, got " + m + "x" + n + "x" + k);
        }
        public String label() { return m + "x" + n + "x" + k; }
        /** 2·M·N·K: one multiply and one add per term. */
        public double flops() { return 2.0 * m * n * k; }
    }

    /** input [N,C,H,W], filters [K,C,R,S], output [N,K,P,Q]; stride and padding the same on both axes. */
    public record Conv(String name, int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
        public Conv {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("conv2d: name must not be blank");
            if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1 || stride < 1 || pad < 0) {
                throw new IllegalArgumentException("conv2d " + name + ": sizes must be >= 1 and pad >= 0, got " + this);
            }
            if (h + 2 * pad < r || w + 2 * pad < s) {
                throw new IllegalArgumentException("conv2d " + name + ": the " + r + "x" + s + " filter does not fit the padded "
                        + h + "x" + w + " input");
            }
        }
        public int p() { return (h + 2 * pad - r) / stride + 1; }
        public int q() { return (w + 2 * pad - s) / stride + 1; }
        public long outputElements() { return (long) n * k * p() * q(); }
        public long inputElements() { return (long) n * c * h * w; }
        public long filterElements() { return (long) k * c * r * s; }
        /** 2·N·K·P·Q·C·R·S, as the anchors count it (the bias add is not counted). */
        public double flops() { return 2.0 * outputElements() * c * r * s; }
        public String shape() {
            return String.format(Locale.ROOT, "%dx%dx%dx%d k%d %dx%d/%d p%d", n, c, h, w, k, r, s, stride, pad);
        }
        /** The same convolution on a smaller batch. */
        public Conv withBatch(int batch) { return new Conv(name, batch, c, h, w, k, r, s, stride, pad); }
    }

    /** Reads the list kept as this module's resource. */
    public static Workloads builtIn() {
        try (InputStream in = Workloads.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Workloads read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read workloads " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the workloads.json format; every section may be absent (an empty list). */
    public static Workloads parse(String json) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("workloads: not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) throw new IllegalArgumentException("workloads: expected a JSON object at the top");
        JsonObject o = root.getAsJsonObject();
        List<Gemm> gemm = new ArrayList<>();
        for (JsonElement e : array(o, "gemm")) {
            JsonObject g = e.getAsJsonObject();
            gemm.add(new Gemm(integer(g, "m", "gemm"), integer(g, "n", "gemm"), integer(g, "k", "gemm")));
        }
        List<Conv> conv = new ArrayList<>();
        for (JsonElement e : array(o, "conv2d")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.has("name") ? c.get("name").getAsString() : "conv" + conv.size();
            String where = "conv2d " + name;
            conv.add(new Conv(name, integer(c, "n", where), integer(c, "c", where), integer(c, "h", where), integer(c, "w", where),
                    integer(c, "k", where), integer(c, "r", where), integer(c, "s", where),
                    c.has("stride") ? integer(c, "stride", where) : 1, c.has("pad") ? integer(c, "pad", where) : 0));
        }
        List<String> convActs = strings(array(o, "conv_activation"));
        long n = 0;
        List<String> acts = List.of();
        if (o.has("activation")) {
            JsonObject a = o.getAsJsonObject("activation");
            n = a.has("n") ? a.get("n").getAsLong() : 0;
            acts = strings(array(a, "names"));
        }
        return new Workloads(gemm, conv, convActs, n, acts);
    }

    /**
     * The README's main job on the CPU: small enough to finish in seconds on two cores, with the
     * public shapes' character kept (a first layer with C=1, a 3×3 layer with C=64 on a batch of 1).
     */
    public static Workloads quick() {
        return new Workloads(
                List.of(new Gemm(256, 256, 256), new Gemm(512, 512, 512), new Gemm(127, 129, 65)),
                List.of(new Conv("mnist-conv1", 64, 1, 28, 28, 32, 3, 3, 1, 0),
                        new Conv("resnet-c2-3x3/n1", 1, 64, 56, 56, 64, 3, 3, 1, 1),
                        new Conv("resnet-c5-3x3/n1", 1, 512, 7, 7, 512, 3, 3, 1, 1)),
                List.of("relu", "gelu"),
                1 << 22,
                List.of("relu", "gelu", "silu"));
    }

    private static Iterable<JsonElement> array(JsonObject o, String key) {
        if (!o.has(key) || o.get(key).isJsonNull()) return new JsonArray();
        if (!o.get(key).isJsonArray()) throw new IllegalArgumentException("workloads: '" + key + "' must be an array");
        return o.getAsJsonArray(key);
    }

    private static List<String> strings(Iterable<JsonElement> a) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : a) out.add(e.getAsString());
        return out;
    }

    private static int integer(JsonObject o, String key, String where) {
        if (!o.has(key)) throw new IllegalArgumentException(where + ": missing '" + key + "'");
        try {
            return o.get(key).getAsInt();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": '" + key + "' must be an integer, got " + o.get(key));
        }
    }
}
