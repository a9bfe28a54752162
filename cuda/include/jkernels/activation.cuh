// Every activation, defined once: a forward and a derivative functor per kind, composed into the
// element-wise kernels and into the GEMM and conv epilogues (as CUTLASS does). The Java twin is
// dev.jkernels.Activation; ActivationListTest checks that the two lists agree, name by name and
// in order (the order is the code the kernels receive).
//
// Conventions (identical to the Java side):
//   fwd(x, a, b)           f(x); a and b are the activation's parameters (a: LEAKY_RELU's slope,
//                          ELU's alpha; b: unused so far, 0; room for min/max, threshold, gamma...).
//   bwd(saved, dy, a, b)   dy * f'(saved), where saved is x, or y = f(x) for the kinds marked OUTPUT
//                          (RELU, SIGMOID, TANH) so that the forward pass may run in place.
// The element-wise kernels call Activation<A> directly (one instantiation each, no switch); the GEMM
// and conv epilogues choose one at run time with jk::activation_fwd (epilogue.cuh).
// Kinks take the left derivative, as PyTorch does (relu'(0) = 0).
#pragma once

#include "jkernels/common.cuh"
#include <math.h>

// X(ENUM_NAME, kernel_suffix): the one list. Kernel entry points are instantiated from it.
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
    X(HARD_SIGMOID, hard_sigmoid)

namespace jk {

enum class Act {
#define JK_ENUM_ENTRY(E, s) E,
    JK_ACTIVATIONS(JK_ENUM_ENTRY)
#undef JK_ENUM_ENTRY
};

namespace act_detail {
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;
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
}  // namespace act_detail

template <Act A> struct Activation;

template <> struct Activation<Act::IDENTITY> {
    static JK_HD float fwd(float x, float, float) { return x; }
    static JK_HD float bwd(float, float dy, float, float) { return dy; }
};
template <> struct Activation<Act::RELU> {
    static JK_HD float fwd(float x, float, float) { return x > 0.f ? x : 0.f; }
    static JK_HD float bwd(float y, float dy, float, float) { return y > 0.f ? dy : 0.f; }  // from y
};
template <> struct Activation<Act::LEAKY_RELU> {
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * x; }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : a * dy; }
};
template <> struct Activation<Act::ELU> {
    static JK_HD float fwd(float x, float a, float) { return x > 0.f ? x : a * expm1f(x); }
    static JK_HD float bwd(float x, float dy, float a, float) { return x > 0.f ? dy : dy * a * expf(x); }
};
template <> struct Activation<Act::SIGMOID> {
    static JK_HD float fwd(float x, float, float) { return act_detail::sigmoid(x); }
    static JK_HD float bwd(float y, float dy, float, float) { return dy * y * (1.f - y); }  // from y
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
    static JK_HD float bwd(float x, float dy, float, float) {
        float u = act_detail::kSqrt2OverPi * (x + act_detail::kGeluTanhC * x * x * x);
        float t = tanhf(u);
        float du = act_detail::kSqrt2OverPi * (1.f + 3.f * act_detail::kGeluTanhC * x * x);
        return dy * (0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * du);
    }
};
template <> struct Activation<Act::SILU> {
    // x·σ(x): one exponential, one reciprocal, one multiply; -inf gives NaN (-inf·0), as in PyTorch.
    static JK_HD float fwd(float x, float, float) { return x * act_detail::sigmoid(x); }
    static JK_HD float bwd(float x, float dy, float, float) {
        float s = act_detail::sigmoid(x);
        return dy * s * (1.f + x * (1.f - s));
    }
};
template <> struct Activation<Act::RELU6> {
    static JK_HD float fwd(float x, float, float) { return fminf(fmaxf(x, 0.f), 6.f); }
    static JK_HD float bwd(float x, float dy, float, float) { return (x > 0.f && x < 6.f) ? dy : 0.f; }
};
template <> struct Activation<Act::SELU> {
    static JK_HD float fwd(float x, float, float) {
        return act_detail::kSeluScale * (x > 0.f ? x : act_detail::kSeluAlpha * expm1f(x));
    }
    static JK_HD float bwd(float x, float dy, float, float) {
        return dy * act_detail::kSeluScale * (x > 0.f ? 1.f : act_detail::kSeluAlpha * expf(x));
    }
};
template <> struct Activation<Act::SOFTPLUS> {
    // max(x, 0) + log1p(e^-|x|): never overflows, exact in the tails.
    static JK_HD float fwd(float x, float, float) { return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x))); }
    static JK_HD float bwd(float x, float dy, float, float) { return dy * act_detail::sigmoid(x); }
};
template <> struct Activation<Act::HARD_SIGMOID> {
    static JK_HD float fwd(float x, float, float) { return fminf(fmaxf(x * (1.f / 6.f) + 0.5f, 0.f), 1.f); }
    static JK_HD float bwd(float x, float dy, float, float) { return (x > -3.f && x < 3.f) ? dy * (1.f / 6.f) : 0.f; }
};

}  // namespace jk
