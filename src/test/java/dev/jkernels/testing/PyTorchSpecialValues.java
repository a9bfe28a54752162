package dev.jkernels.testing;

import dev.jkernels.Activation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * PyTorch's own values at the special points (NaN, ±Inf, ±0, subnormals, the saturation
 * thresholds, ±Float.MAX_VALUE), for every activation: the table that
 * {@code src/test/python/activation_special_values.py} writes with PyTorch in float64 (rounded to
 * float32 once). It is the independent reference for the NaN/Inf rule: forward values and
 * backward values for dy = 1, −2, NaN, +Inf, −Inf and 3e38.
 */
public final class PyTorchSpecialValues {

    /** One activation's rows: inputs, PyTorch's outputs, and dx per dy (NaN bits where not a reference). */
    public record Table(String key, Activation activation, float[] x, float[] y, float[][] dx, boolean[][] hasDx) {}

    private static final Map<String, Activation> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("identity", Activation.identity());
        KEYS.put("relu", Activation.relu());
        KEYS.put("leaky_relu:0.01", Activation.leakyRelu());
        KEYS.put("leaky_relu:0.2", Activation.leakyRelu(0.2f));
        KEYS.put("elu:1", Activation.elu());
        KEYS.put("elu:0.5", Activation.elu(0.5f));
        KEYS.put("sigmoid", Activation.sigmoid());
        KEYS.put("tanh", Activation.tanh());
        KEYS.put("gelu", Activation.gelu());
        KEYS.put("gelu_tanh", Activation.geluTanh());
        KEYS.put("silu:1", Activation.silu());
        KEYS.put("silu:1.7", Activation.swish(1.7f));
        KEYS.put("relu6", Activation.relu6());
        KEYS.put("selu", Activation.selu());
        KEYS.put("selu:1.5:1.2", Activation.selu(1.5f, 1.2f));
        KEYS.put("softplus:1:20", Activation.softplus());
        KEYS.put("softplus:2:10", Activation.softplus(2f, 10f));
        KEYS.put("hard_sigmoid", Activation.hardSigmoid());
        KEYS.put("hard_sigmoid:0.2:0.5", Activation.hardSigmoidOnnx());
        KEYS.put("prelu:0.25", Activation.prelu());
        KEYS.put("prelu:-0.3", Activation.prelu(-0.3f));
        KEYS.put("hardswish", Activation.hardswish());
        KEYS.put("mish", Activation.mish());
        KEYS.put("celu:1", Activation.celu());
        KEYS.put("celu:0.5", Activation.celu(0.5f));
        KEYS.put("softsign", Activation.softsign());
        KEYS.put("hardtanh:-1:1", Activation.hardtanh());
        KEYS.put("hardtanh:-2:0.5", Activation.hardtanh(-2f, 0.5f));
        KEYS.put("thresholded_relu:1", Activation.thresholdedRelu());
        KEYS.put("thresholded_relu:0.7", Activation.thresholdedRelu(0.7f));
    }

    private static volatile Map<String, Table> tables;
    private static float[] dys;

    private PyTorchSpecialValues() {}

    /** The dy values of the backward columns, in order. */
    public static float[] dys() {
        load();
        return dys.clone();
    }

    /** Every table, in the generator's order. */
    public static List<Table> all() { return new ArrayList<>(load().values()); }

    public static List<String> keys() { return new ArrayList<>(KEYS.keySet()); }

    public static Table get(String key) {
        Table t = load().get(key);
        if (t == null) throw new IllegalArgumentException("no PyTorch table for " + key);
        return t;
    }

    private static Map<String, Table> load() {
        Map<String, Table> t = tables;
        if (t != null) return t;
        synchronized (PyTorchSpecialValues.class) {
            if (tables != null) return tables;
            Map<String, List<String[]>> rows = new LinkedHashMap<>();
            try (InputStream in = PyTorchSpecialValues.class.getResourceAsStream("/dev/jkernels/pytorch-activation-special-values.csv")) {
                if (in == null) throw new IllegalStateException("pytorch-activation-special-values.csv is not on the test classpath");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("# dy: ")) {
                        String[] h = line.substring(6).trim().split(" ");
                        dys = new float[h.length];
                        for (int i = 0; i < h.length; i++) dys[i] = bits(h[i]);
                        continue;
                    }
                    if (line.startsWith("#") || line.isBlank()) continue;
                    String[] f = line.split(",", -1);
                    rows.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, Table> out = new LinkedHashMap<>();
            for (Map.Entry<String, List<String[]>> e : rows.entrySet()) {
                Activation act = KEYS.get(e.getKey());
                if (act == null) throw new IllegalStateException("PyTorch table key " + e.getKey() + " has no activation here");
                List<String[]> rs = e.getValue();
                int n = rs.size(), nd = dys.length;
                float[] x = new float[n], y = new float[n];
                float[][] dx = new float[nd][n];
                boolean[][] has = new boolean[nd][n];
                for (int i = 0; i < n; i++) {
                    String[] f = rs.get(i);
                    x[i] = bits(f[1]);
                    y[i] = bits(f[2]);
                    for (int d = 0; d < nd; d++) {
                        has[d][i] = !f[3 + d].isEmpty();
                        dx[d][i] = has[d][i] ? bits(f[3 + d]) : Float.NaN;
                    }
                }
                out.put(e.getKey(), new Table(e.getKey(), act, x, y, dx, has));
            }
            if (!out.keySet().equals(KEYS.keySet())) throw new IllegalStateException("tables " + out.keySet() + " vs keys " + KEYS.keySet());
            tables = out;
            return out;
        }
    }

    private static float bits(String hex) { return Float.intBitsToFloat((int) Long.parseLong(hex, 16)); }

    /** Forward: NaN exactly where PyTorch's is, the same infinities, else within {@link Tolerance#elementwise()}. */
    public static void checkForward(String what, Table t, float[] got) {
        Tolerance tol = Tolerance.elementwise();
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < t.x().length; i++) {
            float g = t.y()[i], o = got[i];
            boolean ok = Float.isNaN(g) ? Float.isNaN(o) : Float.isInfinite(g) ? o == g : !Float.isNaN(o) && tol.accepts(o, g);
            if (!ok && bad.length() < 2000) bad.append("\n  x=").append(t.x()[i]).append(": got ").append(o).append(", PyTorch ").append(g);
        }
        if (bad.length() > 0) fail(what + " " + t.activation() + " forward differs from PyTorch:" + bad);
    }

    /**
     * Backward for the dy of column {@code d}: where PyTorch gives exactly 0 with dy non-finite
     * (a masked region), exactly ±0; NaN where PyTorch's is NaN; the same infinities, except that
     * NaN is accepted for PyTorch's ±Inf where {@code dxForUnitDy} (this backend's dx for dy = 1)
     * is 0, i.e. f′ underflowed in float where PyTorch's float64 f′ did not; else within
     * |dy|·4e-6 + 2e-5·|dx|.
     */
    public static void checkBackward(String what, Table t, int d, float[] got, float[] dxForUnitDy) {
        float dy = dys[d];
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < t.x().length; i++) {
            if (!t.hasDx()[d][i]) continue;
            float g = t.dx()[d][i], o = got[i];
            boolean ok;
            if (g == 0f && !Float.isFinite(dy)) ok = o == 0f;
            else if (Float.isNaN(g)) ok = Float.isNaN(o);
            else if (Float.isInfinite(g)) ok = o == g || (Float.isNaN(o) && dxForUnitDy[i] == 0f);
            else ok = !Float.isNaN(o) && Math.abs(o - (double) g) <= 4e-6 * Math.abs(dy) + 2e-5 * Math.abs(g);
            if (!ok && bad.length() < 2000) {
                bad.append("\n  x=").append(t.x()[i]).append(", dy=").append(dy).append(": got ").append(o).append(", PyTorch ").append(g);
            }
        }
        if (bad.length() > 0) fail(what + " " + t.activation() + " backward differs from PyTorch:" + bad);
    }
}
