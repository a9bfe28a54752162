package dev.jkernels.precision;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.Precision;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;

import java.util.List;

/**
 * The precision grid on CUDA device 0 (in CI: JCuda on the emulated driver, CC 9.0), cuBLAS included
 * (TF32 through CUBLAS_TF32_TENSOR_OP_MATH). On a device below 8.0 the tensor-core precisions fail
 * with the clear exception; PrecisionFallbackGpuTest covers that.
 */
@Tag("gpu")
class CudaPrecisionGridTest extends AbstractPrecisionGridTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }

    @Override protected List<GemmAlgorithm> gemmAlgorithms(Precision p) {
        return switch (p) {
            case FP32 -> List.of(GemmAlgorithm.AUTO, GemmAlgorithm.CUBLAS);
            case TF32 -> List.of(GemmAlgorithm.AUTO, GemmAlgorithm.TENSOR_CORE);
            case FP32_3XTF32 -> List.of(GemmAlgorithm.AUTO, GemmAlgorithm.TENSOR_CORE);
        };
    }

    /**
     * cuBLAS with TF32 tensor-op math, the TF32 kernels' baseline: within the TF32 tolerance of the
     * exact reference (not compared with the TF32-rounded-input reference: cuBLAS's own conversion
     * need not round ties as __float_to_tf32 does), and not the FP32 result.
     */
    @org.junit.jupiter.api.Test void cublasTf32WithinTheTf32Tolerance() {
        int m = 33, n = 65, k = 129;
        float[] a = dev.jkernels.testing.RandomData.uniform(5, m * k), b = dev.jkernels.testing.RandomData.uniform(6, k * n);
        double[] exact = dev.jkernels.testing.Reference.gemm(m, n, k, a, false, b, false, 1, 0, null, null, dev.jkernels.Activation.identity());
        try (dev.jkernels.TensorScope scope = new dev.jkernels.TensorScope()) {
            dev.jkernels.Tensor ta = scope.track(backend.tensor(a, m, k)), tb = scope.track(backend.tensor(b, k, n));
            float[] tf = scope.track(backend.gemm(dev.jkernels.GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS)
                    .precision(Precision.TF32).build(), ta, tb, null)).toArray();
            float[] fp = scope.track(backend.gemm(dev.jkernels.GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS)
                    .precision(Precision.FP32).build(), ta, tb, null)).toArray();
            double err = maxNormalisedError(tf, exact);
            org.junit.jupiter.api.Assertions.assertTrue(err <= TF32_RMS_TOLERANCE, "cuBLAS TF32: " + err);
            org.junit.jupiter.api.Assertions.assertTrue(maxNormalisedError(fp, exact) < err, "cuBLAS FP32 is more accurate than its TF32");
            dev.jkernels.testing.Tolerance.forReduction(k).assertClose("cuBLAS FP32 (math mode back to default)", fp, exact);
        }
    }
}
