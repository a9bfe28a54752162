package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Split-K on a kernel backend, through the real Java launch code: partial sums of s k-ranges into a
 * workspace, reduced in fixed order by the second kernel, which applies the whole epilogue. Checked
 * against the double-precision reference for several splits (including more splits than k-tiles,
 * which leaves empty ranges), every transpose and the full epilogue, and run twice: bit-identical.
 * And through the backend: a shape the selection splits, and the long dimension in grid x
 * ([1,1]·[1,8388481], as on the CPU).
 */
abstract class GemmSplitKTest extends BackendTestBase {

    float[] runPlan(GemmPlan plan, GemmSpec spec, float[] a, float[] b, float[] bias, float[] c0) {
        KernelBackend kb = (KernelBackend) backend;
        int m = plan.m(), n = plan.n(), k = plan.k();
        try (TensorScope scope = new TensorScope()) {
            Tensor ta = scope.track(spec.transA() ? kb.tensor(a, k, m) : kb.tensor(a, m, k));
            Tensor tb = scope.track(spec.transB() ? kb.tensor(b, n, k) : kb.tensor(b, k, n));
            Tensor tbias = scope.track(kb.tensor(bias, n));
            Tensor tc = scope.track(kb.tensor(c0, m, n));
            float[] nan = new float[(int) plan.workspaceFloats()];
            Arrays.fill(nan, Float.NaN);  // every partial sum must be written
            Tensor ws = scope.track(kb.tensor(nan, (int) plan.workspaceFloats()));
            EpilogueArgs ep = GemmKernels.epilogue(spec, KernelBackend.buffer(tbias));
            List<KernelLaunch> ls = GemmKernels.launches(plan, spec, KernelBackend.buffer(ta), KernelBackend.buffer(tb),
                    KernelBackend.buffer(tc), ep, KernelBackend.buffer(ws), "test " + plan);
            assertEquals(2, ls.size());
            for (KernelLaunch l : ls) kb.launcher().launch(l);
            return tc.toArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GemmKernels.Config.class, names = "PIPELINED_.*", mode = EnumSource.Mode.MATCH_ANY)
    void splitsMatchTheReferenceAndRepeatBitForBit(GemmKernels.Config config) {
        int m = 67, n = 45, k = 700;
        for (int s : new int[] {2, 3, 7, 50}) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                GemmSpec spec = GemmSpec.builder().transA(ta).transB(tb).alpha(0.5f).beta(t == 3 ? 0.75f : 0f).bias(true)
                        .activation(t % 2 == 0 ? Activation.gelu() : Activation.leakyRelu(0.1f)).build();
                GemmPlan plan = GemmSelection.evaluate(config, s, m, n, k, DeviceProfile.nominal(), GemmKernels.Config::nominalFootprint, "test");
                float[] a = RandomData.uniform(s * 10L + t, m * k), b = RandomData.uniform(s * 10L + t + 5, k * n);
                float[] bias = RandomData.uniform(7, n), c0 = RandomData.uniform(8, m * n);
                if (spec.beta() == 0f) Arrays.fill(c0, Float.NaN);
                double[] want = Reference.gemm(m, n, k, a, ta, b, tb, spec.alpha(), spec.beta(), c0, bias, spec.activation());
                float[] got = runPlan(plan, spec, a, b, bias, c0);
                String what = config.cudaName() + " split " + s + (ta ? " At" : "") + (tb ? " Bt" : "");
                Tolerance.forReduction(k).assertClose(what, got, want);
                Tolerance.assertUnchanged(what + " run twice", got, runPlan(plan, spec, a, b, bias, c0));
            }
        }
    }

    @Test
    void theBackendSplitsASmallMnLargeKShape() {
        KernelBackend kb = (KernelBackend) backend;
        int m = 64, n = 64, k = 2048;
        GemmPlan plan = kb.planGemm(GemmAlgorithm.AUTO, m, n, k);
        assertTrue(plan.splitK() > 1, "one tile on the nominal 132 SMs: " + plan);
        float[] a = RandomData.uniform(1, m * k), b = RandomData.uniform(2, k * n), bias = RandomData.uniform(3, n);
        GemmSpec spec = GemmSpec.builder().bias(true).activation(Activation.silu()).build();
        double[] want = Reference.gemm(m, n, k, a, false, b, false, 1f, 0f, new float[m * n], bias, spec.activation());
        boolean emu = kb.launcher() instanceof EmulatedLauncher;
        long live = emu ? EmulatedLauncher.liveAllocations() : 0;
        try (TensorScope scope = new TensorScope()) {
            Tensor c = scope.track(kb.gemm(spec, scope.track(kb.tensor(a, m, k)), scope.track(kb.tensor(b, k, n)),
                    scope.track(kb.tensor(bias, n))));
            Tolerance.forReduction(k).assertClose(plan.toString(), c.toArray(), want);
        }
        if (emu) assertEquals(live, EmulatedLauncher.liveAllocations(), "the split-K workspace is freed");
    }

    /** Slow on the emulator (131 071 blocks of 128 fibers: about half a minute on an idle 2-core machine). */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void aRowTimesAVeryLongRowRunsWithNInGridX() {
        // issue 12 item 6: N = 8388481 needs 131 072 column tiles, more than grid y's 65 535
        int n = 8388481;
        float[] b = RandomData.uniform(5, n);
        float[] a = {1.5f};
        KernelBackend kb = (KernelBackend) backend;
        GemmPlan plan = kb.planGemm(GemmAlgorithm.AUTO, 1, n, 1);
        assertTrue(plan.grid().x() > KernelLaunch.MAX_GRID_YZ, plan.toString());
        float[] gotEmu, gotCpu;
        try (TensorScope scope = new TensorScope()) {
            gotEmu = scope.track(kb.gemm(GemmSpec.plain(), scope.track(kb.tensor(a, 1, 1)), scope.track(kb.tensor(b, 1, n)), null)).toArray();
        }
        try (Backend cpu = TestBackends.open(BackendKind.CPU); TensorScope scope = new TensorScope()) {
            gotCpu = scope.track(cpu.gemm(GemmSpec.plain(), scope.track(cpu.tensor(a, 1, 1)), scope.track(cpu.tensor(b, 1, n)), null)).toArray();
        }
        double[] want = new double[n];
        for (int i = 0; i < n; i++) want[i] = 1.5 * b[i];
        Tolerance.forReduction(1).assertClose("emulated [1,1]x[1," + n + "]", gotEmu, want);
        Tolerance.forReduction(1).assertClose("emulated vs CPU", gotEmu, RandomData.toDouble(gotCpu));
    }
}
