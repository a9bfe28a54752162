// What the second-generation conv kernels share (conv_igemm_pipelined, conv_depthwise,
// conv_winograd, conv_filter_transform): the argument list, the runtime epilogue, and the
// filter layouts that are transformed once (by conv_filter_transform.cu) and cached by the backend.
//
// Shapes as in conv_common.cuh: input [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC), output in the
// input's layout, only the top/left paddings passed (bottom/right are implied by P and Q).
//
// The epilogue is the shared runtime descriptor jk::Epilogue (DESIGN.md): alpha·acc (+ beta·out)
// + bias[k] + residual[element] -> activation -> store. "element" is the output's own index (a conv
// residual has the output's shape and layout; residualLd is 0).
#pragma once

#include "jkernels/common.cuh"
#include "jkernels/activation.cuh"
#include "jkernels/epilogue.cuh"

namespace jk {
namespace conv_fast {

// The GEMM view's B operand, per group g: Bg[g][j][k], row-major [reduction][kgPad], k < K/groups
// padded with zeros to kgPad (a multiple of 4, so every row is float4-aligned). The reduction index
// j follows the input layout's gather order: (c, r, s) for NCHW, (r, s, c) for NHWC (KRSC order,
// transposed so that a k-tile row is contiguous along k).
JK_HD int kg_padded(int kPerGroup) { return (kPerGroup + 3) & ~3; }

// One output element through the epilogue. `at` is the output index (also the residual's), k the
// output channel. The output is read only when beta != 0.
__device__ __forceinline__ float apply_epilogue(const Epilogue& ep, float acc, int k, index_t at,
                                                const float* __restrict__ output) {
    return epilogue_apply(ep, acc, ep.beta != 0.f ? output[at] : 0.f, k, at);
}

// A tap row ih = ih0 + r·dilation is valid when 0 <= ih < H. ih0 = p·stride - pad can be anywhere in
// int64; clamped to [-(span + 1), H] (span = (R-1)·dilation) it gives the same verdict for every
// r, and ih0 + r·dilation then stays inside int32 (Java guarantees H + span < 2^31). No sentinel:
// a clamped start can never reach a real row, whatever the stride and padding.
JK_HD int clamp_start(long long start, int extent, long long span) {
    if (start < -(span + 1)) return (int)(-(span + 1));
    if (start > extent) return extent;
    return (int)start;
}

// (unsigned)x < n: one compare for 0 <= x < n.
JK_HD bool inside(int x, int n) { return (unsigned)x < (unsigned)n; }

}  // namespace conv_fast
}  // namespace jk
