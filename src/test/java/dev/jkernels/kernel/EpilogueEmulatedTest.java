package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.ConvCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;

/**
 * The fields of the runtime epilogue that have no public API yet, on the emulator, through the real
 * Java launch code: a residual with its own row stride (GEMM) or in the output's layout (conv) and
 * per-channel activation slopes (PReLU), together with alpha, beta and bias, on every GEMM and conv
 * kernel configuration and on the pass after cuBLAS. The reference is the double-precision one with
 * the residual and the slopes applied here; the residual's padding columns hold NaN, so a kernel
 * that reads it with the wrong stride fails.
 */
class EpilogueEmulatedTest extends BackendTestBase {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }

    static double leaky(double x, double slope) { return x > 0 ? x : slope * x; }

    static double elu(double x, double a) { return x > 0 ? x : a * Math.expm1(x); }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GemmKernels.Config.class)
    void gemmResidualAndSlopes(GemmKernels.Config config) {
        KernelBackend kb = (KernelBackend) backend;
        for (Activation.Kind kind : new Activation.Kind[] {Activation.Kind.LEAKY_RELU, Activation.Kind.ELU}) {
            int m = 67, n = 69, k = 20, ld = n + 3;
            float alpha = 0.75f, beta = -0.5f;
            GemmSpec spec = GemmSpec.builder().transB(true).alpha(alpha).beta(beta).bias(true).build();
            float[] a = RandomData.uniform(11, m * k), b = RandomData.uniform(12, n * k), bias = RandomData.uniform(13, n);
            float[] c0 = RandomData.uniform(14, m * n);
            float[] residual = RandomData.uniform(15, m * ld);
            for (int i = 0; i < m; i++) Arrays.fill(residual, i * ld + n, i * ld + ld, Float.NaN);
            float[] slopes = RandomData.uniform(16, n, 0.05f, 0.5f);
            // TF32 kernels: the reference on TF32-rounded A and B (the epilogue's terms are FP32 in every precision).
            boolean tf32 = config.precision() == dev.jkernels.Precision.TF32;
            double[] want = Reference.gemm(m, n, k, tf32 ? ConvFastVariantsTest.rounded(a) : a, false,
                    tf32 ? ConvFastVariantsTest.rounded(b) : b, true, alpha, beta, c0, bias, Activation.identity());
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double v = want[i * n + j] + residual[i * ld + j];
                    want[i * n + j] = kind == Activation.Kind.LEAKY_RELU ? leaky(v, slopes[j]) : elu(v, slopes[j]);
                }
            }
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(kb.tensor(a, m, k)), tb = scope.track(kb.tensor(b, n, k));
                Tensor tbias = scope.track(kb.tensor(bias, n)), tc = scope.track(kb.tensor(c0, m, n));
                Tensor tres = scope.track(kb.tensor(residual, m, ld)), tslopes = scope.track(kb.tensor(slopes, n));
                EpilogueArgs ep = EpilogueArgs.builder().alphaBeta(alpha, beta).bias(KernelBackend.buffer(tbias))
                        .residual(KernelBackend.buffer(tres), ld).activation(kind.ordinal(), 0.3f, 0f)
                        .slopes(KernelBackend.buffer(tslopes)).build();
                kb.launcher().launch(GemmKernels.launch(config, spec, m, n, k, KernelBackend.buffer(ta), KernelBackend.buffer(tb),
                        KernelBackend.buffer(tc), ep, "test " + config.cudaName() + " " + kind));
                Tolerance.forReduction(k).assertClose(config.cudaName() + " " + kind + " residual + slopes", tc.toArray(), want);
            }
        }
    }

    @Test
    void passAfterCublasAddsBiasAndResidualThenActivates() {
        KernelBackend kb = (KernelBackend) backend;
        int m = 7, n = 33;
        float[] c = RandomData.uniform(21, m * n, -3f, 3f), bias = RandomData.uniform(22, n), residual = RandomData.uniform(23, m * n);
        Activation act = Activation.gelu();
        double[] want = new double[m * n];
        for (int i = 0; i < m * n; i++) want[i] = Reference.activation(act, (double) c[i] + bias[i % n] + residual[i]);
        try (TensorScope scope = new TensorScope()) {
            Tensor tc = scope.track(kb.tensor(c, m, n)), tbias = scope.track(kb.tensor(bias, n));
            Tensor tres = scope.track(kb.tensor(residual, m, n));
            // alpha and beta of the spec were cuBLAS's: the pass must not apply them again.
            EpilogueArgs ep = EpilogueArgs.builder().alphaBeta(3f, 2f).bias(KernelBackend.buffer(tbias))
                    .residual(KernelBackend.buffer(tres), n).activation(act).build();
            kb.launcher().launch(GemmKernels.biasActivation(m, n, KernelBackend.buffer(tc), ep, "test bias_act"));
            Tolerance.elementwise().assertClose("bias_act with residual", tc.toArray(), want);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ConvKernels.Config.class)
    void convResidualAndSlopes(ConvKernels.Config config) {
        KernelBackend kb = (KernelBackend) backend;
        for (Layout layout : List.of(Layout.NCHW, Layout.NHWC)) {
            ConvCase cc = ConvCase.of(2, 6, 7, 6, 10, 3, 3).stride(2, 1).explicitPadding(0, 2, 1, 0).groups(2).bias(true).layout(layout);
            Conv2dGeometry g = cc.spec().geometry(Shape.of(cc.inputDims()), Shape.of(cc.filterDims()));
            float[] input = RandomData.uniform(31, cc.inputSize()), filters = RandomData.uniform(32, cc.filterSize());
            float[] bias = RandomData.uniform(33, cc.k()), slopes = RandomData.uniform(34, cc.k(), 0.05f, 0.5f);
            double[] want = Reference.conv2d(cc, input, filters, bias);
            float[] residual = RandomData.uniform(35, want.length);
            int pq = g.p() * g.q();
            for (int i = 0; i < want.length; i++) {
                int channel = layout == Layout.NCHW ? (i / pq) % cc.k() : i % cc.k();
                want[i] = leaky(want[i] + residual[i], slopes[channel]);
            }
            float[] nan = new float[want.length];
            Arrays.fill(nan, Float.NaN);
            try (TensorScope scope = new TensorScope()) {
                Tensor in = scope.track(kb.tensor(input, layout, cc.inputDims()));
                Tensor f = scope.track(kb.tensor(filters, cc.filterDims()));
                Tensor tb = scope.track(kb.tensor(bias, cc.k())), ts = scope.track(kb.tensor(slopes, cc.k()));
                Tensor tres = scope.track(kb.tensor(residual, layout, cc.outputDims()));
                Tensor out = scope.track(kb.tensor(nan, layout, cc.outputDims()));
                EpilogueArgs ep = EpilogueArgs.builder().bias(KernelBackend.buffer(tb)).residual(KernelBackend.buffer(tres), 0)
                        .activation(Activation.Kind.LEAKY_RELU.ordinal(), 0.3f, 0f).slopes(KernelBackend.buffer(ts)).build();
                kb.launcher().launch(ConvKernels.launch(config, g, KernelBackend.buffer(in), KernelBackend.buffer(f),
                        KernelBackend.buffer(out), ep, "test " + config.cudaName() + " " + layout));
                Tolerance.forReduction(cc.reductionLength()).assertClose(config.cudaName() + " " + layout + " residual + slopes",
                        out.toArray(), want);
            }
        }
    }
}
