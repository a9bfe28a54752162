package dev.jkernels.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GEMM configuration a device run measured fastest per shape, for one device family: what
 * {@code benchmarks/device-bench.sh} writes, committed as the classpath resource
 * {@code dev/jkernels/gemm-winners-<family>.json} (e.g. {@code gemm-winners-sm_90.json}). When a
 * file exists for the device's family, {@link GemmSelection} takes its winner for a listed shape
 * instead of the model. None is committed until a device run has produced one. Immutable.
 *
 * <p>Format (the subset of JSON read here; other fields are ignored):
 * <pre>{"family": "sm_90", "device": "NVIDIA H200", "winners": [
 *   {"m": 4096, "n": 4096, "k": 4096, "config": "pipelined_128x128", "splitK": 1}, ...]}</pre>
 */
public final class MeasuredWinners {

    /** One measured winner. */
    public record Winner(GemmKernels.Config config, int splitK) {
        public Winner {
            Objects.requireNonNull(config, "config");
            if (splitK < 1) throw new IllegalArgumentException("splitK must be >= 1, got " + splitK);
        }
    }

    private static final Pattern FAMILY = Pattern.compile("\"family\"\\s*:\\s*\"(sm_[0-9]+)\"");
    private static final Pattern ENTRY = Pattern.compile("\\{[^{}]*\"m\"\\s*:\\s*(\\d+)[^{}]*?\"n\"\\s*:\\s*(\\d+)[^{}]*?\"k\"\\s*:\\s*(\\d+)"
            + "[^{}]*?\"config\"\\s*:\\s*\"([a-z0-9_]+)\"(?:[^{}]*?\"splitK\"\\s*:\\s*(\\d+))?[^{}]*}");

    private final String family;
    private final String source;
    private final Map<String, Winner> winners;

    private MeasuredWinners(String family, String source, Map<String, Winner> winners) {
        this.family = family;
        this.source = source;
        this.winners = Collections.unmodifiableMap(new HashMap<>(winners));
    }

    /**
     * Parses a winners file.
     *
     * @throws IllegalArgumentException when it names no family or an unknown configuration
     */
    public static MeasuredWinners parse(String json, String source) {
        Matcher f = FAMILY.matcher(json);
        if (!f.find()) throw new IllegalArgumentException(source + ": no \"family\": \"sm_XY\" field");
        Map<String, Winner> map = new HashMap<>();
        Matcher e = ENTRY.matcher(json);
        while (e.find()) {
            GemmKernels.Config c = GemmKernels.Config.byName(e.group(4))
                    .orElseThrow(() -> new IllegalArgumentException(source + ": unknown GEMM configuration '" + e.group(4) + "'"));
            int split = e.group(5) == null ? 1 : Integer.parseInt(e.group(5));
            map.put(key(Integer.parseInt(e.group(1)), Integer.parseInt(e.group(2)), Integer.parseInt(e.group(3))), new Winner(c, split));
        }
        return new MeasuredWinners(f.group(1), source, map);
    }

    /** The committed table for {@code family}, or null when there is none. */
    public static MeasuredWinners forFamily(String family) {
        String resource = "dev/jkernels/gemm-winners-" + family + ".json";
        try (InputStream in = MeasuredWinners.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) return null;
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (IOException ex) {
            throw new IllegalStateException("cannot read " + resource + ": " + ex, ex);
        }
    }

    private static String key(int m, int n, int k) { return m + "x" + n + "x" + k; }

    public String family() { return family; }

    public String source() { return source; }

    public int size() { return winners.size(); }

    /** The winner for the shape on {@code deviceFamily}, or null (another family, or a shape not measured). */
    public Winner lookup(String deviceFamily, int m, int n, int k) {
        if (!family.equals(deviceFamily)) return null;
        return winners.get(key(m, n, k));
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "measured GEMM winners for %s (%d shapes, %s)", family, winners.size(), source);
    }
}
