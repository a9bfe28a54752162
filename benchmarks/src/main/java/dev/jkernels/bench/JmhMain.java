package dev.jkernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * JMH's command line ({@code org.openjdk.jmh.Main}) over this module's benchmarks, with one
 * convenience: unless {@code -p backend=…} is given, the {@code backend} parameter is restricted to
 * the backends usable here, and the others are named on stderr with the reason. So a plain run on a
 * machine without a GPU measures cpu (and emulated, when built) and says why not cuda.
 *
 * <pre>
 * java -cp benchmarks/target/dist/jkernels-benchmarks.jar dev.jkernels.bench.JmhMain -l
 * java -cp … dev.jkernels.bench.JmhMain FusedConvBenchmark -p shape=mnist-conv1
 * </pre>
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(withBackends(args, dev.jkernels.bench.jmh.JmhBackends::available).toArray(String[]::new));
    }

    /** {@code args}, plus {@code -p backend=<available>} unless the caller chose or is only listing. */
    static List<String> withBackends(String[] args, java.util.function.Supplier<List<String>> available) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        boolean listing = a.contains("-l") || a.contains("-lp") || a.contains("-h") || a.contains("-lprof") || a.contains("-lrf");
        boolean chosen = false;
        for (int i = 0; i + 1 < a.size(); i++) {
            if (a.get(i).equals("-p") && a.get(i + 1).startsWith("backend=")) chosen = true;
        }
        if (!listing && !chosen) {
            a.add("-p");
            a.add("backend=" + String.join(",", available.get()));   // probes only when it runs
        }
        return a;
    }
}
