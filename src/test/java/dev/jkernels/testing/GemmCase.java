package dev.jkernels.testing;

import dev.jkernels.Activation;
import dev.jkernels.GemmSpec;

/** One GEMM test case: sizes and every spec field. */
public record GemmCase(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
                       boolean bias, Activation activation) {

    public static GemmCase plain(int m, int n, int k) {
        return new GemmCase(m, n, k, false, false, 1f, 0f, false, Activation.identity());
    }

    public GemmCase withTrans(boolean ta, boolean tb) { return new GemmCase(m, n, k, ta, tb, alpha, beta, bias, activation); }
    public GemmCase withAlphaBeta(float a, float b) { return new GemmCase(m, n, k, transA, transB, a, b, bias, activation); }
    public GemmCase withBias(boolean b) { return new GemmCase(m, n, k, transA, transB, alpha, beta, b, activation); }
    public GemmCase withActivation(Activation act) { return new GemmCase(m, n, k, transA, transB, alpha, beta, bias, act); }

    public GemmSpec spec() {
        return GemmSpec.builder().transA(transA).transB(transB).alpha(alpha).beta(beta).bias(bias)
                .activation(activation).build();
    }

    public int[] shapeA() { return transA ? new int[] {k, m} : new int[] {m, k}; }
    public int[] shapeB() { return transB ? new int[] {n, k} : new int[] {k, n}; }

    @Override public String toString() {
        return m + "x" + n + "x" + k + (transA ? " Aᵀ" : "") + (transB ? " Bᵀ" : "")
                + (alpha != 1f || beta != 0f ? " α=" + alpha + " β=" + beta : "")
                + (bias ? " +bias" : "") + (activation.isIdentity() ? "" : " " + activation);
    }
}
