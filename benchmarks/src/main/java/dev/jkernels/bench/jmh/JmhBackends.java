package dev.jkernels.bench.jmh;

import java.util.ArrayList;
import java.util.List;

/** Which backends the JMH benchmarks can run here; prints why the others cannot. */
public final class JmhBackends {
    private JmhBackends() {}

    public static List<String> available() {
        List<String> whyNot = new ArrayList<>();
        List<String> ok = BackendState.available(whyNot);
        for (String w : whyNot) System.err.println("jmh: skipping backend " + w);
        return ok;
    }
}
