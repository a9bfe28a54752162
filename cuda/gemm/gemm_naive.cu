// SGEMM, variant 1: naive, the reference kernel.
//
// One thread computes one element C[m][n] with a plain loop over K. Blocks are 32 x 8 threads with
// threadIdx.x along n, so a warp reads 32 consecutive elements of a row of B and writes 32
// consecutive elements of C (coalesced); A(m, k) is the same for the whole warp (a broadcast).
// No shared memory, no tiling: every operand is read K times from global memory (through L1/L2),
// which is why this variant is slow and why it is the one the others are checked against.
// Grid: (ceil(M / 8), ceil(N / 32)): M, often the largest, in x (up to 2^31 - 1 blocks).
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

constexpr int kNaiveBlockX = 32;
constexpr int kNaiveBlockY = 8;

__device__ __forceinline__ void gemm_naive(JK_GEMM_PARAMS) {
    int n = blockIdx.y * kNaiveBlockX + threadIdx.x;
    int m = blockIdx.x * kNaiveBlockY + threadIdx.y;
    if (m >= M || n >= N) return;
    // Stride between consecutive k in A and B, and the offset of element (m, 0) / (0, n).
    index_t aStep = transA ? (index_t)lda : 1, aBase = transA ? (index_t)m : (index_t)m * lda;
    index_t bStep = transB ? 1 : (index_t)ldb, bBase = transB ? (index_t)n * ldb : (index_t)n;
    float acc = 0.f;
    for (int k = 0; k < K; ++k) acc = fmaf(A[aBase + k * aStep], B[bBase + k * bStep], acc);
    float* c = C + (index_t)m * ldc + n;
    *c = epilogue_at(ep, acc, c, m, n);
}

}  // namespace gemm
}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::gemm::kNaiveBlockX * jk::gemm::kNaiveBlockY)
    jk_gemm_naive(JK_GEMM_PARAMS) {
    jk::gemm::gemm_naive(JK_GEMM_ARGS);
}
JK_REGISTER_KERNEL(jk_gemm_naive)
