package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.ops.ActivationCatalog;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.GemmCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every hand-written GEMM kernel configuration, launched by name (not through AUTO), against the
 * double-precision reference: every tail size around the tiles (1, 2, 3, 7, 31, 32, 33, 63, 64, 65,
 * 127, 128, 129) in each of M, N and K, every transpose, alpha/beta (beta = 0 with NaN in C: C must
 * not be read), bias, and every activation in the epilogue. Sizes ≡ 0 mod 4 take the float4 paths,
 * the others the scalar ones.
 */
abstract class GemmVariantsTest extends BackendTestBase {

    static final int[] TAILS = {1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 127, 128, 129};

    record VariantCase(GemmKernels.Config config, GemmCase gemm, boolean nanInC) {
        @Override public String toString() { return config.cudaName() + " " + gemm + (nanInC ? " C=NaN" : ""); }
    }

    /** The cases each configuration runs; subclasses may add larger ones. */
    static List<GemmCase> cases() {
        List<GemmCase> cases = new ArrayList<>();
        // Each tail size once in each of M, N and K, the other two rotated through the list.
        for (int i = 0; i < TAILS.length; i++) {
            cases.add(GemmCase.plain(TAILS[i], TAILS[(i + 5) % TAILS.length], TAILS[(i + 9) % TAILS.length]));
        }
        for (int t = 0; t < 4; t++) {
            cases.add(GemmCase.plain(65, 33, 17).withTrans((t & 1) != 0, (t & 2) != 0));
            cases.add(GemmCase.plain(128, 129, 64).withTrans((t & 1) != 0, (t & 2) != 0).withBias(true));
        }
        cases.add(GemmCase.plain(31, 65, 17).withAlphaBeta(0.5f, 1f));
        cases.add(GemmCase.plain(64, 64, 33).withAlphaBeta(-1f, -0.75f).withBias(true));
        cases.add(GemmCase.plain(7, 129, 3).withAlphaBeta(0f, 2f));
        cases.add(GemmCase.plain(129, 7, 65).withAlphaBeta(2.5f, 0f).withBias(true));
        for (Activation act : ActivationCatalog.all()) {
            cases.add(GemmCase.plain(33, 68, 19).withBias(true).withAlphaBeta(1.25f, 0.5f).withActivation(act));
        }
        return cases;
    }

    /**
     * The pipelined variants, beyond {@link #cases()}: every size 1…129 in each of M, N and K (each
     * dimension walks a different permutation of 1…129, so every tail of every tile occurs in each),
     * transposes and epilogues rotating; and shapes whose blocks are interior (aligned, whole tiles:
     * the unchecked main loop, with an odd and an even number of full k-tiles and a partial last one).
     */
    static List<GemmCase> pipelinedCases() {
        List<GemmCase> cases = new ArrayList<>();
        Activation[] acts = {Activation.identity(), Activation.relu(), Activation.gelu(), Activation.leakyRelu(0.1f)};
        for (int t = 1; t <= 129; t++) {
            int n = (t * 37) % 129 + 1, k = (t * 71) % 129 + 1;
            GemmCase c = GemmCase.plain(t, n, k).withTrans((t & 1) != 0, (t & 2) != 0).withBias(t % 3 == 0);
            if (t % 5 == 0) c = c.withAlphaBeta(0.5f, 1.5f);
            cases.add(c.withActivation(acts[t % acts.length]));
        }
        for (int tr = 0; tr < 4; tr++) {
            boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
            cases.add(GemmCase.plain(256, 128, 80).withTrans(ta, tb).withBias(true));
            cases.add(GemmCase.plain(128, 256, 96).withTrans(ta, tb).withAlphaBeta(1f, 0.5f));
            cases.add(GemmCase.plain(128, 128, 48).withTrans(ta, tb).withActivation(Activation.silu()));
        }
        return cases;
    }

    List<VariantCase> variantCases() {
        List<VariantCase> out = new ArrayList<>();
        for (GemmKernels.Config config : GemmKernels.Config.values()) {
            int i = 0;
            for (GemmCase tc : cases()) {
                // The tensor-core configurations share the epilogue with the SIMT ones: every 3rd activation case.
                if (config.precision() != dev.jkernels.Precision.FP32 && tc.activation().kind() != Activation.Kind.IDENTITY
                        && i++ % 3 != 0) continue;
                out.add(new VariantCase(config, tc, tc.beta() == 0f));
            }
            if (config.algorithm() == dev.jkernels.GemmAlgorithm.PIPELINED) {
                for (GemmCase tc : pipelinedCases()) out.add(new VariantCase(config, tc, tc.beta() == 0f));
            }
        }
        return out;
    }

    static Tolerance tolerance(GemmCase tc) {
        double scale = Math.max(1, Math.abs(tc.alpha())) + Math.abs(tc.beta());
        return Tolerance.forReduction(tc.k()).times(scale);
    }

    /** Runs one configuration by name on this test's kernel backend; returns C. */
    float[] run(GemmKernels.Config config, GemmCase tc, float[] a, float[] b, float[] bias, float[] c0) {
        KernelBackend kb = (KernelBackend) backend;
        GemmSpec spec = tc.spec();
        org.junit.jupiter.api.Assumptions.assumeTrue(config.precision() == dev.jkernels.Precision.FP32 || TensorCores.supported(kb.deviceProfile()),
                () -> config + ": no TF32 tensor cores on " + kb.deviceProfile());
        try (TensorScope scope = new TensorScope()) {
            Tensor ta = scope.track(kb.tensor(a, tc.shapeA()));
            Tensor tb = scope.track(kb.tensor(b, tc.shapeB()));
            Tensor tbias = bias == null ? null : scope.track(kb.tensor(bias, tc.n()));
            Tensor tcOut = scope.track(kb.tensor(c0, tc.m(), tc.n()));
            kb.launcher().launch(GemmKernels.launch(config, spec, tc.m(), tc.n(), tc.k(), KernelBackend.buffer(ta),
                    KernelBackend.buffer(tb), tbias == null ? null : KernelBackend.buffer(tbias), KernelBackend.buffer(tcOut),
                    "test " + config.cudaName() + " " + tc));
            kb.synchronize();
            float[] aAfter = ta.toArray(), bAfter = tb.toArray();
            Tolerance.assertUnchanged("A", a, aAfter);
            Tolerance.assertUnchanged("B", b, bAfter);
            return tcOut.toArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variantCases")
    void variantMatchesReference(VariantCase vc) {
        GemmCase tc = vc.gemm();
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 1), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 2), tc.k() * tc.n());
        float[] bias = tc.bias() ? RandomData.uniform(RandomData.seedOf(tc, 3), tc.n()) : null;
        float[] c0 = RandomData.uniform(RandomData.seedOf(tc, 4), tc.m() * tc.n());
        if (vc.nanInC()) Arrays.fill(c0, Float.NaN);
        // TF32 configurations: the reference on TF32-rounded A and B, to the same strict tolerance (the
        // kernels round exactly as __float_to_tf32 and accumulate in FP32); 3xTF32 and FP32: the exact one.
        boolean tf32 = vc.config().precision() == dev.jkernels.Precision.TF32;
        double[] expected = Reference.gemm(tc.m(), tc.n(), tc.k(), tf32 ? ConvFastVariantsTest.rounded(a) : a, tc.transA(),
                tf32 ? ConvFastVariantsTest.rounded(b) : b, tc.transB(), tc.alpha(), tc.beta(), c0, bias, tc.activation());
        float[] got = run(vc.config(), tc, a, b, bias, c0);
        tolerance(tc).assertClose(vc.toString(), got, expected);
    }
}
