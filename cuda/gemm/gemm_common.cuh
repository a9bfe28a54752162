// What every GEMM variant shares: the argument list, the epilogue, and the global -> shared tile
// loader with its float4 fast path. Row-major data throughout: op(A) is M x K, op(B) is K x N,
// C is M x N, element (i, j) of a row-major matrix X with leading dimension ld is X[i * ld + j].
//
// Every variant's entry point takes the same arguments in the same order, so the Java side builds
// one argument list and only the grid and block change with the variant:
//   (int M, int N, int K, const float* A, int lda, int transA, const float* B, int ldb, int transB,
//    float* C, int ldc, jk::Epilogue ep)
// ep (epilogue.cuh, by value) carries alpha, beta, bias, residual and the activation: one
// instantiation per tile configuration serves every activation.
#pragma once

#include "jkernels/common.cuh"
#include "jkernels/epilogue.cuh"

namespace jk {
namespace gemm {

#define JK_GEMM_PARAMS                                                                                \
    int M, int N, int K, const float* __restrict__ A, int lda, int transA, const float* __restrict__ B, \
        int ldb, int transB, float* __restrict__ C, int ldc, jk::Epilogue ep
#define JK_GEMM_ARGS M, N, K, A, lda, transA, B, ldb, transB, C, ldc, ep

// DESIGN's fixed order for one element (m, n) of C: alpha*acc (+ beta*C) + bias[n] + residual[m][n]
// -> activation -> store. C is read only when beta != 0 (it may hold NaN otherwise).
__device__ __forceinline__ float epilogue_at(const Epilogue& ep, float acc, const float* __restrict__ c, int m, int n) {
    const float old = ep.beta != 0.f ? *c : 0.f;
    return epilogue_apply(ep, acc, old, n, (index_t)m * ep.residualLd + n);
}

// The first row and column of this block's BM x BN tile of C. The launch puts the dimension with
// more tiles in grid x (up to 2^31 - 1 blocks; y and z hold 65 535): M tiles in x and N tiles in y,
// or the other way round. The kernel tells which from gridDim.x: when both dimensions have the same
// number of tiles the two readings cover the same tiles, so the test is never ambiguous.
template <int BM, int BN>
__device__ __forceinline__ void block_tile(int M, int N, int& m0, int& n0) {
    const bool mInX = (int)gridDim.x == ceil_div(M, BM);
    m0 = (int)(mInX ? blockIdx.x : blockIdx.y) * BM;
    n0 = (int)(mInX ? blockIdx.y : blockIdx.x) * BN;
}

// One float4 group of the logical rows x K matrix X (element (r, k) at X[r * ld + k] when kContiguous,
// else X[k * ld + r]): the four elements from (r, k) along the contiguous dimension, bounds-checked,
// one float4 load where vec (alignment) holds and all four are inside, zeros outside the matrix. The
// edge path of the pipelined loaders (gemm_pipelined.cu, gemm_tensor_core.cu).
__device__ __forceinline__ float4 load_group_checked(const float* __restrict__ X, int ld, bool kContiguous, bool vec,
                                                     int rows, int K, int r, int k) {
    float4 t = make_float4(0.f, 0.f, 0.f, 0.f);
    if (kContiguous) {
        if (r < rows) {
            const float* q = X + (index_t)r * ld + k;
            if (vec && k + 3 < K) {
                t = __ldg(reinterpret_cast<const float4*>(q));
            } else {
                if (k < K) t.x = q[0];
                if (k + 1 < K) t.y = q[1];
                if (k + 2 < K) t.z = q[2];
                if (k + 3 < K) t.w = q[3];
            }
        }
    } else if (k < K) {
        const float* q = X + (index_t)k * ld + r;
        if (vec && r + 3 < rows) {
            t = __ldg(reinterpret_cast<const float4*>(q));
        } else {
            if (r < rows) t.x = q[0];
            if (r + 1 < rows) t.y = q[1];
            if (r + 2 < rows) t.z = q[2];
            if (r + 3 < rows) t.w = q[3];
        }
    }
    return t;
}

// The k-tile schedule of the pipelined GEMMs (gemm_pipelined.cu, gemm_tensor_core.cu): register-staged
// double buffering with one barrier per tile over nt tiles, of which the first nFull are full. Tile 0
// goes to buffer 0; then tile t is computed from buffer t % 2 (STAGE floats apart) while tile t + 1 is
// loaded into registers, which are stored to the other buffer after the compute. Interior blocks take
// their full tiles with the unchecked load_fast, two tiles per trip so that both buffers' offsets are
// constants (every fragment read a base register plus an immediate); edge blocks and the last tiles
// take load_checked(t). The last barrier leaves the shared memory free for the epilogue.
template <int STAGE, typename LoadFast, typename LoadChecked, typename Store, typename Compute>
__device__ __forceinline__ void pipelined_k_tiles(float* smem, int nt, int nFull, bool interior, LoadFast load_fast,
                                                  LoadChecked load_checked, Store store, Compute compute) {
    if (nt > 0) {
        if (interior && nFull > 0) load_fast();
        else load_checked(0);
        store(smem);
        __syncthreads();
    }
    int t = 0;
    if (interior) {
        for (; t + 2 < nFull; t += 2) {
            load_fast();
            compute(smem);
            store(smem + STAGE);
            __syncthreads();
            load_fast();
            compute(smem + STAGE);
            store(smem);
            __syncthreads();
        }
    }
    for (; t < nt; ++t) {
        const bool more = t + 1 < nt;
        if (more) load_checked(t + 1);
        compute(smem + (t & 1) * STAGE);
        if (more) store(smem + ((t + 1) & 1) * STAGE);
        __syncthreads();
    }
}

// float4 access needs a 16-byte aligned base and a leading dimension that keeps every row aligned.
JK_HD bool vec4_ok(const void* p, int ld) {
    return ((reinterpret_cast<uintptr_t>(p) & 15u) == 0) && ((ld & 3) == 0);
}

// The epilogue of a thread's W consecutive results v[0..W) of row m, columns n..n+W, in three
// steps (the tiled kernels call them in this order for all their rows):
//   linear_row   v = alpha*v (+ beta*C) + bias[n] + residual[m][n], in place, for the elements
//                inside C (C read as float4 when the segment is inside C and aligned);
//   epilogue_activate_staged (epilogue.cuh), when ep has an activation;
//   store_row    float4 stores when the whole segment is inside C and aligned (n is a multiple of 4
//                when W is), scalar otherwise.
template <int W>
__device__ __forceinline__ void linear_row(const float* __restrict__ C, int ldc, int M, int N, int m, int n, float* v,
                                           const Epilogue& ep, bool vecC) {
    if (m >= M) return;
    const float* row = C + (index_t)m * ldc;
    const index_t resRow = (index_t)m * ep.residualLd;
    if (W % 4 == 0 && vecC && n + W <= N) {
JK_UNROLL
        for (int j = 0; j < W; j += 4) {
            float4 old = make_float4(0.f, 0.f, 0.f, 0.f);
            if (ep.beta != 0.f) old = *reinterpret_cast<const float4*>(row + n + j);
            v[j + 0] = epilogue_linear(ep, v[j + 0], old.x, n + j + 0, resRow + n + j + 0);
            v[j + 1] = epilogue_linear(ep, v[j + 1], old.y, n + j + 1, resRow + n + j + 1);
            v[j + 2] = epilogue_linear(ep, v[j + 2], old.z, n + j + 2, resRow + n + j + 2);
            v[j + 3] = epilogue_linear(ep, v[j + 3], old.w, n + j + 3, resRow + n + j + 3);
        }
    } else {
JK_UNROLL
        for (int j = 0; j < W; ++j) {
            const int col = n + j;
            if (col < N) v[j] = epilogue_linear(ep, v[j], ep.beta != 0.f ? row[col] : 0.f, col, resRow + col);
        }
    }
}

template <int W>
__device__ __forceinline__ void store_row(float* __restrict__ C, int ldc, int M, int N, int m, int n, const float* v,
                                          bool vecC) {
    if (m >= M) return;
    float* row = C + (index_t)m * ldc;
    if (W % 4 == 0 && vecC && n + W <= N) {
JK_UNROLL
        for (int j = 0; j < W; j += 4) *reinterpret_cast<float4*>(row + n + j) = make_float4(v[j], v[j + 1], v[j + 2], v[j + 3]);
    } else {
JK_UNROLL
        for (int j = 0; j < W; ++j)
            if (n + j < N) row[n + j] = v[j];
    }
}

// Loads the ROWS x BK tile of a logical matrix X (rows x K) starting at (r0, k0) into shared memory
// laid out k-major: S[k * LDS + r]. Element (r, k) lives at X[r * ld + k] when kContiguous, else at
// X[k * ld + r]. So op(A) (r = m, kContiguous = !transA) lands transposed, as the register-blocked
// kernels want it (consecutive m for one k), and op(B) (r = n, kContiguous = transB) lands as
// Bs[k][n]. Global reads are float4 along the contiguous dimension when vec (alignment) holds and
// the four elements are in bounds; a scalar, bounds-checked path handles tails and misalignment.
// Out-of-range elements are stored as zeros so the inner loop never tests bounds.
template <int ROWS, int BK, int THREADS, int LDS>
__device__ __forceinline__ void load_tile_kmajor(const float* __restrict__ X, int ld, bool kContiguous,
                                                 bool vec, int rows, int K, int r0, int k0,
                                                 float* __restrict__ S, int tid) {
    static_assert(BK % 4 == 0 && ROWS % 4 == 0, "tiles are loaded as float4 groups");
    constexpr int GROUPS = ROWS * BK / 4;
    static_assert(GROUPS % THREADS == 0, "each thread loads the same number of float4 groups");
    if (kContiguous) {
        constexpr int KG = BK / 4;  // float4 groups per row
JK_UNROLL
        for (int i = 0; i < GROUPS / THREADS; ++i) {
            int e = tid + i * THREADS;
            int r = e / KG, kk = (e % KG) * 4;
            int gr = r0 + r, gk = k0 + kk;
            float v0 = 0.f, v1 = 0.f, v2 = 0.f, v3 = 0.f;
            if (gr < rows) {
                const float* p = X + (index_t)gr * ld + gk;
                if (vec && gk + 3 < K) {
                    float4 t = *reinterpret_cast<const float4*>(p);
                    v0 = t.x; v1 = t.y; v2 = t.z; v3 = t.w;
                } else {
                    if (gk < K) v0 = p[0];
                    if (gk + 1 < K) v1 = p[1];
                    if (gk + 2 < K) v2 = p[2];
                    if (gk + 3 < K) v3 = p[3];
                }
            }
            S[(kk + 0) * LDS + r] = v0;
            S[(kk + 1) * LDS + r] = v1;
            S[(kk + 2) * LDS + r] = v2;
            S[(kk + 3) * LDS + r] = v3;
        }
    } else {
        constexpr int RG = ROWS / 4;  // float4 groups per k
JK_UNROLL
        for (int i = 0; i < GROUPS / THREADS; ++i) {
            int e = tid + i * THREADS;
            int kk = e / RG, r = (e % RG) * 4;
            int gk = k0 + kk, gr = r0 + r;
            float v0 = 0.f, v1 = 0.f, v2 = 0.f, v3 = 0.f;
            if (gk < K) {
                const float* p = X + (index_t)gk * ld + gr;
                if (vec && gr + 3 < rows) {
                    float4 t = *reinterpret_cast<const float4*>(p);
                    v0 = t.x; v1 = t.y; v2 = t.z; v3 = t.w;
                } else {
                    if (gr < rows) v0 = p[0];
                    if (gr + 1 < rows) v1 = p[1];
                    if (gr + 2 < rows) v2 = p[2];
                    if (gr + 3 < rows) v3 = p[3];
                }
            }
            float* s = S + kk * LDS + r;
            s[0] = v0; s[1] = v1; s[2] = v2; s[3] = v3;
        }
    }
}

}  // namespace gemm
}  // namespace jk
