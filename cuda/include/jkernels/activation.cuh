// Every activation, defined once: a forward and a derivative functor per kind, composed into the
// element-wise kernels and into the GEMM and conv epilogues (as CUTLASS does). The Java twin is
// dev.jkernels.Activation; ActivationListTest checks that the two lists agree, name by name and
// in order (the order is the code the kernels receive), and the activation tests check the values,
// the NaN/Inf rule included, against the Java definition and PyTorch's.
//
// Conventions (identical to the Java side):
//   fwd(x, a, b)           f(x); a and b are the activation's parameters, as Activation.Kind says
//                          (a: slope, alpha, beta, min, theta; b: gamma, threshold, beta, max).
//                          PReLU's per-channel slope arrives as a (the epilogue reads actSlopes).
//   bwd(saved, dy, a, b)   dy * f'(saved), where saved is x, or y = f(x) for the kinds marked OUTPUT
//                          (RELU, SIGMOID, TANH) so that the forward pass may run in place.
// The element-wise kernels call Activation<A> directly (one instantiation each, no switch); the GEMM
// and conv epilogues choose one at run time with jk::activation_fwd (epilogue.cuh).
// Kinks take the left derivative, as PyTorch does (relu'(0) = 0).
//
// NaN and infinities (the rule of dev.jkernels.Activation, the same on every backend):
//   - forward: NaN in, NaN out. fmaxf/fminf return the other operand for a NaN, so no functor uses
//     them: clamps and max(x, 0) are comparisons (false for NaN), which let NaN through.
//   - backward: where f' = 0 by definition (the flat pieces of ReLU, ReLU6, Hardtanh, HardSigmoid,
//     HardSwish, ThresholdedReLU) dx is exactly 0 whatever dy holds (NaN, Inf), as PyTorch; a NaN
//     saved value gives NaN; elsewhere f' is computed first and then multiplied by dy, so |dy| near
//     FLT_MAX stays finite where |f'| <= 1.
//   - masks that depend on arithmetic are decided as the Java side decides them: HardSigmoid's on
//     a*x + b in double (a*x is exact there), its value with one fmaf; Softplus's on b < a*x in float.
#pragma once

#include "jkernels/common.cuh"
#include <math.h>

// X(ENUM_NAME, kernel_suffix): the one list. Kernel entry points are instantiated from it. New
// kinds go at the end: the codes of the others must not move.
#define JK_ACTIVATIONS(X) \
    X(IDENTITY, identity)         \
    X(RELU, relu)                 \
    X(LEAKY_RELU, leaky_relu)     \
    X(ELU, elu)                   \
    X(SIGMOID, sigmoid)           \
    X(TANH, tanh)                 \
    X(GELU, gelu)                 \
    X(GELU_TANH, gelu_tanh)       \
    X(SILU, silu)                 \
    X(RELU6, relu6)               \
    X(SELU, selu)                 \
    X(SOFTPLUS, softplus)         \
    X(HARD_SIGMOID, hard_sigmoid) \
    X(PRELU, prelu)               \
    X(HARDSWISH, hardswish)       \
    X(MISH, mish)                 \
    X(CELU, celu)                 \
    X(SOFTSIGN, softsign)         \
    X(HARDTANH, hardtanh)         \
    X(THRESHOLDED_RELU, thresholded_relu)

