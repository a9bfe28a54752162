package dev.jkernels.bench.jmh;

import dev.jkernels.Conv2dSpec;
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
 * What it measures: one conv2d with bias (NCHW, FP32) through {@code Backend.conv2d}, end to end,
 * per backend, on the public workload shapes ({@link ConvShapes}) at a given batch. TFLOP/s =
 * 2·N·K·P·Q·C·R·S / time.
 *
 * <p>Pitfalls it avoids: every tensor is made once per trial (allocation and copies untimed); the
 * inputs, filters and bias are random and non-zero; the output is written in place of the previous
 * one each call, so nothing grows; the call synchronises (see {@link BackendState}). The batch is a
 * parameter because the public batch of 32 is GPU-sized: {@code -p batch=32} on a GPU.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class Conv2dBenchmark extends BackendState {

    @Param({"cpu", "emulated", "cuda"})
    public String backend;

    @Param({"mnist-conv1", "resnet-c2-3x3"})
    public String shape;

    @Param({"1"})
    public int batch;

    private Conv2dSpec spec;
    private Tensor x, w, bias, y;

    @Override protected String backendName() { return backend; }

    @Setup(Level.Trial)
    public void setUp() {
        open();
        ConvShapes.Tensors t = ConvShapes.make(this, shape, batch);
        spec = t.spec();
        x = t.input();
        w = t.filters();
        bias = t.bias();
        y = t.output();
    }

    @TearDown(Level.Trial)
    public void tearDown() { close(); }

    @Benchmark
    public void conv2d() {
        backend().conv2d(spec, x, w, bias, y);
        backend().synchronize();
    }
}
