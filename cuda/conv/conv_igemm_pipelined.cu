// Conv2d, variant 3: implicit GEMM with a pipelined loader (the conv counterpart of the pipelined
// GEMM). Per group g the convolution is out[m][k] = sum_j im2col[m][j] · Bg[j][k] with m = (n, p, q)
// an output pixel, k an output channel of the group and j a filter tap; nothing is materialised.
//
// Who computes what: a block computes a BM x BN tile of one group's output; each of its
// (BM/8)·(BN/8) threads holds 8 x 8 accumulators, rows {4·tr..4·tr+3} and {BM/2 + 4·tr..}, columns
// likewise, so that every fragment read is one LDS.128 (64 FMAs per 4 LDS.128 per k). The grid is
// one dimension (grid.x, up to 2^31 - 1 blocks): block b is channel tile b % channelTiles (fastest,
// so the blocks sharing an input tile run together), then pixel tile, then group.
//
// The loader, per k-tile of depth BK = 16: every thread first issues all its global loads (the A
// gather and the B float4s) into registers, then computes the current tile from shared memory, then
// stores the registers into the other shared buffer: one barrier per k-tile, the loads of tile
// t + 1 in flight while tile t is computed (register-staged double buffering).
//
// The gather without divisions: each pixel row of the block tile is decoded once, at the start, by
// all threads together (row table in shared memory: the address of the row's first tap, a mask of
// which filter rows r and columns s land inside the image, its output offset). Each thread owns one reduction column (one tap, or one float4
// of four channels of a tap in NHWC) of the k-tile; its (c, r, s) advances by BK per k-tile as a
// mixed-radix counter (a constant number of adds and compares per k-tile, no division). A gathered
// element then costs one AND and one compare against the row's tap mask, and one IMAD.WIDE (row
// address + a 32-bit offset inside the image: Java keeps C·H·W below 2^31, the batch may be any
// size). There is no "no such tap" sentinel that a real row could alias: validity is a mask bit
// computed in 64 bits per row (rows past M have none, taps past the reduction ask for bit 15, which
// no row has), whatever the stride and padding; filters are at most 15 x 15 (16 bits per axis).
//
// Layouts: NCHW gathers j = (c, r, s) with lanes along consecutive pixels (contiguous along Q);
// NHWC gathers j = (r, s, c) as float4s along C (when C/groups % 4 == 0 and the input is aligned;
// four scalar loads otherwise). The filters come pre-transformed to Bg[g][j][kgPad] in the same j
// order (conv_filter_transform.cu, cached by the backend), so the B tile is float4 loads and
// float4 stores with no transposition.
//
// Tile sizes (template parameters, one instantiation each): 128 x 128 (256 threads, 64
// accumulators, ~38 KiB of shared memory) for wide layers; 128 x 64 (128 threads) and 64 x 64 (64
// threads) for narrower layers and small images, where a big tile would be padding. ptxas gives
// each ~165-185 registers (64 accumulators, 16 fragment and 16 staging registers, the gather's
// addresses): 8 warps per SM for 128 x 128 (capping it at 128 registers spills), 12 and 10 for the
// others; a k-tile is 1024 FMAs per thread, which hides the staged loads of the next one.
// (benchmarks/results/2026-12-01-static/conv.md has the figures.) The row table, the gather and the
// register staging live in conv_igemm_loader.cuh, shared with the tensor-core variant
// (conv_igemm_tensor_core.cu); this kernel's SASS is byte-identical to what it was before the split.
#include "conv_igemm_loader.cuh"

