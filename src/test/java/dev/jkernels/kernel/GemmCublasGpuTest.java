package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.GemmCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a GPU: cuBLAS (GemmAlgorithm.CUBLAS) against the double reference, with and without the
 * bias + activation pass, and every hand-written kernel configuration against cuBLAS on shapes up
 * to 1024 (tails included; up to 131 on the emulated CUDA driver). A 1024-deep reduction against the FP64 reference also shows that TF32
 * is off: TF32's 10-bit mantissa would miss the FP32 tolerance by about two orders of magnitude.
 * Where cuBLAS is not usable (no libcublas.so.12) the cuBLAS tests are skipped, and CUBLAS must
 * throw an IllegalStateException that says why.
 */
@Tag("gpu")
class GemmCublasGpuTest extends BackendTestBase {

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CUDA); }

    /** Full shapes on a GPU; the emulator's on the emulated CUDA driver. */
    @Override protected dev.jkernels.testing.Scale scale() { return TestBackends.cudaScale(); }

    private static boolean cublasUsable() { return CudaProbe.verdict().cublasUsable(); }

    private float[] gemm(GemmSpec spec, GemmCase tc, float[] a, float[] b, float[] bias, float[] c0) {
        try (TensorScope scope = new TensorScope()) {
            Tensor ta = scope.track(backend.tensor(a, tc.shapeA()));
            Tensor tb = scope.track(backend.tensor(b, tc.shapeB()));
            Tensor tbias = bias == null ? null : scope.track(backend.tensor(bias, tc.n()));
            Tensor tcOut = scope.track(backend.tensor(c0, tc.m(), tc.n()));
            backend.gemm(spec, ta, tb, tbias, tcOut);
            backend.synchronize();
            return tcOut.toArray();
        }
    }

    /** On the emulated CUDA driver the big shapes shrink; the 1024-deep reduction (TF32 off) stays. */
    private static boolean emulatorSized() { return TestBackends.cudaScale() == dev.jkernels.testing.Scale.SMALL; }

    static List<GemmCase> cublasCases() {
        List<GemmCase> cases = new ArrayList<>();
        for (int t = 0; t < 4; t++) cases.add(GemmCase.plain(129, 67, 131).withTrans((t & 1) != 0, (t & 2) != 0));
        cases.add(emulatorSized() ? GemmCase.plain(33, 17, 1024) : GemmCase.plain(1024, 1024, 1024));
        cases.add(GemmCase.plain(1, 1, 1));
        cases.add(GemmCase.plain(7, 129, 3).withAlphaBeta(0f, 2f));
        cases.add(GemmCase.plain(257, 131, 300).withAlphaBeta(0.5f, -1.5f));
        cases.add(GemmCase.plain(65, 127, 33).withBias(true));
        for (Activation act : List.of(Activation.relu(), Activation.gelu(), Activation.leakyRelu(0.2f))) {
            cases.add(GemmCase.plain(127, 129, 65).withBias(true).withAlphaBeta(1.25f, 0.5f).withActivation(act));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cublasCases")
    void cublasMatchesReference(GemmCase tc) {
        Assumptions.assumeTrue(cublasUsable(), () -> "cuBLAS not usable: " + CudaProbe.verdict().cublasReason());
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 1), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 2), tc.k() * tc.n());
        float[] bias = tc.bias() ? RandomData.uniform(RandomData.seedOf(tc, 3), tc.n()) : null;
        float[] c0 = RandomData.uniform(RandomData.seedOf(tc, 4), tc.m() * tc.n());
        double[] expected = Reference.gemm(tc.m(), tc.n(), tc.k(), a, tc.transA(), b, tc.transB(), tc.alpha(), tc.beta(),
                c0, bias, tc.activation());
        float[] got = gemm(tc.spec().toBuilder().algorithm(GemmAlgorithm.CUBLAS).build(), tc, a, b, bias, c0);
        GemmVariantsTest.tolerance(tc).assertClose("cuBLAS " + tc, got, expected);
    }

    record Versus(GemmKernels.Config config, GemmCase gemm) {
        @Override public String toString() { return config.cudaName() + " vs cuBLAS " + gemm; }
    }

    static List<Versus> versusCases() {
        List<Versus> out = new ArrayList<>();
        List<GemmCase> shapes = emulatorSized()
                ? List.of(GemmCase.plain(129, 67, 131), GemmCase.plain(65, 127, 33).withTrans(true, false),
                        GemmCase.plain(67, 33, 65).withTrans(true, true).withAlphaBeta(0.75f, 0.5f),
                        GemmCase.plain(64, 96, 80).withTrans(false, true).withBias(true).withActivation(Activation.silu()))
                : List.of(GemmCase.plain(1024, 1024, 1024), GemmCase.plain(1023, 1025, 997),
                        GemmCase.plain(513, 257, 129).withTrans(true, true).withAlphaBeta(0.75f, 0.5f),
                        GemmCase.plain(256, 384, 640).withTrans(false, true).withBias(true).withActivation(Activation.silu()));
        for (GemmKernels.Config c : GemmKernels.Config.values()) for (GemmCase s : shapes) out.add(new Versus(c, s));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versusCases")
    void handWrittenKernelMatchesCublas(Versus v) {
        Assumptions.assumeTrue(cublasUsable(), () -> "cuBLAS not usable: " + CudaProbe.verdict().cublasReason());
        GemmCase tc = v.gemm();
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 1), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 2), tc.k() * tc.n());
        float[] bias = tc.bias() ? RandomData.uniform(RandomData.seedOf(tc, 3), tc.n()) : null;
        float[] c0 = RandomData.uniform(RandomData.seedOf(tc, 4), tc.m() * tc.n());
        KernelBackend kb = (KernelBackend) backend;
        dev.jkernels.Precision p = v.config().precision();
        Assumptions.assumeTrue(p == dev.jkernels.Precision.FP32 || TensorCores.supported(kb.deviceProfile()),
                () -> v.config() + ": no TF32 tensor cores on " + kb.deviceProfile());
        // TF32 kernels against cuBLAS in TF32 tensor-op math; 3xTF32 and FP32 against SGEMM (TF32 off).
        boolean tf32 = p == dev.jkernels.Precision.TF32;
        float[] cublas = gemm(tc.spec().toBuilder().algorithm(GemmAlgorithm.CUBLAS)
                .precision(tf32 ? dev.jkernels.Precision.TF32 : dev.jkernels.Precision.FP32).build(), tc, a, b, bias, c0);
        float[] ours;
        try (TensorScope scope = new TensorScope()) {
            Tensor ta = scope.track(kb.tensor(a, tc.shapeA()));
            Tensor tb = scope.track(kb.tensor(b, tc.shapeB()));
            Tensor tbias = bias == null ? null : scope.track(kb.tensor(bias, tc.n()));
            Tensor tcOut = scope.track(kb.tensor(c0, tc.m(), tc.n()));
            kb.launcher().launch(GemmKernels.launch(v.config(), tc.spec(), tc.m(), tc.n(), tc.k(), KernelBackend.buffer(ta),
                    KernelBackend.buffer(tb), tbias == null ? null : KernelBackend.buffer(tbias), KernelBackend.buffer(tcOut),
                    "test " + v));
            kb.synchronize();
            ours = tcOut.toArray();
        }
        if (tf32) {
            // Two TF32 computations (cuBLAS's conversion need not round ties as __float_to_tf32): each within
            // the TF32 tolerance of the exact result, so within twice it of each other.
            double[] ref = new double[cublas.length];
            for (int i = 0; i < ref.length; i++) ref[i] = cublas[i];
            double rms = dev.jkernels.precision.AbstractPrecisionGridTest.rms(ref), worst = 0;
            for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
            assertTrue(worst <= 2 * dev.jkernels.precision.AbstractPrecisionGridTest.TF32_RMS_TOLERANCE * rms,
                    v + ": max |TF32 - cuBLAS TF32| = " + worst + ", RMS " + rms);
            return;
        }
        // Both are FP32-accurate with different summation orders: twice the FP32-vs-FP64 budget.
        GemmVariantsTest.tolerance(tc).times(2).assertClose(v.toString(), ours, cublas);
    }

    /**
     * CUBLAS works exactly when the probe says cuBLAS is usable; where it is not (no libcublas.so.12)
     * it throws an IllegalStateException that says why, and every other algorithm still works.
     */
    @Test
    void cublasWorksExactlyWhenTheProbeSaysSo() {
        try (TensorScope scope = new TensorScope()) {
            Tensor a = scope.track(backend.tensor(new float[] {1, 2, 3, 4}, 2, 2));
            Tensor b = scope.track(backend.tensor(new float[] {5, 6, 7, 8}, 2, 2));
            GemmSpec cublas = GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).build();
            if (cublasUsable()) {
                float[] c = scope.track(backend.gemm(cublas, a, b, null)).toArray();
                org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {19, 22, 43, 50}, c, "cuBLAS " + CudaProbe.verdict().cublasReason());
            } else {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.gemm(cublas, a, b, null));
                assertTrue(e.getMessage().contains("cuBLAS"), e.getMessage());
            }
            // every other algorithm works either way
            scope.track(backend.gemm(GemmSpec.plain(), a, b, null));
        }
    }

    /** beta = 0: C is not read, so NaN in C never reaches the result (cuBLAS's documented semantics). */
    @Test
    void cublasWithBetaZeroIgnoresNaNInC() {
        Assumptions.assumeTrue(cublasUsable(), () -> "cuBLAS not usable: " + CudaProbe.verdict().cublasReason());
        GemmCase tc = GemmCase.plain(33, 65, 17);
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 1), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 2), tc.k() * tc.n());
        float[] nan = new float[tc.m() * tc.n()];
        java.util.Arrays.fill(nan, Float.NaN);
        double[] expected = Reference.gemm(tc.m(), tc.n(), tc.k(), a, false, b, false, 1f, 0f, new float[nan.length], null,
                Activation.identity());
        float[] got = gemm(tc.spec().toBuilder().algorithm(GemmAlgorithm.CUBLAS).build(), tc, a, b, null, nan);
        GemmVariantsTest.tolerance(tc).assertClose("cuBLAS, beta 0, C = NaN", got, expected);
    }
}
