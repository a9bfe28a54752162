// Conv2d, Winograd F(2x2, 3x3) (Lavin & Gray 2015) for 3x3 filters, stride 1, dilation 1,
// groups 1, any padding, either layout. Each 2x2 output tile needs a 4x4 input patch d:
//   Y = A^T [ sum_c (G g_kc G^T) ⊙ (B^T d_c B) ] A,
// 16 multiplies per output tile and channel instead of 36. U = G g G^T is computed once per weight
// change (jk_conv_filter_winograd_2x2_3x3, cached by the backend) as 16 matrices [C][K].
//
// Who computes what: a block computes 32 output channels x 32 output tiles (64 x 2x2 outputs per
// channel). Per chunk of 8 input channels, each of the 256 threads transforms one (tile, channel)
// input patch into V[ξ][c][tile] (16 loads, 32 adds), the block loads U[ξ][c][k] for its channels,
// and then the 16 element-wise products become 16 small GEMMs over the chunk: thread t owns one ξ
// (t / 16) and an 8 x 8 (k, tile) sub-tile of it (64 accumulators, 4 LDS.128 per 64 FMAs, as in the
// implicit GEMM). After the last chunk the accumulators go through shared memory (16 channels at a
// time) so that one thread holds all 16 ξ of a (k, tile) and applies A^T · A and the epilogue.
// Shared memory: 32 KiB (U and V chunks, reused for the output transform). No pipelining: this is
// the selectable variant whose speed the device run decides (AUTO never picks it without that).
//
// Accuracy: F(2x2, 3x3)'s transforms use only 0, ±1 and ±1/2, so the error is a few ulps over the
// direct sum (it passes the default tolerance with headroom; F(4x4, 3x3) does not).
#include "conv_fast_common.cuh"

