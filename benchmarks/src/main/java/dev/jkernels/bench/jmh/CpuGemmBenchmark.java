package dev.jkernels.bench.jmh;

import dev.jkernels.Backend;
import dev.jkernels.cpu.CpuBackend;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What it measures: one CPU-backend SGEMM, {@code C = A·B} with square FP32 matrices of side
 * {@code size} (2048 is the figure compared with numpy/OpenBLAS), on all cores, as a user calls it:
 * packing of A and B, the blocked FMA kernel and the epilogue are all inside the timed call.
 * GFLOP/s = 2·size³ / time. {@code kernel} selects the Vector API micro-kernel or the
 * auto-vectorised loops, so both are measured side by side.
 *
 * <p>Pitfalls it avoids: the tensors are made once per trial ({@code @Setup(Level.Trial)}), so
 * neither allocation nor the host copy is timed; C is written into a preallocated tensor and handed
 * to a {@link Blackhole}, so the JIT cannot drop the call as dead code; the inputs are random and
 * non-zero (zeros or denormals change FMA timing on some CPUs); the warm-up iterations let C2
 * compile and vectorise the kernel before anything is measured, and the loop is JMH's, not ours, so
 * no on-stack-replacement version of a hand-written timing loop is measured instead; one fork keeps
 * the JIT profile of one size from leaking into the next.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class CpuGemmBenchmark {

    @Param({"2048"})
    public int size;

    /** Worker threads; 0 means every core the JVM sees. */
    @Param({"0"})
    public int threads;

    /**
     * {@code vector}: the Vector API micro-kernel (the fork adds {@code jdk.incubator.vector});
     * {@code auto}: the auto-vectorised FMA loops a JVM without that module runs.
     */
    @Param({"vector", "auto"})
    public String kernel;

    private Backend backend;
    private Tensor a, b, c;
    private final GemmSpec spec = GemmSpec.plain();

    @Setup(Level.Trial)
    public void setUp() {
        int t = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        CpuBackend cpu = new CpuBackend(t, kernel.equals("vector"));
        if (kernel.equals("vector") && !cpu.usesVectorApi()) {
            throw new IllegalStateException("kernel=vector but the Vector API is not usable in this JVM: " + cpu.description());
        }
        backend = cpu;
        a = backend.tensor(random(1, size * size), size, size);
        b = backend.tensor(random(2, size * size), size, size);
        c = backend.zeros(size, size);
    }

    @Benchmark
    public void sgemm(Blackhole bh) {
        backend.gemm(spec, a, b, null, c);
        bh.consume(c);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        backend.close();
    }

    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }
}
