// SGEMM, variant 5: the warp-tiled kernel with a pipelined tile loader.
//
// What changes against gemm_warp_tiled.cu (variant 4), whose main loop the static SASS reading of
// issue 9 found bound by memory latency:
//   1. Every global load of a k-tile is issued before any shared store. The loader is split into
//      "global -> registers" (LDG.128 only) and "registers -> shared" (STS only), so a thread has
//      all its float4 loads of a tile in flight together instead of one round trip per float4.
//   2. Register-staged double buffering: tile t+1 is loaded into registers at the top of iteration
//      t, tile t is computed from shared buffer t % 2 meanwhile, then the registers go to buffer
//      (t+1) % 2. One barrier per tile: iteration t+1 writes buffer t % 2 only after every thread
//      passed the barrier that ends iteration t, i.e. finished reading it.
//   3. Conflict-free transposed stores. op(A) is stored k-major (As[k][m]) so that the fragment
//      reads are LDS.128 along m; from a k-contiguous A (the common, non-transposed case) each
//      float4 holds 4 k of one row and is written as 4 scalar stores, which in variant 4 put 4 lanes
//      on each bank. Here element (k, x) of a tile lives at k*LD + (x ^ (((k >> 2) & 3) << 3)): the
//      four k-groups of a warp's store land on four different 8-bank groups (conflict-free), and
//      since the XOR only touches bits 3-4 of x, every 4-aligned group of 4 stays contiguous and
//      aligned, so the fragment reads stay LDS.128. B (Bs[k][n]) gets the same swizzle (its
//      transposed case, A·Bᵀ as in a Linear layer, has the same conflict).
//   4. A block-uniform interior fast path: a block whose tile lies inside M x N with aligned
//      operands loads every full k-tile with unchecked LDG.128 in a main loop of its own; edge
//      blocks and the last, partial k-tile take a second copy of the loop with the bounds-checked
//      loader (scalar at tails and for misaligned operands), which stores zeros outside the matrices.
//
// Who computes what (as in variant 4): a block computes BM x BN of C; warp w owns a WM x WN piece,
// walked as WMITER x WNITER sub-tiles of WSUBM x WSUBN; in each a lane computes TM x TN outputs.
// The swizzle needs each lane's fragment offsets to differ from a per-thread base only in bits the
// XOR does not touch: WSUBM and WSUBN multiples of 32, TM <= 8, TN = 8 (4 lanes across a sub-tile).
//
// Configurations (tile shapes are template parameters; one instantiation each, every activation),
// all 128 threads (4 warps) with BK = 16, so a thread issues G_A + G_B LDG.128 per k-tile together:
//   128x128: warps of 64x64, 8x16 per lane (128 accumulators): 6 LDS.128 per 128 FMAs per k; about
//            255 registers without spills, 2 blocks (8 warps) per SM, 32 KiB of shared memory (two
//            buffers); 4 + 4 loads per k-tile. The configuration for large problems.
//   128x64:  warps of 64x32, 8x8 per lane (64 accumulators), ~168 registers (capped for 3 blocks per
//            SM: __launch_bounds__(128, 3)); 4 + 2.
//   64x64:   warps of 32x32, 4x8 per lane (32 accumulators), ~127 registers, 4 blocks per SM; 2 + 2:
//            4x the blocks of 128x128 for mid-sized problems (its FMA : LDS ratio caps it lower).
// (A 256-thread 128x128 tile with 64 accumulators per lane needs ~165 registers: capped at 128 for
// two blocks per SM it spills, uncapped it fits one block, no better than the 128-thread one.)
// Grid: one block per BM x BN tile; M tiles in x and N tiles in y, or swapped when N has more
// tiles (block_tile in gemm_common.cuh): the long dimension gets grid x (2^31 - 1 blocks). Grid z
// is the split-K factor (1: no split).
#include "gemm_common.cuh"

