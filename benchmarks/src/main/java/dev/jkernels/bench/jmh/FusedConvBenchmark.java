package dev.jkernels.bench.jmh;

import dev.jkernels.Activation;
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
 * What it measures: the fused path {@code conv2dActivation} against the two-launch path
 * ({@code conv2d}, then {@code activation} over its output), side by side on the same tensors, per
 * backend, shape and activation. The ratio of the two scores is the speedup of fusing, end to end.
 *
 * <p>Pitfalls it avoids: both methods share one state, so they see the same shapes, inputs and
 * (between trials) the same allocation; the two-launch method writes the activation out of place, as
 * eager frameworks do, so it moves the bytes the bytes model counts (8 per output element); both
 * synchronise once, after their last launch, exactly as a caller would (see {@link BackendState});
 * small-channel shapes are included because that is where fusing matters most (ANCHORS.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class FusedConvBenchmark extends BackendState {

    @Param({"cpu", "emulated", "cuda"})
    public String backend;

    @Param({"mnist-conv1", "resnet-c2-3x3"})
    public String shape;

    @Param({"relu", "gelu"})
    public String activation;

    @Param({"1"})
    public int batch;

    private Conv2dSpec spec;
    private Activation act;
    private Tensor x, w, bias, y, z;

    @Override protected String backendName() { return backend; }

    @Setup(Level.Trial)
    public void setUp() {
        open();
        act = Activation.parse(activation);
        ConvShapes.Tensors t = ConvShapes.make(this, shape, batch);
        spec = t.spec();
        x = t.input();
        w = t.filters();
        bias = t.bias();
        y = t.output();
        z = zeros(y.dims());
    }

    @TearDown(Level.Trial)
    public void tearDown() { close(); }

    @Benchmark
    public void twoLaunch() {
        backend().conv2d(spec, x, w, bias, y);
        backend().activation(act, y, z);
        backend().synchronize();
    }

    @Benchmark
    public void fused() {
        backend().conv2dActivation(spec, act, x, w, bias, z);
        backend().synchronize();
    }
}
