package dev.jkernels.bench.jmh;

import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
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

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What it measures: one SGEMM {@code C = A·B} (square, side {@code size}) through
 * {@code Backend.gemm}, end to end, per backend and per GEMM algorithm (AUTO; on CUDA also the
 * named kernel variants and CUBLAS, via {@code -p algorithm=...}). TFLOP/s = 2·size³ / time.
 *
 * <p>Pitfalls it avoids: A, B and C are made once per trial, so allocation and host ↔ device copies
 * are not timed; the inputs are random and non-zero (zeros make any GEMM look right, and denormal
 * or zero operands change FMA timing on some CPUs); C is overwritten each call (beta = 0), so
 * nothing accumulates towards overflow across invocations; the call synchronises (see
 * {@link BackendState}) so a GPU's queue is not what is timed. The CPU backend ignores the
 * algorithm (one implementation), and rejects CUBLAS.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class GemmBenchmark extends BackendState {

    @Param({"cpu", "emulated", "cuda"})
    public String backend;

    /** Kept small by default so the emulator finishes; pass {@code -p size=1024,4096} on CPU or GPU. */
    @Param({"128", "512"})
    public int size;

    @Param({"AUTO"})
    public String algorithm;

    private GemmSpec spec;
    private Tensor a, b, c;

    @Override protected String backendName() { return backend; }

    @Setup(Level.Trial)
    public void setUp() {
        open();
        spec = GemmSpec.builder().algorithm(GemmAlgorithm.valueOf(algorithm.toUpperCase(Locale.ROOT))).build();
        a = random(1, size, size);
        b = random(2, size, size);
        c = zeros(size, size);
    }

    @TearDown(Level.Trial)
    public void tearDown() { close(); }

    @Benchmark
    public void gemm() {
        backend().gemm(spec, a, b, null, c);
        backend().synchronize();
    }
}
