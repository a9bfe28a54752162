// SGEMM, variant 3: 2-D register blocking with float4 loads and the A tile transposed in shared
// memory (Boehm's kernels 5 and 6).
//
// A block computes a BM x BN tile of C; each of its (BM/TM)·(BN/TN) threads computes a TM x TN
// sub-tile held in registers. Per k-step of BK the block loads op(A)'s BM x BK tile and op(B)'s
// BK x BN tile into shared memory with float4 global reads (scalar at tails or when misaligned),
// storing A transposed (As[k][m]) so that the TM values a thread needs for one k are contiguous.
// For each k the thread then loads TM values of A and TN of B into registers and does TM·TN FMAs:
// (TM + TN) shared loads for TM·TN FMAs instead of 2 loads per FMA in the tiled kernel.
//
// Tile sizes: 128 x 128 x 8 with 8 x 8 per thread is Boehm's configuration: 256 threads, 64
// accumulators per thread (about 120 registers, no spills, 2 blocks per SM), 8 KiB of shared
// memory, and each global element reused 128 times from shared memory. 64 x 64 x 16 with 4 x 4 per
// thread (256 threads) gives 4x more blocks for mid-sized problems that would leave SMs idle.
// Grid: (ceil(M / BM), ceil(N / BN)), block ((BM/TM)·(BN/TN)).
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

template <int BM, int BN, int BK, int TM, int TN>
__device__ __forceinline__ void gemm_register_blocked(JK_GEMM_PARAMS) {
    constexpr int THREADS = (BM / TM) * (BN / TN);
    __shared__ float smem[BK * (BM + BN)];  // the two tiles; after the main loop, the epilogue's scratch
    float* As = smem;                        // As[k][m]: op(A) transposed
    float* Bs = smem + BK * BM;              // Bs[k][n]
    const int tid = threadIdx.x;
    const int threadRow = tid / (BN / TN), threadCol = tid % (BN / TN);
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const bool vecA = vec4_ok(A, lda), vecB = vec4_ok(B, ldb);

    float acc[TM][TN];
JK_UNROLL
    for (int i = 0; i < TM; ++i)
JK_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
    float regM[TM], regN[TN];

    for (int k0 = 0; k0 < K; k0 += BK) {
        load_tile_kmajor<BM, BK, THREADS, BM>(A, lda, !transA, vecA, M, K, m0, k0, As, tid);
        load_tile_kmajor<BN, BK, THREADS, BN>(B, ldb, transB != 0, vecB, N, K, n0, k0, Bs, tid);
        __syncthreads();
JK_UNROLL
        for (int kk = 0; kk < BK; ++kk) {
JK_UNROLL
            for (int i = 0; i < TM; ++i) regM[i] = As[kk * BM + threadRow * TM + i];
JK_UNROLL
            for (int j = 0; j < TN; ++j) regN[j] = Bs[kk * BN + threadCol * TN + j];
JK_UNROLL
            for (int i = 0; i < TM; ++i)
JK_UNROLL
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(regM[i], regN[j], acc[i][j]);
        }
        __syncthreads();
    }

    // Epilogue (gemm_common.cuh): linear part in place, the activation, then the stores.
    const bool vecC = vec4_ok(C, ldc);
    const int m1 = m0 + threadRow * TM, n1 = n0 + threadCol * TN;
JK_UNROLL
    for (int i = 0; i < TM; ++i) linear_row<TN>(C, ldc, M, N, m1 + i, n1, acc[i], ep, vecC);
    if (epilogue_has_activation(ep)) {
        epilogue_activate_staged<TM * TN, BK * (BM + BN) / THREADS, THREADS>(ep, &acc[0][0], smem, tid, [&](int e) -> index_t {
            const int n = n1 + e % TN;
            return n < N ? n : -1;
        });
    }
JK_UNROLL
    for (int i = 0; i < TM; ++i) store_row<TN>(C, ldc, M, N, m1 + i, n1, acc[i], vecC);
}

}  // namespace gemm
}  // namespace jk

// Entry points: jk_gemm_register_blocked_<BM>x<BN>, one per tile configuration (the activation is in ep).
#define JK_GEMM_RB_DEFINE(BM, BN, BK, TM, TN)                                                                 \
    extern "C" __global__ void __launch_bounds__((BM / TM) * (BN / TN)) jk_gemm_register_blocked_##BM##x##BN( \
        JK_GEMM_PARAMS) {                                                                                     \
        jk::gemm::gemm_register_blocked<BM, BN, BK, TM, TN>(JK_GEMM_ARGS);                                    \
    }                                                                                                         \
    JK_REGISTER_KERNEL(jk_gemm_register_blocked_##BM##x##BN)
JK_GEMM_RB_DEFINE(128, 128, 8, 8, 8)
JK_GEMM_RB_DEFINE(64, 64, 16, 4, 4)