namespace jk {
namespace gemm_pipelined_kernels {

// The shared-tile swizzle: column x of row k of a k-major tile.
JK_HD int swizzle(int k, int x) { return x ^ (((k >> 2) & 3) << 3); }

// One operand's share of a k-tile for one thread: G float4 groups, loaded from global memory into
// registers and then stored to shared memory. Logical matrix X is rows x K (op(A): rows = M;
// op(B): rows = N); element (r, k) is X[r * ld + k] when kContiguous, else X[k * ld + r]. Group g of
// thread tid is element e = tid + g * THREADS of the tile's ROWS x BK / 4 groups: along k
// (kContiguous: row e / (BK/4), k 4·(e % (BK/4))) or along r (k e / (ROWS/4), row 4·(e % (ROWS/4))),
// so that a warp reads whole 64-byte row pieces or 512 consecutive bytes.
template <int ROWS, int BK, int THREADS>
struct TileStage {
    static constexpr int G = ROWS * BK / 4 / THREADS;
    static_assert(G >= 1 && G * THREADS * 4 == ROWS * BK, "each thread loads the same number of float4 groups");
    static_assert(ROWS % 32 == 0 && BK % 4 == 0, "the swizzle permutes 8-float blocks inside 32-float rows");

    float4 v[G];
    const float* p[G];  // each group's first element in the next tile the fast path loads
    index_t step;       // elements between consecutive k-tiles: BK or BK * ld
    int so[G];          // each group's shared offset (swizzled), without the buffer base

    // The group's row and k offset inside the tile.
    static __device__ __forceinline__ int row_of(int e, bool kContiguous) { return kContiguous ? e / (BK / 4) : (e % (ROWS / 4)) * 4; }
    static __device__ __forceinline__ int k_of(int e, bool kContiguous) { return kContiguous ? (e % (BK / 4)) * 4 : e / (ROWS / 4); }

    __device__ __forceinline__ void init(const float* X, int ld, bool kContiguous, int r0, int k0, int tid) {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            const int e = tid + g * THREADS;
            const int r = row_of(e, kContiguous), k = k_of(e, kContiguous);
            p[g] = kContiguous ? X + (index_t)(r0 + r) * ld + k0 + k : X + (index_t)(k0 + k) * ld + r0 + r;
            so[g] = k * ROWS + swizzle(k, r);
        }
        step = kContiguous ? (index_t)BK : (index_t)BK * ld;
    }

    // The next interior tile (tiles 0, 1, 2, ... in order): every group in bounds and aligned; all
    // G loads issued back to back.
    __device__ __forceinline__ void load_fast() {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            v[g] = __ldg(reinterpret_cast<const float4*>(p[g]));
            p[g] += step;
        }
    }

    // Any tile: bounds-checked, float4 where aligned and inside, zeros outside the matrix.
    __device__ __forceinline__ void load_checked(const float* X, int ld, bool kContiguous, bool vec, int rows, int K,
                                                 int r0, int k0, int tid) {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            const int e = tid + g * THREADS;
            v[g] = gemm::load_group_checked(X, ld, kContiguous, vec, rows, K, r0 + row_of(e, kContiguous), k0 + k_of(e, kContiguous));
        }
    }

    // Registers -> shared buffer S (k-major, row length ROWS, swizzled). Along k: the float4 is 4
    // k of one row, 4 scalar stores one row of S apart (the swizzle is the same for the 4 k of an
    // aligned group). Along r: one STS.128.
    __device__ __forceinline__ void store(float* S, bool kContiguous) const {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            float* s = S + so[g];
            if (kContiguous) {
                s[0] = v[g].x;
                s[ROWS] = v[g].y;
                s[2 * ROWS] = v[g].z;
                s[3 * ROWS] = v[g].w;
            } else {
                *reinterpret_cast<float4*>(s) = v[g];
            }
        }
    }
};