namespace jk {

enum class Act {
#define JK_ENUM_ENTRY(E, s) E,
    JK_ACTIVATIONS(JK_ENUM_ENTRY)
#undef JK_ENUM_ENTRY
};

namespace act_detail {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluTanhC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// 1 / (1 + e^-x) with one exponential and one reciprocal and no sign split (the old split ran
// both sides, each with an exact division: ~50 instructions per element). The denominator is >= 1
// (or +inf, or NaN), so the fast reciprocal (__fdividef: MUFU.RCP, 1 ulp; no slow-path call, which
// __frcp_rn has for the denormal range) is exact enough everywhere: for x < -87.3, 1 + e^-x passes
// 2^126 and the result is 0, where the true value is below 2^-126; above x = 103.3, e^-x is 0 and
// the result 1; e^-x = +inf gives 0. Finite for every finite x; NaN in, NaN out.
JK_HD float reciprocal(float x) {
#ifdef __CUDA_ARCH__
    return __fdividef(1.f, x);
#else
    return 1.f / x;
#endif
}
JK_HD float sigmoid(float x) { return reciprocal(1.f + expf(-x)); }

// The sign-split form, which keeps the tail below x = -87.3 (e^x / (1 + e^x)): for Mish's
// backward, whose x·σ(x) term decides the sign of f' there (f' < 0 for x < -1.2 or so).
JK_HD float sigmoid_tail(float x) {
    if (x >= 0.f) return 1.f / (1.f + expf(-x));
    float e = expf(x);
    return e / (1.f + e);
}

// clamp(v, lo, hi) that keeps NaN: comparisons are false for it (fminf/fmaxf would drop it).
JK_HD float clamp(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// log(1 + e^x) as max(x, 0) + log1p(e^-|x|): never overflows, exact in the tails, NaN for NaN.
JK_HD float softplus(float x) { return (x > 0.f ? x : 0.f) + log1pf(expf(-fabsf(x))); }

// dx where f' is 0 outside a region: dy inside, 0 outside whatever dy is, NaN for a NaN saved value.
JK_HD float masked(bool inside, float saved, float dyInside) { return inside ? dyInside : (isnan(saved) ? saved : 0.f); }
}  // namespace act_detail

template <Act A> struct Activation;

template <> struct Activation<Act::IDENTITY> {
    static JK_HD float fwd(float x, float, float) { return x; }
    static JK_HD float bwd(float, float dy, float, float) { return dy; }
};
template <> struct Activation<Act::RELU> {
    static JK_HD float fwd(float x, float, float) { return x < 0.f ? 0.f : x; }  // NaN and -0 pass, as PyTorch
    static JK_HD float bwd(float y, float dy, float, float) { return act_detail::masked(y > 0.f, y, dy); }  // from y
};
template <> struct Activation<Act::LEAKY_RELU> {
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * x; }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : (x <= 0.f ? a * dy : x); }
};
template <> struct Activation<Act::ELU> {
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * expm1f(x); }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : dy * (a * expf(x)); }
};
template <> struct Activation<Act::SIGMOID> {
    static JK_HD float fwd(float x, float, float) { return act_detail::sigmoid(x); }
    static JK_HD float bwd(float y, float dy, float, float) { return dy * (y * (1.f - y)); }  // from y
};
template <> struct Activation<Act::TANH> {
    static JK_HD float fwd(float x, float, float) { return tanhf(x); }
    static JK_HD float bwd(float y, float dy, float, float) { return dy * (1.f - y * y); }  // from y
};
template <> struct Activation<Act::GELU> {
    static JK_HD float fwd(float x, float, float) { return 0.5f * x * (1.f + erff(x * act_detail::kInvSqrt2)); }
    static JK_HD float bwd(float x, float dy, float, float) {
        float cdf = 0.5f * (1.f + erff(x * act_detail::kInvSqrt2));
        float pdf = act_detail::kInvSqrt2Pi * expf(-0.5f * x * x);
        return dy * (cdf + x * pdf);
    }
};
template <> struct Activation<Act::GELU_TANH> {
    static JK_HD float fwd(float x, float, float) {
        float u = act_detail::kSqrt2OverPi * (x + act_detail::kGeluTanhC * x * x * x);
        return 0.5f * x * (1.f + tanhf(u));
    }
    // Once tanh u rounds to ±1 the (1 - t²)·du term is 0: without the test, x³ and x² overflow from
    // |x| ≈ 5e19 on and 0·Inf gives NaN where f' is 1 (or 0).
    static JK_HD float bwd(float x, float dy, float, float) {
        float u = act_detail::kSqrt2OverPi * (x + act_detail::kGeluTanhC * x * x * x);
        float t = tanhf(u);
        float sech2 = 1.f - t * t;
        float du = act_detail::kSqrt2OverPi * (1.f + 3.f * act_detail::kGeluTanhC * x * x);
        return dy * (0.5f * (1.f + t) + (sech2 == 0.f ? 0.f : 0.5f * x * sech2 * du));
    }
};
template <> struct Activation<Act::SILU> {  // Swish: x·σ(a·x); SiLU is a = 1
    // one exponential, one reciprocal, one multiply; -inf gives NaN (-inf·0), as in PyTorch.
    static JK_HD float fwd(float x, float a, float) { return x * act_detail::sigmoid(a * x); }
    // f' = s + a·x·s·(1 − s): the second term is 0 once s·(1 − s) is (a·x overflows first when |a| > 1).
    static JK_HD float bwd(float x, float dy, float a, float) {
        float s = act_detail::sigmoid(a * x);
        float p = s * (1.f - s);
        return dy * (s + (p == 0.f ? 0.f : a * x * p));
    }
};
template <> struct Activation<Act::RELU6> {
    static JK_HD float fwd(float x, float, float) { return act_detail::clamp(x, 0.f, 6.f); }
    static JK_HD float bwd(float x, float dy, float, float) { return act_detail::masked(x > 0.f && x < 6.f, x, dy); }
};
template <> struct Activation<Act::SELU> {  // b·(x > 0 ? x : a·(e^x − 1)): a = alpha, b = gamma (scale)
    static JK_HD float fwd(float x, float a, float b) { return b * (x > 0.f ? x : a * expm1f(x)); }
    static JK_HD float bwd(float x, float dy, float a, float b) { return dy * (x > 0.f ? b : b * (a * expf(x))); }
};
template <> struct Activation<Act::SOFTPLUS> {  // PyTorch's: a = beta, b = threshold (may be +Inf)
    // log(1 + e^(a·x))/a as x + log1p(e^(−a·x))/a for a·x > 0: no overflow even where a·x does.
    static JK_HD float fwd(float x, float a, float b) {
        float bx = a * x;
        if (bx > b) return x;
        return bx > 0.f ? x + log1pf(expf(-bx)) / a : log1pf(expf(bx)) / a;
    }
    static JK_HD float bwd(float x, float dy, float a, float b) {
        float bx = a * x;
        return bx > b ? dy : dy * act_detail::sigmoid(bx);
    }
};
template <> struct Activation<Act::HARD_SIGMOID> {  // clamp(a·x + b, 0, 1)
    static JK_HD float fwd(float x, float a, float b) { return act_detail::clamp(fmaf(a, x, b), 0.f, 1.f); }
    static JK_HD float bwd(float x, float dy, float a, float b) {
        double v = (double)a * (double)x + (double)b;  // a·x is exact in double: the mask is exact
        return act_detail::masked(v > 0.0 && v < 1.0, x, a * dy);
    }
};
template <> struct Activation<Act::PRELU> {  // a = the slope (per channel in the epilogues)
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * x; }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : (x <= 0.f ? a * dy : x); }
};
template <> struct Activation<Act::HARDSWISH> {  // x·(clamp(x + 3, 0, 6)/6): x·6 would overflow near FLT_MAX
    static JK_HD float fwd(float x, float, float) { return x * (act_detail::clamp(x + 3.f, 0.f, 6.f) / 6.f); }
    static JK_HD float bwd(float x, float dy, float, float) {
        if (x < -3.f) return 0.f;
        return x <= 3.f ? dy * (x / 3.f + 0.5f) : (isnan(x) ? x : dy);
    }
};
template <> struct Activation<Act::MISH> {  // x·tanh(softplus(x))
    static JK_HD float fwd(float x, float, float) { return x * tanhf(act_detail::softplus(x)); }
    static JK_HD float bwd(float x, float dy, float, float) {
        float t = tanhf(act_detail::softplus(x));
        return dy * (t + x * act_detail::sigmoid_tail(x) * (1.f - t * t));
    }
};
template <> struct Activation<Act::CELU> {  // x > 0 ? x : a·(e^(x/a) − 1), a > 0
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * expm1f(x / a); }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : dy * expf(x / a); }
};
template <> struct Activation<Act::SOFTSIGN> {  // x / (1 + |x|)
    static JK_HD float fwd(float x, float, float) { return x / (1.f + fabsf(x)); }
    // f' = 1/(1 + |x|)², applied as two divisions: (1 + |x|)² overflows from |x| ≈ 1.8e19 on.
    static JK_HD float bwd(float x, float dy, float, float) {
        float d = 1.f + fabsf(x);
        return dy / d / d;
    }
};
template <> struct Activation<Act::HARDTANH> {  // clamp(x, a, b): a = min, b = max
    static JK_HD float fwd(float x, float a, float b) { return act_detail::clamp(x, a, b); }
    static JK_HD float bwd(float x, float dy, float a, float b) { return act_detail::masked(x > a && x < b, x, dy); }
};
template <> struct Activation<Act::THRESHOLDED_RELU> {  // x > a ? x : 0, a = theta
    static JK_HD float fwd(float x, float a, float) { return x <= a ? 0.f : x; }
    static JK_HD float bwd(float x, float dy, float a, float) { return act_detail::masked(x > a, x, dy); }
};

}  // namespace jk