namespace jk {
namespace conv_igemm_kernels {

template <int BM, int BN, int BK, bool NHWC>
__device__ __forceinline__ void conv_igemm(const float* __restrict__ input, const float* __restrict__ filtersB,
                                           float* __restrict__ output, int N, int C, int H, int W, int K, int R,
                                           int S, int P, int Q, int padTop, int padLeft, int strideH, int strideW,
                                           int dilH, int dilW, int groups, int channelTiles, int pixelTiles,
                                           const Epilogue& ep) {
    constexpr int TM = 8, TN = 8;
    constexpr int THREADS = (BM / TM) * (BN / TN);
    using Loader = conv_igemm::Loader<BM, BN, BK, THREADS, NHWC>;
    // Row padding of As, a multiple of 4 (float4 fragment reads stay aligned) chosen so that a warp's
    // transposed stores are conflict-free: in NCHW a warp stores 32 / ROWS_PER_PASS columns j of
    // ROWS_PER_PASS consecutive m each, so column j must start ROWS_PER_PASS banks after column j - 1;
    // in NHWC it stores 32 consecutive m (or two runs of 16, four columns apart: 4·68 ≡ 16 banks).
    constexpr int LDA = BM + (NHWC ? 4 : Loader::ROWS_PER_PASS);

    alignas(16) __shared__ float As[2][BK][LDA];  // As[buf][j][m]
    alignas(16) __shared__ float Bs[2][BK][BN];   // Bs[buf][j][k]
    alignas(16) __shared__ int4 rowTable[BM];     // {first-tap address lo, hi, tap mask, 0}
    __shared__ index_t outBase[BM];               // output offset of (m, channel 0 of the group), -1 past M

    const int tid = threadIdx.x;
    const int kPerGroup = K / groups, cPerGroup = C / groups;
    const int kgPad = conv_fast::kg_padded(kPerGroup);
    const int reduction = cPerGroup * R * S;
    const int ct = (int)(blockIdx.x % (unsigned)channelTiles);
    const int rest = (int)(blockIdx.x / (unsigned)channelTiles);
    const int pt = rest % pixelTiles, g = rest / pixelTiles;
    const index_t PQ = (index_t)P * Q, M = (index_t)N * PQ, HW = (index_t)H * W;
    const index_t m0 = (index_t)pt * BM;
    const int k0 = ct * BN;

    conv_igemm::build_row_table<BM, THREADS, NHWC>(rowTable, outBase, input, tid, C, H, W, K, R, S, Q, padTop, padLeft,
                                                   strideH, strideW, dilH, dilW, g, cPerGroup, kPerGroup, PQ, M, HW, m0);
    Loader ld(rowTable, input, filtersB, tid, C, W, R, S, dilH, dilW, g, cPerGroup, reduction, kgPad, k0, HW);
    typename Loader::AStage aReg;
    typename Loader::BStage bReg;
    auto gather = [&](int j0) { ld.gather(j0, aReg, bReg); };
    auto store = [&](int buf) { ld.store(As[buf], Bs[buf], aReg, bReg, conv_igemm::NoConversion()); };

    const int tr = tid % (BM / TM), tc = tid / (BM / TM);
    float acc[TM][TN];
JK_UNROLL
    for (int i = 0; i < TM; ++i)
JK_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

    __syncthreads();  // the row table
    const int tiles = (reduction + BK - 1) / BK;
    gather(0);
    store(0);
    ld.advance();
    __syncthreads();
    int cur = 0;
    for (int t = 0; t < tiles; ++t) {
        const bool more = t + 1 < tiles;
        if (more) gather((t + 1) * BK);
JK_UNROLL
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][kk][tr * 4]);
            const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][kk][BM / 2 + tr * 4]);
            const float4 bv0 = *reinterpret_cast<const float4*>(&Bs[cur][kk][tc * 4]);
            const float4 bv1 = *reinterpret_cast<const float4*>(&Bs[cur][kk][BN / 2 + tc * 4]);
            const float a[TM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float b[TN] = {bv0.x, bv0.y, bv0.z, bv0.w, bv1.x, bv1.y, bv1.z, bv1.w};
JK_UNROLL
            for (int i = 0; i < TM; ++i)
JK_UNROLL
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (more) {
            store(cur ^ 1);
            ld.advance();
        }
        __syncthreads();
        cur ^= 1;
    }

    // Epilogue in three passes (as the tiled GEMMs): the linear part per element, unrolled; the
    // activation through epilogue_activate_staged (one rolled copy of the runtime switch, the values
    // staged in the now idle As); the stores. A thread's output (i, j) is row ml(i), channel kc(j).
    auto rowOf = [&](int i) { return (i < 4 ? 0 : BM / 2) + tr * 4 + (i & 3); };
    auto channelOf = [&](int j) { return k0 + (j < 4 ? 0 : BN / 2) + tc * 4 + (j & 3); };