namespace jk {
namespace conv_winograd_kernels {

constexpr int kThreads = 256, kTileK = 32, kTileT = 32, kChunk = 8;

__device__ __forceinline__ void winograd(const float* __restrict__ input, const float* __restrict__ U,
                                         float* __restrict__ output, int N, int C, int H, int W, int K, int P,
                                         int Q, int padTop, int padLeft, int nhwc, int kTiles, const Epilogue& ep) {
    alignas(16) __shared__ float smem[2 * 16 * kChunk * 32];  // Us[16][8][32] then Vs[16][8][32]
    float* Us = smem;
    float* Vs = smem + 16 * kChunk * 32;

    const int tid = threadIdx.x;
    const int kt = (int)(blockIdx.x % (unsigned)kTiles), bt = (int)(blockIdx.x / (unsigned)kTiles);
    const int k0 = kt * kTileK;
    const int TP = (P + 1) / 2, TQ = (Q + 1) / 2;
    const index_t tilesTotal = (index_t)N * TP * TQ;
    const index_t t0 = (index_t)bt * kTileT;

    // This thread's input patch: tile t0 + tid % 32, channel tid / 32 of each chunk; decoded once.
    const int myTile = tid % kTileT, myC = tid / kTileT;
    index_t patchBase = 0;  // input offset of (n, channel 0, row 0, column 0)
    long long ih0 = 0, iw0 = 0;  // int64: a padding near 2^31 must not wrap
    bool tileOk = false;
    {
        const index_t t = t0 + myTile;
        if (t < tilesTotal) {
            const index_t n = t / ((index_t)TP * TQ);
            const int rest = (int)(t - n * TP * TQ);
            ih0 = (long long)(rest / TQ) * 2 - padTop;
            iw0 = (long long)(rest % TQ) * 2 - padLeft;
            patchBase = n * C * H * (index_t)W;
            tileOk = true;
        }
    }
    const index_t chanStride = nhwc ? 1 : (index_t)H * W;

    const int xi = tid / 16, sub = tid % 16, tk = sub % 4, tt = sub / 4;
    float acc[8][8];
JK_UNROLL
    for (int i = 0; i < 8; ++i)
JK_UNROLL
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

    for (int c0 = 0; c0 < C; c0 += kChunk) {
        // U chunk: Us[ξ][c][k] = U[ξ][c0 + c][k0 + k], zero past C and K.
        for (int e = tid; e < 16 * kChunk * kTileK; e += kThreads) {
            const int k = e % kTileK, c = (e / kTileK) % kChunk, x = e / (kTileK * kChunk);
            Us[e] = (c0 + c < C && k0 + k < K) ? U[((index_t)x * C + c0 + c) * K + k0 + k] : 0.f;
        }
        // V chunk: this thread's patch, B^T d B.
        {
            const int c = c0 + myC;
            float d[4][4];
            const bool ok = tileOk && c < C;
JK_UNROLL
            for (int i = 0; i < 4; ++i)
JK_UNROLL
                for (int j = 0; j < 4; ++j) {
                    const long long ih = ih0 + i, iw = iw0 + j;
                    float v = 0.f;
                    if (ok && ih >= 0 && ih < H && iw >= 0 && iw < W) {
                        const index_t pix = (index_t)ih * W + iw;
                        v = input[patchBase + (nhwc ? pix * C : 0) + (index_t)c * chanStride + (nhwc ? 0 : pix)];
                    }
                    d[i][j] = v;
                }
            float tmp[4][4];
JK_UNROLL
            for (int j = 0; j < 4; ++j) {
                tmp[0][j] = d[0][j] - d[2][j];
                tmp[1][j] = d[1][j] + d[2][j];
                tmp[2][j] = d[2][j] - d[1][j];
                tmp[3][j] = d[1][j] - d[3][j];
            }
JK_UNROLL
            for (int i = 0; i < 4; ++i) {
                float* v = Vs + (i * 4) * kChunk * kTileT + myC * kTileT + myTile;
                v[0 * kChunk * kTileT] = tmp[i][0] - tmp[i][2];
                v[1 * kChunk * kTileT] = tmp[i][1] + tmp[i][2];
                v[2 * kChunk * kTileT] = tmp[i][2] - tmp[i][1];
                v[3 * kChunk * kTileT] = tmp[i][1] - tmp[i][3];
            }
        }
        __syncthreads();
JK_UNROLL
        for (int c = 0; c < kChunk; ++c) {
            const float* u = Us + (xi * kChunk + c) * kTileK;
            const float* v = Vs + (xi * kChunk + c) * kTileT;
            const float4 u0 = *reinterpret_cast<const float4*>(u + tk * 4);
            const float4 u1 = *reinterpret_cast<const float4*>(u + 16 + tk * 4);
            const float4 v0 = *reinterpret_cast<const float4*>(v + tt * 4);
            const float4 v1 = *reinterpret_cast<const float4*>(v + 16 + tt * 4);
            const float a[8] = {u0.x, u0.y, u0.z, u0.w, u1.x, u1.y, u1.z, u1.w};
            const float b[8] = {v0.x, v0.y, v0.z, v0.w, v1.x, v1.y, v1.z, v1.w};
JK_UNROLL
            for (int i = 0; i < 8; ++i)
JK_UNROLL
                for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

    // Output transform, 16 channels at a time: Ms[ξ][k 16][tile 32] in the (now free) shared memory.
JK_UNROLL  // unrolled so that acc[half·4 + i] stays in registers (a runtime index would put it in local memory)
    for (int half = 0; half < 2; ++half) {
JK_UNROLL
        for (int i = 0; i < 4; ++i)
JK_UNROLL
            for (int j = 0; j < 8; ++j) {
                const int kl = tk * 4 + i, tl = (j < 4 ? 0 : 16) + tt * 4 + (j & 3);
                smem[(xi * 16 + kl) * kTileT + tl] = acc[half * 4 + i][j];
            }
        __syncthreads();
        for (int e = tid; e < 16 * kTileT; e += kThreads) {
            const int kl = e / kTileT, tl = e % kTileT;
            const int k = k0 + half * 16 + kl;
            const index_t t = t0 + tl;
            if (k < K && t < tilesTotal) {
                float m[16];
JK_UNROLL
                for (int x = 0; x < 16; ++x) m[x] = smem[(x * 16 + kl) * kTileT + tl];
                float r0[4], r1[4];  // A^T M: rows 0 and 1
JK_UNROLL
                for (int j = 0; j < 4; ++j) {
                    r0[j] = m[0 * 4 + j] + m[1 * 4 + j] + m[2 * 4 + j];
                    r1[j] = m[1 * 4 + j] - m[2 * 4 + j] - m[3 * 4 + j];
                }
                const float y[2][2] = {{r0[0] + r0[1] + r0[2], r0[1] - r0[2] - r0[3]},
                                       {r1[0] + r1[1] + r1[2], r1[1] - r1[2] - r1[3]}};
                const index_t n = t / ((index_t)TP * TQ);
                const int rest = (int)(t - n * TP * TQ);
                const int p0 = (rest / TQ) * 2, q0 = (rest % TQ) * 2;
JK_UNROLL
                for (int dy = 0; dy < 2; ++dy)
JK_UNROLL
                    for (int dx = 0; dx < 2; ++dx) {
                        const int p = p0 + dy, q = q0 + dx;
                        if (p >= P || q >= Q) continue;
                        const index_t at = nhwc ? ((n * P + p) * Q + q) * K + k : ((n * K + k) * P + p) * (index_t)Q + q;
                        output[at] = conv_fast::apply_epilogue(ep, y[dy][dx], k, at, output);
                    }
            }
        }
        __syncthreads();
    }
}

}  // namespace conv_winograd_kernels
}  // namespace jk

// Entry point: (input, U [16][C][K], output, N, C, H, W, K, P, Q, padTop, padLeft, layout 0|1,
//   kTiles = ceil(K/32), epilogue); grid.x = kTiles · ceil(N·ceil(P/2)·ceil(Q/2) / 32), 256 threads.
extern "C" __global__ void __launch_bounds__(jk::conv_winograd_kernels::kThreads)
    jk_conv_winograd_2x2_3x3(const float* __restrict__ input, const float* __restrict__ U, float* __restrict__ output,
                             int N, int C, int H, int W, int K, int P, int Q, int padTop, int padLeft, int layout,
                             int kTiles, jk::Epilogue ep) {
    jk::conv_winograd_kernels::winograd(input, U, output, N, C, H, W, K, P, Q, padTop, padLeft, layout, kTiles, ep);
}
JK_REGISTER_KERNEL(jk_conv_winograd_2x2_3x3)
