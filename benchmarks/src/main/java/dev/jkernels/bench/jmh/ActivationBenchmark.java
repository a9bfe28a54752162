package dev.jkernels.bench.jmh;

import dev.jkernels.Activation;
import dev.jkernels.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What it measures: one element-wise activation {@code y = f(x)} over {@code n} floats through
 * {@code Backend.activation}, end to end (launch, kernel, completion), per backend. GB/s =
 * 8·n / time (each element read once and written once).
 *
 * <p>Pitfalls it avoids: x and y are made once per trial, so neither allocation nor host copies are
 * timed; x is random over [−1, 1) (all zeros would let ReLU-like paths and branchy
 * transcendentals look faster than they are); the output is out of place, so the same input is
 * transformed each time rather than f∘f∘f… drifting toward a fixed point (sigmoid) or 0; the
 * method synchronises (see {@link BackendState}) so a GPU's queued launches are not what is timed.
 * n = 2²⁴ (64 MiB each way) is larger than any CPU cache and than an H200's L2.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class ActivationBenchmark extends BackendState {

    @Param({"cpu", "emulated", "cuda"})
    public String backend;

    @Param({"relu", "gelu", "silu"})
    public String activation;

    @Param({"16777216"})
    public int n;

    private Activation act;
    private Tensor x, y;

    @Override protected String backendName() { return backend; }

    @Setup(Level.Trial)
    public void setUp() {
        open();
        act = Activation.parse(activation);
        x = random(1, n);
        y = zeros(n);
    }

    @TearDown(Level.Trial)
    public void tearDown() { close(); }

    @Benchmark
    public void activation() {
        backend().activation(act, x, y);
        backend().synchronize();
    }
}
