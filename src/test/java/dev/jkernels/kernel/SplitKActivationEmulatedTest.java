package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The activation stage of the split-K path (partial sums, then the reduction kernel that applies
 * the epilogue), on the emulator: NaN in A comes out NaN for every activation, and PReLU's
 * per-channel slopes reach the reduction (one slope per output column).
 */
class SplitKActivationEmulatedTest extends BackendTestBase {
    private static final int M = 9, N = 13, K = 300;

    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }

    @Override protected Scale scale() { return Scale.SMALL; }

    static List<Activation> activations() { return ActivationCatalog.all(); }

    private float[] run(int split, Activation act, float[] a, float[] b, float[] bias, TensorScope scope) {
        KernelBackend kb = (KernelBackend) backend;
        GemmPlan plan = GemmSelection.evaluate(GemmKernels.Config.PIPELINED_64X64, split, M, N, K, DeviceProfile.nominal(),
                GemmKernels.Config::nominalFootprint, "test");
        GemmSpec spec = GemmSpec.builder().bias(true).activation(act).build();
        Tensor ta = scope.track(kb.tensor(a, M, K));
        Tensor tb = scope.track(kb.tensor(b, K, N));
        Tensor tbias = scope.track(kb.tensor(bias, N));
        Tensor tc = scope.track(kb.zeros(M, N));
        Tensor ws = scope.track(kb.zeros((int) plan.workspaceFloats()));
        EpilogueArgs ep = GemmKernels.epilogue(spec, KernelBackend.buffer(tbias));
        for (KernelLaunch l : GemmKernels.launches(plan, spec, KernelBackend.buffer(ta), KernelBackend.buffer(tb),
                KernelBackend.buffer(tc), ep, KernelBackend.buffer(ws), "test split " + split)) {
            kb.launcher().launch(l);
        }
        return tc.toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void nanPropagatesThroughTheSplitKReduction(Activation act) {
        float[] a = RandomData.uniform(RandomData.seedOf(act, 1), M * K, -1f, 1f);
        float[] b = RandomData.uniform(RandomData.seedOf(act, 2), K * N, -1f, 1f);
        float[] bias = RandomData.uniform(RandomData.seedOf(act, 3), N, -1f, 1f);
        a[4 * K + 250] = Float.NaN; // row 4, in the last k-range
        try (TensorScope scope = new TensorScope()) {
            float[] c = run(3, act, a, b, bias, scope);
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    if (Float.isNaN(c[i * N + j]) != (i == 4)) fail(act + " split 3: C[" + i + "][" + j + "] = " + c[i * N + j]);
                }
            }
        }
    }

    @Test
    void preluSlopesReachTheReduction() {
        float[] a = RandomData.uniform(11, M * K, -1f, 1f);
        float[] b = RandomData.uniform(12, K * N, -1f, 1f);
        float[] bias = RandomData.uniform(13, N, -1f, 1f);
        float[] s = RandomData.uniform(14, N, -0.5f, 0.8f);
        double[] lin = Reference.gemm(M, N, K, a, false, b, false, 1, 0, null, bias, Activation.identity());
        double[] want = new double[lin.length];
        for (int i = 0; i < lin.length; i++) want[i] = lin[i] > 0 ? lin[i] : s[i % N] * lin[i];
        for (int split : new int[] {2, 3}) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ts = scope.track(backend.tensor(s, N));
                Tolerance.forReduction(K).times(2).assertClose("prelu split " + split,
                        run(split, Activation.prelu(ts), a, b, bias, scope), want);
            }
        }
    }
}
