// What the conv2d variants share: the argument list (one Java argument builder for all) and the
// epilogue, the runtime descriptor of epilogue.cuh with channel = output channel k and the residual
// in the output's layout (residualLd 0): accumulate -> alpha*acc (+ beta*out_old) -> + bias[k]
// -> + residual[at] -> activation -> store (the Java side sends alpha 1, beta 0: a convolution
// overwrites its output).
//
// Shapes: input [N, C, H, W] (layout 0, NCHW) or [N, H, W, C] (layout 1, NHWC); filters always
// [K, C/groups, R, S]; output [N, K, P, Q] or [N, P, Q, K], the input's layout; bias (in ep) [K].
// Only the top and left paddings are passed: the bottom and right ones are implied by P and Q
// (the Java side resolved them), and any tap outside [0, H) x [0, W) reads as zero.
#pragma once

#include "jkernels/common.cuh"
#include "jkernels/epilogue.cuh"

namespace jk {
namespace conv {

#define JK_CONV_PARAMS                                                                                      \
    const float* __restrict__ input, const float* __restrict__ filters, float* __restrict__ output, int N, int C, \
        int H, int W, int K, int R, int S, int P, int Q, int padTop, int padLeft, int strideH, int strideW,         \
        int dilationH, int dilationW, int groups, int layout, jk::Epilogue ep
#define JK_CONV_ARGS                                                                                            \
    input, filters, output, N, C, H, W, K, R, S, P, Q, padTop, padLeft, strideH, strideW, dilationH, dilationW, \
        groups, layout, ep

constexpr int kLayoutNCHW = 0;
constexpr int kLayoutNHWC = 1;

// The linear part for output element `at` of channel k (the output is read only when beta != 0).
__device__ __forceinline__ float epilogue_linear_at(const Epilogue& ep, float acc, const float* __restrict__ output,
                                                    int k, index_t at) {
    return epilogue_linear(ep, acc, ep.beta != 0.f ? output[at] : 0.f, k, at);
}

}  // namespace conv
}  // namespace jk
