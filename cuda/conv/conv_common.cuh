// What both conv2d variants share: the argument list (one Java argument builder for both) and the
// epilogue, which is the GEMM epilogue with alpha = 1 and beta = 0 (a convolution overwrites its
// output): accumulate -> + bias[k] -> activation -> store.
//
// Shapes: input [N, C, H, W] (layout 0, NCHW) or [N, H, W, C] (layout 1, NHWC); filters always
// [K, C/groups, R, S]; bias [K] or null; output [N, K, P, Q] or [N, P, Q, K], the input's layout.
// Only the top and left paddings are passed: the bottom and right ones are implied by P and Q
// (the Java side resolved them), and any tap outside [0, H) x [0, W) reads as zero.
#pragma once

#include "jkernels/common.cuh"
#include "jkernels/activation.cuh"

namespace jk {
namespace conv {

#define JK_CONV_PARAMS                                                                                      \
    const float* __restrict__ input, const float* __restrict__ filters, const float* __restrict__ bias,     \
        float* __restrict__ output, int N, int C, int H, int W, int K, int R, int S, int P, int Q, int padTop, \
        int padLeft, int strideH, int strideW, int dilationH, int dilationW, int groups, int layout,         \
        float actAlpha
#define JK_CONV_ARGS                                                                                      \
    input, filters, bias, output, N, C, H, W, K, R, S, P, Q, padTop, padLeft, strideH, strideW, dilationH, \
        dilationW, groups, layout, actAlpha

constexpr int kLayoutNCHW = 0;
constexpr int kLayoutNHWC = 1;

template <Act ACT>
JK_HD float epilogue(float acc, float biasValue, float actAlpha) {
    return Activation<ACT>::fwd(acc + biasValue, actAlpha);
}

}  // namespace conv
}  // namespace jk
