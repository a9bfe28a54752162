// Conv2d, depthwise (groups == C, K = C · multiplier): output channel k reads input channel
// k / multiplier only, so there is no reduction across channels to reuse and the kernel is
// memory-bound: the design goal is to touch each input and output byte about once from DRAM
// (≥ 80 % of copy bandwidth on a GPU), the R·S reuse of an input element coming from L1/L2.
//
// NCHW (jk_conv_depthwise_nchw): a block computes a 4 x 64 tile of one output plane (n, k), one
// output per thread, lanes along q: every tap's warp load is one contiguous run of the input row
// (stride 1), the filter taps are block-uniform (broadcast loads). Tiles are walked grid-stride in
// int64 (grid.x only), so any plane count or image size fits every backend's grid.
// NHWC (jk_conv_depthwise_nhwc): a thread computes four consecutive output channels of one pixel,
// lanes along channels: with multiplier 1 and C % 4 == 0 each tap is one float4 load (a warp reads
// 512 contiguous bytes) and the output one float4 of epilogues; otherwise four scalar taps. A block
// covers max(1, 256 / ceil(K/4)) pixels, so narrow layers still fill the block.
// Neither kernel has a barrier or shared memory (serial mode runs them); the pixel decode (the only
// divisions) is once per output, not per tap.
#include "conv_fast_common.cuh"

namespace jk {
namespace conv_depthwise_kernels {

constexpr int kThreads = 256;
constexpr int kTileP = 4, kTileQ = 64;

__device__ __forceinline__ void depthwise_nchw(const float* __restrict__ input, const float* __restrict__ filters,
                                               float* __restrict__ output, int N, int C, int H, int W, int K,
                                               int R, int S, int P, int Q, int padTop, int padLeft, int strideH,
                                               int strideW, int dilH, int dilW, const Epilogue& ep) {
    const int mult = K / C;
    const int tilesQ = (Q + kTileQ - 1) / kTileQ, tilesP = (P + kTileP - 1) / kTileP;
    const index_t tilesPerPlane = (index_t)tilesP * tilesQ, total = (index_t)N * K * tilesPerPlane;
    const int tq = threadIdx.x % kTileQ, tp = threadIdx.x / kTileQ;
    const index_t HW = (index_t)H * W, PQ = (index_t)P * Q;
    for (index_t tile = blockIdx.x; tile < total; tile += gridDim.x) {
        const index_t plane = tile / tilesPerPlane;
        const int t = (int)(tile - plane * tilesPerPlane);
        const int p = (t / tilesQ) * kTileP + tp, q = (t % tilesQ) * kTileQ + tq;
        if (p >= P || q >= Q) continue;
        const int k = (int)(plane % K);
        const index_t n = plane / K;
        const float* in = input + (n * C + k / mult) * HW;
        const float* f = filters + (index_t)k * R * S;
        const long long ih0 = (long long)p * strideH - padTop, iw0 = (long long)q * strideW - padLeft;
        float acc = 0.f;
        for (int r = 0; r < R; ++r) {
            const long long ih = ih0 + (long long)r * dilH;
            if (ih < 0 || ih >= H) continue;
            const float* row = in + ih * W;
            for (int s = 0; s < S; ++s) {
                const long long iw = iw0 + (long long)s * dilW;
                if (iw >= 0 && iw < W) acc = fmaf(row[iw], f[r * S + s], acc);
            }
        }
        const index_t at = plane * PQ + (index_t)p * Q + q;
        output[at] = conv_fast::apply_epilogue(ep, acc, k, at, output);
    }
}

__device__ __forceinline__ void depthwise_nhwc(const float* __restrict__ input, const float* __restrict__ filters,
                                               float* __restrict__ output, int N, int C, int H, int W, int K,
                                               int R, int S, int P, int Q, int padTop, int padLeft, int strideH,
                                               int strideW, int dilH, int dilW, const Epilogue& ep) {
    const int mult = K / C;
    const int quads = (K + 3) / 4;
    const int lanesPerPixel = quads < kThreads ? quads : kThreads;
    const int pixelsPerBlock = kThreads / lanesPerPixel;
    const int quadTiles = (quads + lanesPerPixel - 1) / lanesPerPixel;
    const index_t M = (index_t)N * P * Q, PQ = (index_t)P * Q;
    const index_t total = ((M + pixelsPerBlock - 1) / pixelsPerBlock) * quadTiles;
    const int RS = R * S;
    const bool vec = mult == 1 && (C % 4) == 0 && ((reinterpret_cast<uintptr_t>(input) & 15u) == 0) &&
                     ((reinterpret_cast<uintptr_t>(output) & 15u) == 0);
    const int lane = (int)threadIdx.x % lanesPerPixel, pixelInBlock = (int)threadIdx.x / lanesPerPixel;
    if (pixelInBlock >= pixelsPerBlock) return;  // the few threads past the last whole pixel
    for (index_t tile = blockIdx.x; tile < total; tile += gridDim.x) {
        const index_t pixelTile = tile / quadTiles;
        const int quad = (int)(tile - pixelTile * quadTiles) * lanesPerPixel + lane;
        const index_t m = pixelTile * pixelsPerBlock + pixelInBlock;
        if (quad >= quads || m >= M) continue;
        const index_t n = m / PQ;
        const int pq = (int)(m - n * PQ);
        const int p = pq / Q, q = pq - p * Q;
        const int k0 = quad * 4;
        const long long ih0 = (long long)p * strideH - padTop, iw0 = (long long)q * strideW - padLeft;
        const float* in = input + n * H * W * (index_t)C;
        float acc[4] = {0.f, 0.f, 0.f, 0.f};
        for (int r = 0; r < R; ++r) {
            const long long ih = ih0 + (long long)r * dilH;
            if (ih < 0 || ih >= H) continue;
            for (int s = 0; s < S; ++s) {
                const long long iw = iw0 + (long long)s * dilW;
                if (iw < 0 || iw >= W) continue;
                const float* px = in + (ih * W + iw) * C;
                const int tap = r * S + s;
                if (vec) {  // k0..k0+3 < K = C: one float4 of input channels k0..k0+3
                    const float4 v = *reinterpret_cast<const float4*>(px + k0);
                    acc[0] = fmaf(v.x, filters[(index_t)(k0 + 0) * RS + tap], acc[0]);
                    acc[1] = fmaf(v.y, filters[(index_t)(k0 + 1) * RS + tap], acc[1]);
                    acc[2] = fmaf(v.z, filters[(index_t)(k0 + 2) * RS + tap], acc[2]);
                    acc[3] = fmaf(v.w, filters[(index_t)(k0 + 3) * RS + tap], acc[3]);
                } else {
JK_UNROLL
                    for (int u = 0; u < 4; ++u) {
                        const int k = k0 + u;
                        if (k < K) acc[u] = fmaf(px[k / mult], filters[(index_t)k * RS + tap], acc[u]);
                    }
                }
            }
        }
        const index_t at = m * K + k0;
        // One epilogue in a loop that is not unrolled: four inlined copies of the activation switch
        // spilled; the epilogue is once per output, the taps dominate.
        // (Selects, not acc[u]: a runtime index would move the array to local memory.)
        float o0 = 0.f, o1 = 0.f, o2 = 0.f, o3 = 0.f;
JK_NO_UNROLL
        for (int u = 0; u < 4; ++u) {
            const float a = u == 0 ? acc[0] : u == 1 ? acc[1] : u == 2 ? acc[2] : acc[3];
            const float r = k0 + u < K ? conv_fast::apply_epilogue(ep, a, k0 + u, at + u, output) : 0.f;
            if (u == 0) o0 = r; else if (u == 1) o1 = r; else if (u == 2) o2 = r; else o3 = r;
        }
        if (vec) {
            *reinterpret_cast<float4*>(output + at) = make_float4(o0, o1, o2, o3);
        } else {
            if (k0 + 0 < K) output[at + 0] = o0;
            if (k0 + 1 < K) output[at + 1] = o1;
            if (k0 + 2 < K) output[at + 2] = o2;
            if (k0 + 3 < K) output[at + 3] = o3;
        }
    }
}

}  // namespace conv_depthwise_kernels
}  // namespace jk

