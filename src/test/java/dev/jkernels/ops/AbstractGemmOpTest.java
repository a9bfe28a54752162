package dev.jkernels.ops;

import dev.jkernels.Activation;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.GemmCase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

/**
 * GEMM on one backend against the double-precision reference: odd and prime sizes, sizes of 1,
 * tile-edge sizes (65, 127, 129), every transpose, alpha/beta (beta ≠ 0 must read C), bias and
 * every activation in the epilogue. Inputs must come back unchanged.
 */
public abstract class AbstractGemmOpTest extends BackendTestBase {

    /**
     * The GEMM implementations every case runs on: AUTO only here (the CPU has one); kernel
     * backends list every variant, so each kernel is checked against the reference on every case.
     */
    protected List<GemmAlgorithm> algorithms() { return List.of(GemmAlgorithm.AUTO); }

    /** {M, N, K} triples: 1s, primes and tile edges. */
    protected List<int[]> shapes() {
        List<int[]> s = new ArrayList<>(List.of(
                new int[] {1, 1, 1}, new int[] {1, 7, 13}, new int[] {13, 1, 7}, new int[] {7, 13, 1},
                new int[] {2, 3, 5}, new int[] {31, 17, 65}, new int[] {65, 31, 3}, new int[] {33, 65, 127}));
        if (small()) {
            s.add(new int[] {129, 13, 31});
        } else {
            s.addAll(List.of(new int[] {127, 129, 65}, new int[] {129, 127, 129}, new int[] {64, 64, 64},
                    new int[] {257, 131, 300}, new int[] {1, 513, 257}, new int[] {300, 1, 129},
                    new int[] {97, 203, 1031}));
        }
        return s;
    }

    List<GemmCase> gemmCases() {
        List<GemmCase> cases = new ArrayList<>();
        for (int[] s : shapes()) cases.add(GemmCase.plain(s[0], s[1], s[2]));
        // every transpose, on shapes whose dims are all different so a swapped index cannot pass
        int[][] transShapes = small() ? new int[][] {{7, 13, 5}, {65, 33, 17}}
                : new int[][] {{7, 13, 5}, {65, 33, 17}, {129, 65, 127}, {1, 31, 7}};
        for (int[] s : transShapes) {
            for (int t = 0; t < 4; t++) cases.add(GemmCase.plain(s[0], s[1], s[2]).withTrans((t & 1) != 0, (t & 2) != 0));
        }
        float[][] alphaBeta = {{2.5f, 0f}, {0.5f, 1f}, {-1f, -0.75f}, {0f, 2f}, {1f, 1f}};
        for (float[] ab : alphaBeta) {
            cases.add(GemmCase.plain(31, 65, 17).withAlphaBeta(ab[0], ab[1]));
            if (!small()) cases.add(GemmCase.plain(129, 67, 131).withTrans(true, false).withAlphaBeta(ab[0], ab[1]).withBias(true));
        }
        cases.add(GemmCase.plain(13, 29, 11).withBias(true));
        cases.add(GemmCase.plain(1, 1, 3).withBias(true).withAlphaBeta(1.5f, 0.5f));
        if (!small()) cases.add(GemmCase.plain(127, 129, 65).withBias(true).withTrans(false, true));
        for (Activation act : ActivationCatalog.all()) {
            cases.add(GemmCase.plain(small() ? 17 : 65, small() ? 23 : 67, small() ? 19 : 63)
                    .withBias(true).withAlphaBeta(1.25f, 0.5f).withActivation(act));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gemmCases")
    void gemmIntoOutputMatchesReference(GemmCase tc) {
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 1), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 2), tc.k() * tc.n());
        float[] bias = tc.bias() ? RandomData.uniform(RandomData.seedOf(tc, 3), tc.n()) : null;
        float[] c0 = RandomData.uniform(RandomData.seedOf(tc, 4), tc.m() * tc.n());
        double[] expected = Reference.gemm(tc.m(), tc.n(), tc.k(), a, tc.transA(), b, tc.transB(),
                tc.alpha(), tc.beta(), c0, bias, tc.activation());
        for (GemmAlgorithm algorithm : algorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(backend.tensor(a, tc.shapeA()));
                Tensor tb = scope.track(backend.tensor(b, tc.shapeB()));
                Tensor tbias = bias == null ? null : scope.track(backend.tensor(bias, tc.n()));
                Tensor tcOut = scope.track(backend.tensor(c0, tc.m(), tc.n()));
                backend.gemm(tc.spec().toBuilder().algorithm(algorithm).build(), ta, tb, tbias, tcOut);
                backend.synchronize();
                tolerance(tc).assertClose("C " + tc + " " + algorithm, tcOut.toArray(), expected);
                Tolerance.assertUnchanged("A", a, ta.toArray());
                Tolerance.assertUnchanged("B", b, tb.toArray());
                if (bias != null) Tolerance.assertUnchanged("bias", bias, tbias.toArray());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gemmCases")
    void gemmAllocatingMatchesReference(GemmCase tc) {
        if (tc.beta() != 0f) return; // the allocating form needs beta = 0 (BadInputTest checks it refuses)
        float[] a = RandomData.uniform(RandomData.seedOf(tc, 5), tc.m() * tc.k());
        float[] b = RandomData.uniform(RandomData.seedOf(tc, 6), tc.k() * tc.n());
        float[] bias = tc.bias() ? RandomData.uniform(RandomData.seedOf(tc, 7), tc.n()) : null;
        double[] expected = Reference.gemm(tc.m(), tc.n(), tc.k(), a, tc.transA(), b, tc.transB(),
                tc.alpha(), 0, null, bias, tc.activation());
        for (GemmAlgorithm algorithm : algorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor ta = scope.track(backend.tensor(a, tc.shapeA()));
                Tensor tb = scope.track(backend.tensor(b, tc.shapeB()));
                Tensor tbias = bias == null ? null : scope.track(backend.tensor(bias, tc.n()));
                Tensor out = scope.track(backend.gemm(tc.spec().toBuilder().algorithm(algorithm).build(), ta, tb, tbias));
                tolerance(tc).assertClose("C " + tc + " " + algorithm, out.toArray(), expected);
            }
        }
    }

    /** The reduction grows with K; alpha, beta·C and bias add terms of their own size. */
    protected Tolerance tolerance(GemmCase tc) {
        double scale = Math.max(1, Math.abs(tc.alpha())) + Math.abs(tc.beta()) + (tc.bias() ? 1 : 0);
        return Tolerance.forReduction(tc.k()).times(scale);
    }

    /** A is read with the right stride: a 1×K times K×1 (dot product) over a long K. */
    @ParameterizedTest(name = "K={0}")
    @MethodSource("longK")
    void longReduction(int k) {
        GemmCase tc = GemmCase.plain(3, 2, k);
        float[] a = RandomData.uniform(k, 3 * k), b = RandomData.uniform(k + 1, k * 2);
        double[] expected = Reference.gemm(3, 2, k, a, false, b, false, 1, 0, null, null, Activation.identity());
        for (GemmAlgorithm algorithm : algorithms()) {
            try (TensorScope scope = new TensorScope()) {
                Tensor out = scope.track(backend.gemm(GemmSpec.builder().algorithm(algorithm).build(),
                        scope.track(backend.tensor(a, 3, k)), scope.track(backend.tensor(b, k, 2)), null));
                tolerance(tc).assertClose("C " + algorithm, out.toArray(), expected);
            }
        }
    }

    List<Integer> longK() { return small() ? List.of(257, 1031) : List.of(257, 1031, 4099, 20011); }
}