JK_UNROLL
    for (int i = 0; i < TM; ++i) {
        const index_t ob = outBase[rowOf(i)];
JK_UNROLL
        for (int j = 0; j < TN; ++j) {
            const int kc = channelOf(j);
            if (ob < 0 || kc >= kPerGroup) continue;
            const index_t at = NHWC ? ob + kc : ob + (index_t)kc * PQ;
            acc[i][j] = epilogue_linear(ep, acc[i][j], ep.beta != 0.f ? output[at] : 0.f, g * kPerGroup + kc, at);
        }
    }
    if (epilogue_has_activation(ep)) {
        constexpr int CAP_ALL = 2 * BK * LDA / THREADS;
        constexpr int CAP = CAP_ALL < TM * TN ? CAP_ALL : TM * TN;
        epilogue_activate_staged<TM * TN, CAP, THREADS>(ep, &acc[0][0], &As[0][0][0], tid, [&](int e) -> index_t {
            const int kc = channelOf(e % TN);
            return kc < kPerGroup ? (index_t)g * kPerGroup + kc : -1;
        });
    }
JK_UNROLL
    for (int i = 0; i < TM; ++i) {
        const index_t ob = outBase[rowOf(i)];
JK_UNROLL
        for (int j = 0; j < TN; ++j) {
            const int kc = channelOf(j);
            if (ob < 0 || kc >= kPerGroup) continue;
            output[NHWC ? ob + kc : ob + (index_t)kc * PQ] = acc[i][j];
        }
    }
}

}  // namespace conv_igemm_kernels
}  // namespace jk

// Entry points: jk_conv_igemm_<BM>x<BN>_<nchw|nhwc>(input, filtersB, output, N, C, H, W, K, R, S, P, Q,
//   padTop, padLeft, strideH, strideW, dilationH, dilationW, groups, channelTiles, pixelTiles, epilogue).
#define JK_CONV_IGEMM_DEFINE(BM, BN, MINB, LAYOUT, NHWC)                                                     \
    extern "C" __global__ void __launch_bounds__((BM / 8) * (BN / 8), MINB)                                  \
        jk_conv_igemm_##BM##x##BN##_##LAYOUT(                                                                \
            const float* __restrict__ input, const float* __restrict__ filtersB, float* __restrict__ output,  \
            int N, int C, int H, int W, int K, int R, int S, int P, int Q, int padTop, int padLeft,           \
            int strideH, int strideW, int dilationH, int dilationW, int groups, int channelTiles,             \
            int pixelTiles, jk::Epilogue ep) {                                                                \
        jk::conv_igemm_kernels::conv_igemm<BM, BN, 16, NHWC>(input, filtersB, output, N, C, H, W, K, R, S, P, \
                                                             Q, padTop, padLeft, strideH, strideW, dilationH, \
                                                             dilationW, groups, channelTiles, pixelTiles, ep); \
    }                                                                                                        \
    JK_REGISTER_KERNEL(jk_conv_igemm_##BM##x##BN##_##LAYOUT)
JK_CONV_IGEMM_DEFINE(128, 128, 1, nchw, false)
JK_CONV_IGEMM_DEFINE(128, 128, 1, nhwc, true)
JK_CONV_IGEMM_DEFINE(128, 64, 3, nchw, false)
JK_CONV_IGEMM_DEFINE(128, 64, 3, nhwc, true)
JK_CONV_IGEMM_DEFINE(64, 64, 4, nchw, false)
JK_CONV_IGEMM_DEFINE(64, 64, 4, nhwc, true)
#undef JK_CONV_IGEMM_DEFINE