// Entry points: (input, filters [K, 1, R, S], output, N, C, H, W, K, R, S, P, Q, padTop, padLeft,
//   strideH, strideW, dilationH, dilationW, epilogue); 256 threads, grid.x blocks (grid-stride).
// Blocks per SM asked of ptxas: 6 for NCHW (40 registers, 48 warps: a memory-bound kernel wants them
// in flight), 4 for NHWC (58 registers; 6 would spill the float4 path).
#define JK_CONV_DW_DEFINE(LAYOUT, MINB)                                                                        \
    extern "C" __global__ void __launch_bounds__(jk::conv_depthwise_kernels::kThreads, MINB)                   \
        jk_conv_depthwise_##LAYOUT(const float* __restrict__ input, const float* __restrict__ filters,         \
                                   float* __restrict__ output, int N, int C, int H, int W, int K, int R, int S, \
                                   int P, int Q, int padTop, int padLeft, int strideH, int strideW,            \
                                   int dilationH, int dilationW, jk::Epilogue ep) {                            \
        jk::conv_depthwise_kernels::depthwise_##LAYOUT(input, filters, output, N, C, H, W, K, R, S, P, Q,      \
                                                       padTop, padLeft, strideH, strideW, dilationH,          \
                                                       dilationW, ep);                                        \
    }                                                                                                          \
    JK_REGISTER_KERNEL(jk_conv_depthwise_##LAYOUT)
JK_CONV_DW_DEFINE(nchw, 6)
JK_CONV_DW_DEFINE(nhwc, 4)
#undef JK_CONV_DW_DEFINE