template <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM, int TN, int THREADS>
__device__ __forceinline__ void gemm_pipelined(JK_GEMM_PARAMS) {
    constexpr int WARP = 32;
    constexpr int WMITER = (WM * WN) / (WARP * TM * TN * WNITER);
    constexpr int WSUBM = WM / WMITER, WSUBN = WN / WNITER;
    constexpr int TILE = BK * (BM + BN);  // floats of one shared buffer
    static_assert((BM / WM) * (BN / WN) * WARP == THREADS, "one warp per warp tile");
    static_assert(WMITER * WARP * TM * TN * WNITER == WM * WN, "a warp tile splits evenly over its threads");
    static_assert((WSUBN / TN) * (WSUBM / TM) == WARP, "a sub-tile is one thread-tile per lane");
    static_assert(TN == 8 && TM % 4 == 0 && TM <= 8 && WSUBM % 32 == 0 && WSUBN % 32 == 0,
                  "fragment offsets must not touch the swizzled bits beyond the per-thread base");

    alignas(16) __shared__ float smem[2 * TILE];  // two buffers of [As | Bs]; then the epilogue's scratch
    const int tid = threadIdx.x;
    const int warpIdx = tid / WARP, lane = tid % WARP;
    const int warpRow = warpIdx / (BN / WN), warpCol = warpIdx % (BN / WN);
    const int threadRowInWarp = lane / (WSUBN / TN), threadColInWarp = lane % (WSUBN / TN);
    int m0, n0;
    gemm::block_tile<BM, BN>(M, N, m0, n0);
    // Split-K (gridDim.z > 1): block z takes the k-tiles [z·chunk, (z+1)·chunk), i.e. k in
    // [kBegin, kEnd), and writes its raw partial sums (the launch passes the identity epilogue) to
    // slice z of the workspace C (gridDim.z slices of M x ldc); jk_gemm_splitk_reduce adds the slices
    // in the fixed order z = 0, 1, ... and applies the real epilogue: no atomics, the same bits on
    // every run. k stays absolute (the loaders start at kBegin and check against kEnd), so that A,
    // B, C and K stay kernel parameters and cost no registers in the main loop.
    int kBegin = 0, kEnd = K;
    if (gridDim.z > 1) {
        const int chunk = ceil_div(ceil_div(K, BK), (int)gridDim.z) * BK;
        kBegin = (int)min((index_t)K, (index_t)blockIdx.z * chunk);
        kEnd = (int)min((index_t)K, (index_t)kBegin + chunk);
    }
    const bool kContA = !transA, kContB = transB != 0;
    const bool vecA = gemm::vec4_ok(A, lda), vecB = gemm::vec4_ok(B, ldb);
    const bool interior = vecA && vecB && m0 + BM <= M && n0 + BN <= N;  // block-uniform

    TileStage<BM, BK, THREADS> sa;
    TileStage<BN, BK, THREADS> sb;
    sa.init(A, lda, kContA, m0, kBegin, tid);
    sb.init(B, ldb, kContB, n0, kBegin, tid);

    float acc[WMITER * TM][WNITER * TN];
JK_UNROLL
    for (int i = 0; i < WMITER * TM; ++i)
JK_UNROLL
        for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = 0.f;

    // Fragment bases for the four swizzle phases of k: the lane's offsets with bits 3-4 flipped.
    const int aOff = warpRow * WM + threadRowInWarp * TM;
    const int bOff = warpCol * WN + threadColInWarp * TN;
    int aBase[4], bBase[4];
JK_UNROLL
    for (int ph = 0; ph < 4; ++ph) {
        aBase[ph] = aOff ^ (ph << 3);
        bBase[ph] = bOff ^ (ph << 3);
    }

    auto compute = [&](const float* S) {
        const float* As = S;
        const float* Bs = S + BK * BM;
        float regM[WMITER * TM], regN[WNITER * TN];
JK_UNROLL
        for (int kk = 0; kk < BK; ++kk) {
            const int ph = (kk >> 2) & 3;
JK_UNROLL
            for (int ws = 0; ws < WMITER; ++ws)
JK_UNROLL
                for (int i = 0; i < TM; i += 4) {
                    const float4 t = *reinterpret_cast<const float4*>(As + kk * BM + aBase[ph] + ws * WSUBM + i);
                    regM[ws * TM + i] = t.x; regM[ws * TM + i + 1] = t.y;
                    regM[ws * TM + i + 2] = t.z; regM[ws * TM + i + 3] = t.w;
                }
JK_UNROLL
            for (int ws = 0; ws < WNITER; ++ws)
JK_UNROLL
                for (int j = 0; j < TN; j += 4) {
                    const float4 t = *reinterpret_cast<const float4*>(Bs + kk * BN + bBase[ph] + ws * WSUBN + j);
                    regN[ws * TN + j] = t.x; regN[ws * TN + j + 1] = t.y;
                    regN[ws * TN + j + 2] = t.z; regN[ws * TN + j + 3] = t.w;
                }
JK_UNROLL
            for (int i = 0; i < WMITER * TM; ++i)
JK_UNROLL
                for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = fmaf(regM[i], regN[j], acc[i][j]);
        }
    };
    auto store = [&](float* S) {
        sa.store(S, kContA);
        sb.store(S + BK * BM, kContB);
    };
    auto load_checked = [&](int t) {
        sa.load_checked(A, lda, kContA, vecA, M, kEnd, m0, kBegin + t * BK, tid);
        sb.load_checked(B, ldb, kContB, vecB, N, kEnd, n0, kBegin + t * BK, tid);
    };

    const int nt = ceil_div(kEnd - kBegin, BK), nFull = (kEnd - kBegin) / BK;
    gemm::pipelined_k_tiles<TILE>(smem, nt, nFull, interior, [&] { sa.load_fast(); sb.load_fast(); }, load_checked, store, compute);

    // Epilogue (gemm_common.cuh): linear part in place, the activation, then the stores. The last
    // iteration's barrier freed the shared buffers for the activation's scratch.
    if (gridDim.z > 1) C += (index_t)blockIdx.z * M * ldc;  // this split's slice of the workspace
    const bool vecC = gemm::vec4_ok(C, ldc);
JK_UNROLL
    for (int wm = 0; wm < WMITER; ++wm)
JK_UNROLL
        for (int i = 0; i < TM; ++i)
JK_UNROLL
            for (int wn = 0; wn < WNITER; ++wn)
                gemm::linear_row<TN>(C, ldc, M, N, m0 + aOff + wm * WSUBM + i, n0 + bOff + wn * WSUBN,
                                     &acc[wm * TM + i][wn * TN], ep, vecC);
    if (epilogue_has_activation(ep)) {
        epilogue_activate_staged<WMITER * TM * WNITER * TN, 2 * TILE / THREADS, THREADS>(
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
                gemm::store_row<TN>(C, ldc, M, N, m0 + aOff + wm * WSUBM + i, n0 + bOff + wn * WSUBN,
                                    &acc[wm * TM + i][wn * TN], vecC);
}

}  // namespace gemm_pipelined_kernels
}  // namespace jk

// Entry points: jk_gemm_pipelined_<BM>x<BN>, one per tile configuration.
#define JK_GEMM_PL_DEFINE(BM, BN, BK, WM, WN, WNITER, TM, TN, THREADS, MINB)                                   \
    extern "C" __global__ void __launch_bounds__(THREADS, MINB) jk_gemm_pipelined_##BM##x##BN(JK_GEMM_PARAMS) { \
        jk::gemm_pipelined_kernels::gemm_pipelined<BM, BN, BK, WM, WN, WNITER, TM, TN, THREADS>(JK_GEMM_ARGS);    \
    }                                                                                                          \
    JK_REGISTER_KERNEL(jk_gemm_pipelined_##BM##x##BN)
JK_GEMM_PL_DEFINE(128, 128, 16, 64, 64, 2, 8, 8, 128, 2)
JK_GEMM_PL_DEFINE(128, 64, 16, 64, 32, 1, 8, 8, 128, 3)
JK_GEMM_PL_DEFINE(64, 64, 16, 32, 32, 1, 4, 8, 128, 4)
