package dev.jkernels.cpu;

import dev.jkernels.Activation;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transposed filters {@link FilterCache} keeps are never used once the filters changed: after
 * each way a CPU tensor can be written (copyFrom from an array and from a buffer, its storage
 * directly, copy into it, an activation in place, a GEMM into it, a conv writing it), the next conv
 * must give the new filters' result, checked against the double-precision reference.
 */
class FilterCacheTest {
    private static CpuBackend backend;
    /** 1×64×7×7 3×3, 64 filters: the filter-vector path, whose filters are cached. */
    private static final ConvCase CASE = ConvCase.of(1, 64, 7, 7, 64, 3, 3).same().bias(true);

    @BeforeAll static void open() { backend = new CpuBackend(2); }

    @AfterAll static void close() { backend.close(); }

    @Test
    void everyWriteToTheFiltersIsSeen() {
        assumeTrue(VectorConvKernel.MR == 8 && VectorGemmKernel.S.length() == 16, "no filter-vector path on this machine");
        float[] in = RandomData.uniform(11, CASE.inputSize());
        float[] bias = RandomData.uniform(12, CASE.k());
        int fs = CASE.filterSize();
        try (TensorScope scope = new TensorScope()) {
            Tensor x = scope.track(backend.tensor(in, CASE.inputDims()));
            Tensor b = scope.track(backend.tensor(bias, CASE.k()));
            Tensor f = scope.track(backend.tensor(RandomData.uniform(13, fs), CASE.filterDims()));
            Tensor y = scope.track(backend.tensor(new float[CASE.k() * 49], CASE.outputDims()));
            Tensor other = scope.track(backend.tensor(RandomData.uniform(14, fs), CASE.filterDims()));
            checkConv(x, f, b, y, in, bias);
            assertEquals(1, backend.filterCache().size(), "the filters were kept");
            checkConv(x, f, b, y, in, bias);   // from the cache

            changeAndCheck("copyFrom(float[])", t -> t.copyFrom(RandomData.uniform(21, fs)), x, f, b, y, in, bias);
            changeAndCheck("copyFrom(FloatBuffer)", t -> t.copyFrom(FloatBuffer.wrap(RandomData.uniform(22, fs))), x, f, b, y, in, bias);
            changeAndCheck("storage().write", t -> t.storage().write(5, new float[] {3f, -2f}, 0, 2), x, f, b, y, in, bias);
            changeAndCheck("copy into", t -> backend.copy(other, t), x, f, b, y, in, bias);
            changeAndCheck("activation in place", t -> backend.activation(Activation.relu(), t, t), x, f, b, y, in, bias);
            changeAndCheck("gemm into", t -> {
                Tensor a = backend.tensor(RandomData.uniform(23, 64 * 3), 64, 3);
                Tensor bm = backend.tensor(RandomData.uniform(24, 3 * 576), 3, 576);
                backend.gemm(GemmSpec.plain(), a, bm, null, t.reshape(64, 576));
                a.close();
                bm.close();
            }, x, f, b, y, in, bias);
            changeAndCheck("conv into", t -> {
                Tensor src = backend.tensor(RandomData.uniform(25, 64 * 64 * 9), dev.jkernels.Layout.NCHW, 1, 64, 64, 9);
                Tensor w1 = backend.tensor(RandomData.uniform(26, 64 * 64), 64, 64, 1, 1);
                backend.conv2d(dev.jkernels.Conv2dSpec.builder().layout(dev.jkernels.Layout.NCHW).build(), src, w1, null, t.reshape(dev.jkernels.Layout.NCHW, 1, 64, 64, 9));
                src.close();
                w1.close();
            }, x, f, b, y, in, bias);
        }
    }

    private static void changeAndCheck(String how, Consumer<Tensor> change, Tensor x, Tensor f, Tensor b, Tensor y,
                                       float[] in, float[] bias) {
        change.accept(f);
        try {
            checkConv(x, f, b, y, in, bias);
        } catch (AssertionError e) {
            throw new AssertionError("after " + how + ": " + e.getMessage(), e);
        }
    }

    private static void checkConv(Tensor x, Tensor f, Tensor b, Tensor y, float[] in, float[] bias) {
        backend.conv2dActivation(CASE.spec(), Activation.identity(), x, f, b, y);
        double[] expected = Reference.conv2d(CASE, in, f.toArray(), bias);
        Tolerance.forReduction(CASE.reductionLength()).times(2).assertClose("conv " + CASE, y.toArray(), expected);
    }
}
