// Conv2d, variant 1: direct, the reference kernel.
//
// One thread computes one output element, looping over the C/groups x R x S taps of its filter.
// The flat thread index walks the output in memory order (grid-stride, int64), so writes are
// coalesced in either layout; reads are coalesced along Q in NCHW and along K in NHWC (where
// depthwise convolutions then read consecutive channels). No shared memory: every input element is
// re-read by up to K/groups · R · S threads through the caches. It is the simplest correct kernel,
// the one the implicit-GEMM kernel is checked against, and a fair kernel for depthwise
// convolutions (one output channel per group leaves nothing for a GEMM to reuse).
// Block: 256 threads (enough warps to hide latency, any multiple of 32 works); grid: enough blocks
// to fill the GPU, the loop covers the rest.
#include "conv_common.cuh"

namespace jk {
namespace conv {

constexpr int kDirectThreads = 256;

__device__ __forceinline__ void conv_direct(JK_CONV_PARAMS) {
    const int cPerGroup = C / groups, kPerGroup = K / groups;
    const index_t total = (index_t)N * K * P * Q;
    const index_t hw = (index_t)H * W;
    const index_t stride = (index_t)gridDim.x * blockDim.x;
    for (index_t idx = (index_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += stride) {
        int n, k, p, q;
        if (layout == kLayoutNCHW) {  // idx = ((n * K + k) * P + p) * Q + q
            q = (int)(idx % Q);
            index_t t = idx / Q;
            p = (int)(t % P);
            t /= P;
            k = (int)(t % K);
            n = (int)(t / K);
        } else {                      // idx = ((n * P + p) * Q + q) * K + k
            k = (int)(idx % K);
            index_t t = idx / K;
            q = (int)(t % Q);
            t /= Q;
            p = (int)(t % P);
            n = (int)(t / P);
        }
        const int c0 = (k / kPerGroup) * cPerGroup;
        const int ih0 = p * strideH - padTop, iw0 = q * strideW - padLeft;
        const float* f = filters + (index_t)k * cPerGroup * R * S;
        float acc = 0.f;
        for (int c = 0; c < cPerGroup; ++c) {
            for (int r = 0; r < R; ++r) {
                const int ih = ih0 + r * dilationH;
                if (ih < 0 || ih >= H) continue;
                for (int s = 0; s < S; ++s) {
                    const int iw = iw0 + s * dilationW;
                    if (iw < 0 || iw >= W) continue;
                    index_t at = layout == kLayoutNCHW
                                     ? ((index_t)n * C + c0 + c) * hw + (index_t)ih * W + iw
                                     : (((index_t)n * H + ih) * W + iw) * C + c0 + c;
                    acc = fmaf(input[at], f[(c * R + r) * S + s], acc);
                }
            }
        }
        output[idx] = epilogue_activation(ep, epilogue_linear_at(ep, acc, output, k, idx), k);
    }
}

}  // namespace conv
}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::conv::kDirectThreads) jk_conv_direct(JK_CONV_PARAMS) {
    jk::conv::conv_direct(JK_CONV_ARGS);
}
JK_REGISTER_KERNEL(jk_conv_direct)
