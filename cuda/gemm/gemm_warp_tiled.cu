// SGEMM, variant 4: warp tiling on top of register blocking (Boehm's kernel 10).
//
// Three levels of tiles. A block computes BM x BN of C and stages op(A) (transposed, As[k][m]) and
// op(B) (Bs[k][n]) tiles of depth BK in shared memory, loaded with float4 global reads. Each warp
// owns a WM x WN piece of the block tile, walked as WMITER x WNITER sub-tiles of WSUBM x WSUBN; in
// each sub-tile a thread computes TM x TN outputs. Per k a thread loads WMITER·TM values of A and
// WNITER·TN of B into registers and does WMITER·TM · WNITER·TN FMAs (8·16 = 128 FMAs per 24 loads
// in the default configuration). Keeping a warp's shared-memory reads inside its own WM x WN
// region makes them broadcasts within a few rows and columns (few bank conflicts), and the
// warp-level tile maps onto the register file the way the hardware schedules it.
//
// Tile sizes: 128 x 128 x 16, 64 x 64 warp tiles, 8 x 4 per thread, 128 threads (4 warps) is the
// configuration Boehm tuned to 93.7 % of cuBLAS: 128 accumulators per thread (~170 registers, no
// spills), 16 KiB of shared memory, each global element reused 128 times. 128 x 64 and 64 x 64
// (same per-thread work, fewer warps' worth of tile) give 2x and 4x more blocks for sizes where
// 128 x 128 would leave part of the SMs idle.
// Grid: (ceil(M / BM), ceil(N / BN)), block (THREADS).
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

template <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM, int TN, int THREADS>
__device__ __forceinline__ void gemm_warp_tiled(JK_GEMM_PARAMS) {
    constexpr int WARP = 32;
    constexpr int WMITER = (WM * WN) / (WARP * TM * TN * WNITER);
    constexpr int WSUBM = WM / WMITER, WSUBN = WN / WNITER;
    static_assert((BM / WM) * (BN / WN) * WARP == THREADS, "one warp per warp tile");
    static_assert(WMITER * WARP * TM * TN * WNITER == WM * WN, "a warp tile splits evenly over its threads");
    static_assert((WSUBN / TN) * (WSUBM / TM) == WARP, "a sub-tile is one thread-tile per lane");

    __shared__ float smem[BK * (BM + BN)];  // the two tiles; after the main loop, the epilogue's scratch
    float* As = smem;                        // As[k][m]: op(A) transposed
    float* Bs = smem + BK * BM;              // Bs[k][n]
    const int tid = threadIdx.x;
    const int warpIdx = tid / WARP, lane = tid % WARP;
    const int warpRow = warpIdx / (BN / WN), warpCol = warpIdx % (BN / WN);
    const int threadRowInWarp = lane / (WSUBN / TN), threadColInWarp = lane % (WSUBN / TN);
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const bool vecA = vec4_ok(A, lda), vecB = vec4_ok(B, ldb);

    float acc[WMITER * TM][WNITER * TN];
JK_UNROLL
    for (int i = 0; i < WMITER * TM; ++i)
JK_UNROLL
        for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = 0.f;
    float regM[WMITER * TM], regN[WNITER * TN];

    const int aOff = warpRow * WM + threadRowInWarp * TM;
    const int bOff = warpCol * WN + threadColInWarp * TN;
    for (int k0 = 0; k0 < K; k0 += BK) {
        load_tile_kmajor<BM, BK, THREADS, BM>(A, lda, !transA, vecA, M, K, m0, k0, As, tid);
        load_tile_kmajor<BN, BK, THREADS, BN>(B, ldb, transB != 0, vecB, N, K, n0, k0, Bs, tid);
        __syncthreads();
JK_UNROLL
        for (int kk = 0; kk < BK; ++kk) {
JK_UNROLL
            for (int ws = 0; ws < WMITER; ++ws)
JK_UNROLL
                for (int i = 0; i < TM; ++i) regM[ws * TM + i] = As[kk * BM + aOff + ws * WSUBM + i];
JK_UNROLL
            for (int ws = 0; ws < WNITER; ++ws)
JK_UNROLL
                for (int j = 0; j < TN; ++j) regN[ws * TN + j] = Bs[kk * BN + bOff + ws * WSUBN + j];
JK_UNROLL
            for (int i = 0; i < WMITER * TM; ++i)
JK_UNROLL
                for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = fmaf(regM[i], regN[j], acc[i][j]);
        }
        __syncthreads();
    }

    // Epilogue (gemm_common.cuh): linear part in place, the activation, then the stores.
    const bool vecC = vec4_ok(C, ldc);
JK_UNROLL
    for (int wm = 0; wm < WMITER; ++wm)
JK_UNROLL
        for (int i = 0; i < TM; ++i)
JK_UNROLL
            for (int wn = 0; wn < WNITER; ++wn)
                linear_row<TN>(C, ldc, M, N, m0 + aOff + wm * WSUBM + i, n0 + bOff + wn * WSUBN, &acc[wm * TM + i][wn * TN],
                               ep, vecC);
    if (epilogue_has_activation(ep)) {
        // acc flattened: e = row * (WNITER * TN) + wn * TN + j.
        epilogue_activate_staged<WMITER * TM * WNITER * TN, BK * (BM + BN) / THREADS, THREADS>(
            ep, &acc[0][0], smem, tid, [&](int e) -> index_t {
                const int n = n0 + bOff + ((e / TN) % WNITER) * WSUBN + e % TN;
                return n < N ? n : -1;
            });
    }
JK_UNROLL
    for (int wm = 0; wm < WMITER; ++wm)
JK_UNROLL
        for (int i = 0; i < TM; ++i)
JK_UNROLL
            for (int wn = 0; wn < WNITER; ++wn)
                store_row<TN>(C, ldc, M, N, m0 + aOff + wm * WSUBM + i, n0 + bOff + wn * WSUBN, &acc[wm * TM + i][wn * TN],
                              vecC);
}

}  // namespace gemm
}  // namespace jk

// Entry points: jk_gemm_warp_tiled_<BM>x<BN>, one per tile configuration (the activation is in ep).
// The arguments after THREADS are __launch_bounds__'s. 128x64 asks for 4 blocks per SM (128 registers): the
// runtime epilogue's extra registers had taken it to 130, one block per SM fewer than before.
#define JK_GEMM_WT_DEFINE(BM, BN, BK, WM, WN, WNITER, TM, TN, THREADS, ...)                                    \
    extern "C" __global__ void __launch_bounds__(__VA_ARGS__) jk_gemm_warp_tiled_##BM##x##BN(JK_GEMM_PARAMS) { \
        jk::gemm::gemm_warp_tiled<BM, BN, BK, WM, WN, WNITER, TM, TN, THREADS>(JK_GEMM_ARGS);            \
    }                                                                                                   \
    JK_REGISTER_KERNEL(jk_gemm_warp_tiled_##BM##x##BN)
JK_GEMM_WT_DEFINE(128, 128, 16, 64, 64, 4, 8, 4, 128, 128)
JK_GEMM_WT_DEFINE(128, 64, 16, 64, 32, 2, 8, 4, 128, 128, 4)
JK_GEMM_WT_DEFINE(64, 64, 16, 32, 32, 2, 4, 4, 128, 128)
