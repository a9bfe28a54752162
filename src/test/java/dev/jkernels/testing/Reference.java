package dev.jkernels.testing;

import dev.jkernels.Activation;
import dev.jkernels.Layout;

/**
 * Independent double-precision references: naive loops written here, sharing no code with the
 * backends. Activations are computed from their textbook formulas with this class's own erf and
 * sigmoid; only the kind and α are read from {@link Activation} (never {@code Activation.apply}).
 */
public final class Reference {
    private Reference() {}

    // ---- activations -----------------------------------------------------------------------------

    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    /** f(x) in double precision. */
    public static double activation(Activation act, double x) {
        double a = act.a(), b = act.b();
        switch (act.kind()) {
            case IDENTITY: return x;
            case RELU: return x <= 0 ? 0 : x;   // NaN stays NaN, as in PyTorch
            case LEAKY_RELU: case PRELU: return x > 0 ? x : a * x;
            case ELU: return x > 0 ? x : a * Math.expm1(x);
            case SIGMOID: return logistic(x);
            case TANH: return Math.tanh(x);
            case GELU: return x * normalCdf(x);
            case GELU_TANH: {
                double inner = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
                return 0.5 * x * (1 + Math.tanh(inner));
            }
            case SILU: return x * logistic(a * x);
            case RELU6: return x <= 0 ? 0 : x >= 6 ? 6 : x;
            case SELU: {
                // the standard constants at full precision when the activation carries their float roundings
                double alpha = a == (float) SELU_ALPHA ? SELU_ALPHA : a, gamma = b == (float) SELU_SCALE ? SELU_SCALE : b;
                return x > 0 ? gamma * x : gamma * alpha * Math.expm1(x);
            }
            case SOFTPLUS: {
                double bx = a * x;
                if (bx > b) return x;
                return (bx > 0 ? bx + Math.log1p(Math.exp(-bx)) : Math.log1p(Math.exp(bx))) / a;
            }
            case HARD_SIGMOID: {
                double v = a * x + b;
                return v <= 0 ? 0 : v >= 1 ? 1 : v;
            }
            case HARDSWISH: return x <= -3 ? 0 : x >= 3 ? x : x * (x + 3) / 6;
            case MISH: {
                double sp = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
                return x * Math.tanh(sp);
            }
            case CELU: return Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1));
            case SOFTSIGN: return x / (1 + Math.abs(x));
            case HARDTANH: return x <= a ? a : x >= b ? b : x;
            case THRESHOLDED_RELU: return x <= a ? 0 : x;   // NaN stays NaN
            default: throw new AssertionError(act);
        }
    }

    /**
     * f′(x), always as a function of the forward input x. At kinks the left derivative is taken
     * (ReLU′(0) = 0, ReLU6′(6) = 0, hard-sigmoid′(±3) = 0), as PyTorch does.
     */
    public static double derivative(Activation act, double x) {
        double a = act.a(), b = act.b();
        switch (act.kind()) {
            case IDENTITY: return 1;
            case RELU: return x > 0 ? 1 : 0;
            case LEAKY_RELU: case PRELU: return x > 0 ? 1 : a;
            case ELU: return x > 0 ? 1 : a * Math.exp(x);
            case SIGMOID: {
                double s = logistic(x);
                return s * logistic(-x);
            }
            case TANH: {
                double c = Math.cosh(x);
                return Double.isInfinite(c * c) ? 0 : 1 / (c * c);
            }
            case GELU: return normalCdf(x) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case GELU_TANH: {
                double k = Math.sqrt(2 / Math.PI);
                double u = k * (x + 0.044715 * x * x * x);
                double c = Math.cosh(u);
                double sech2 = Double.isInfinite(c * c) ? 0 : 1 / (c * c);
                return 0.5 * (1 + Math.tanh(u)) + 0.5 * x * sech2 * k * (1 + 3 * 0.044715 * x * x);
            }
            case SILU: return logistic(a * x) + a * x * logistic(a * x) * logistic(-a * x);
            case RELU6: return x > 0 && x < 6 ? 1 : 0;
            case SELU: {
                double alpha = a == (float) SELU_ALPHA ? SELU_ALPHA : a, gamma = b == (float) SELU_SCALE ? SELU_SCALE : b;
                return x > 0 ? gamma : gamma * alpha * Math.exp(x);
            }
            case SOFTPLUS: return a * x > b ? 1 : logistic(a * x);
            case HARD_SIGMOID: {
                double v = a * x + b;
                return v > 0 && v < 1 ? a : 0;
            }
            case HARDSWISH: return x < -3 ? 0 : x <= 3 ? (2 * x + 3) / 6 : 1;
            case MISH: {
                // d/dx x·tanh(sp(x)) = tanh(sp) + x·sech²(sp)·σ(x)
                double sp = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
                double c = Math.cosh(sp);
                return Math.tanh(sp) + x * logistic(x) / (c * c);
            }
            case CELU: return x > 0 ? 1 : Math.exp(x / a);
            case SOFTSIGN: return 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x)));
            case HARDTANH: return x > a && x < b ? 1 : 0;
            case THRESHOLDED_RELU: return x > a ? 1 : 0;
            default: throw new AssertionError(act);
        }
    }

    /** Where f′ jumps: finite differences must stay away from these. */
    public static double[] kinks(Activation act) {
        switch (act.kind()) {
            // (Softsign: f′ is continuous at 0, f″ is not: central differences across 0 are off by h·|f″|)
            case RELU: case LEAKY_RELU: case ELU: case SELU: case PRELU: case CELU: case SOFTSIGN: return new double[] {0};
            case RELU6: return new double[] {0, 6};
            case HARD_SIGMOID: return new double[] {-act.b() / act.a(), (1 - act.b()) / act.a()};
            case HARDSWISH: return new double[] {-3, 3};
            case HARDTANH: return new double[] {act.a(), act.b()};
            case THRESHOLDED_RELU: return new double[] {act.a()};
            case SOFTPLUS: return new double[] {act.b() / act.a()};
            default: return new double[0];
        }
    }

    /**
     * 1/(1+e^−x) in one expression: for x &lt; −709 e^−x is +∞ and the quotient is exactly 0, never NaN;
     * about 1 ulp everywhere else.
     */
    static double logistic(double x) { return 1 / (1 + Math.exp(-x)); }

    /** Φ(x) = (1 + erf(x/√2))/2. */
    static double normalCdf(double x) { return 0.5 * (1 + erf(x / Math.sqrt(2))); }

    /**
     * erf by the all-positive series erf x = (2/√π)·e^{−x²}·Σₙ 2ⁿx^{2n+1}/(1·3·…·(2n+1))
     * (Abramowitz–Stegun 7.1.6): no cancellation, ~1e-15 relative for |x| &lt; 6; erf(±6) rounds to ±1
     * in double. A different method from the Maclaurin/continued-fraction pair in {@code Activation}.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax >= 6) return Math.copySign(1.0, x);
        double twoX2 = 2 * ax * ax, term = ax, sum = ax;
        for (int n = 1; n < 400; n++) {
            term *= twoX2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return Math.copySign(Math.min(r, 1.0), x);
    }

    // ---- GEMM ------------------------------------------------------------------------------------

    /**
     * {@code act(alpha·op(A)·op(B) + beta·C + bias)} in double, row-major [M, N]. A is [M, K]
     * ([K, M] when transA), B is [K, N] ([N, K] when transB); {@code c} and {@code bias} may be null.
     */
    public static double[] gemm(int m, int n, int k, float[] a, boolean transA, float[] b, boolean transB,
                                double alpha, double beta, float[] c, float[] bias, Activation act) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    acc += av * bv;
                }
                double v = alpha * acc;
                if (beta != 0) v += beta * c[i * n + j];
                if (bias != null) v += bias[j];
                out[i * n + j] = activation(act, v);
            }
        }
        return out;
    }

    // ---- conv2d ----------------------------------------------------------------------------------

    /**
     * Cross-correlation as every framework computes it, in double. Input in {@code layout}
     * ([N,C,H,W] or [N,H,W,C]), filters [K, C/groups, R, S], output [N,K,P,Q] or [N,P,Q,K];
     * padding is explicit per side (zeros outside the input).
     */
    public static double[] conv2d(ConvCase cc, float[] input, float[] filters, float[] bias) {
        int n = cc.n(), c = cc.c(), h = cc.h(), w = cc.w(), k = cc.k(), r = cc.r(), s = cc.s();
        int[] pad = cc.referencePadding();
        int p = cc.referenceP(), q = cc.referenceQ();
        int cpg = c / cc.groups(), kpg = k / cc.groups();
        boolean nchw = cc.layout() == Layout.NCHW;
        double[] out = new double[n * k * p * q];
        for (int in = 0; in < n; in++) {
            for (int ik = 0; ik < k; ik++) {
                int g = ik / kpg;
                for (int ip = 0; ip < p; ip++) {
                    for (int iq = 0; iq < q; iq++) {
                        double acc = 0;
                        for (int ic = 0; ic < cpg; ic++) {
                            int ch = g * cpg + ic;
                            for (int ir = 0; ir < r; ir++) {
                                int y = ip * cc.strideH() - pad[0] + ir * cc.dilationH();
                                if (y < 0 || y >= h) continue;
                                for (int is = 0; is < s; is++) {
                                    int x = iq * cc.strideW() - pad[2] + is * cc.dilationW();
                                    if (x < 0 || x >= w) continue;
                                    int idx = nchw ? ((in * c + ch) * h + y) * w + x : ((in * h + y) * w + x) * c + ch;
                                    acc += (double) input[idx] * filters[((ik * cpg + ic) * r + ir) * s + is];
                                }
                            }
                        }
                        if (bias != null) acc += bias[ik];
                        int o = nchw ? ((in * k + ik) * p + ip) * q + iq : ((in * p + ip) * q + iq) * k + ik;
                        out[o] = activation(cc.activation(), acc);
                    }
                }
            }
        }
        return out;
    }

    /** The activation applied to every element of {@code x}, in double. */
    public static double[] activation(Activation act, float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = activation(act, x[i]);
        return y;
    }
}
