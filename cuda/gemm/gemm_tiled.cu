// SGEMM, variant 2: shared-memory tiles.
//
// A block of T x T threads (T = 16: 256 threads) computes a T x T tile of C, one element per
// thread. Each step loads a T x T tile of op(A) and one of op(B) into shared memory (one element
// per thread, coalesced: for the transposed operands the thread-to-element map is flipped so that
// threadIdx.x still walks contiguous memory), synchronises, and accumulates T products from shared
// memory. Every global element is read once per tile instead of once per output: K/T fewer reads.
// T = 16 keeps 256 threads per block (good occupancy on every target, and cheap in the emulator);
// the +1 column of padding keeps the flipped (transposed) stores free of bank conflicts.
// Still one FMA per two shared loads, which is why the register-blocked variant exists.
// Grid: (ceil(M / T), ceil(N / T)), block (T, T).
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

template <int T>
__device__ __forceinline__ void gemm_tiled(JK_GEMM_PARAMS) {
    __shared__ float As[T][T + 1];  // As[m][k]
    __shared__ float Bs[T][T + 1];  // Bs[k][n]
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int m0 = blockIdx.x * T, n0 = blockIdx.y * T;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += T) {
        if (!transA) {  // A is [M, K]: tx walks k
            int m = m0 + ty, k = k0 + tx;
            As[ty][tx] = (m < M && k < K) ? A[(index_t)m * lda + k] : 0.f;
        } else {        // A is [K, M]: tx walks m
            int m = m0 + tx, k = k0 + ty;
            As[tx][ty] = (m < M && k < K) ? A[(index_t)k * lda + m] : 0.f;
        }
        if (!transB) {  // B is [K, N]: tx walks n
            int k = k0 + ty, n = n0 + tx;
            Bs[ty][tx] = (k < K && n < N) ? B[(index_t)k * ldb + n] : 0.f;
        } else {        // B is [N, K]: tx walks k
            int n = n0 + ty, k = k0 + tx;
            Bs[tx][ty] = (k < K && n < N) ? B[(index_t)n * ldb + k] : 0.f;
        }
        __syncthreads();
JK_UNROLL
        for (int kk = 0; kk < T; ++kk) acc = fmaf(As[ty][kk], Bs[kk][tx], acc);
        __syncthreads();
    }
    int m = m0 + ty, n = n0 + tx;
    if (m < M && n < N) {
        float* c = C + (index_t)m * ldc + n;
        *c = epilogue_at(ep, acc, c, m, n);
    }
}

constexpr int kTiledT = 16;

}  // namespace gemm
}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::gemm::kTiledT * jk::gemm::kTiledT) jk_gemm_tiled(JK_GEMM_PARAMS) {
    jk::gemm::gemm_tiled<jk::gemm::kTiledT>(JK_GEMM_ARGS);
}
JK_REGISTER_KERNEL(jk_gemm_tiled)
