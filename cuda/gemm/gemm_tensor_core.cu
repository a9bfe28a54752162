// SGEMM on the tensor cores: nvcuda::wmma m16n16k8 TF32 fragments with FP32 accumulation, in two
// precisions (a template parameter; ISSUE16-CONTRACT.md section 2):
//   TF32      every element of op(A) and op(B) rounded to TF32 (__float_to_tf32, round to nearest,
//             ties away) as it is written to shared memory; one MMA per fragment pair.
//   3XTF32    x = big + small, big = tf32(x), small = tf32(x - big), split per fragment after the
//             shared-memory load; acc += a_small*b_big; acc += a_big*b_small; acc += a_big*b_big
//             (small terms first, as CUTLASS's 3xTF32): FP32-level accuracy from three MMAs (an
//             infinite input gives NaN, as CUTLASS's: see split_tf32).
// The epilogue (alpha, beta*C, bias, residual, activation: epilogue.cuh) is FP32 and per element.
//
// Who computes what: a block computes a BM x BN tile of C; warp w owns a WM x WN piece of it as
// (WM/16) x (WN/16) accumulator fragments of 16x16 (64x32 per warp: 4x2 accumulators, 6 fragment
// loads per 8 MMAs per k-step of 8). A thread owns no fixed outputs: the fragments' element mapping
// is the hardware's (unspecified), so the code only applies element-wise operations to frag.x[].
//
// Shared memory, unswizzled (load_matrix_sync reads a plain strided tile) and padded: both operands
// are stored "rows x k", k contiguous, row stride LD = BK + 4 = 20 floats: As[m][k] read as a
// row-major matrix_a, Bs[n][k] as a col-major matrix_b. LD is a multiple of 4 (wmma's ldm rule) and
// every fragment base (row multiple of 16, k multiple of 8) is 32-byte aligned; LD = 20 is an odd
// multiple of 4, so the 8 rows x 4 k that one fragment register spans across a warp hit 32
// different banks. Fragments are read with jk::wmma_load_shared (wmma.cuh): the same load with the
// shared state space, LDS instead of the generic LD.E (and its 64-bit address arithmetic) that nvcc
// makes of <mma.h>'s load_matrix_sync even for a __shared__ array. The loader's lane order keeps the stores conflict-free too: for a k-contiguous
// operand (A, and B when transB: the Linear layer's A·Bᵀ) each lane holds a float4 along k, 8
// consecutive lanes take 8 rows (one STS.128 per lane, 8 different bank quads); for a
// row-contiguous one (A when transA, B otherwise) a lane holds 4 rows at one k and the lanes run
// along k first, so each of its 4 scalar stores puts 16 k of 2 row groups (16 banks apart) on 32 banks.
//
// Pipeline (gemm_pipelined.cu's): every global load of a k-tile is issued before any shared store;
// register-staged double buffering, one barrier per k-tile; a block-uniform interior path
// (aligned operands, a full BM x BN tile) loads full k-tiles with unchecked LDG.128, two tiles per
// trip so that both buffers' offsets are constants; edge blocks and the last partial k-tile use the
// bounds-checked loader (scalar at tails and for misaligned operands, zeros outside the matrices).
// Split-K over grid z as the pipelined kernels (Java's grain of 16 = BK).
//
// Epilogue: the main loop's shared memory is free after its last barrier; in WM/16 rounds each warp
// stores one row of its accumulator fragments (16 x WN) with store_matrix_sync into its own
// scratch (row stride WN + 8: conflict-free 64-bit fragment stores), then its lanes walk those
// elements along n (coalesced global stores) in a loop kept rolled (JK_NO_UNROLL: one copy of the
// runtime activation switch per kernel), bounds-checked.
//
// Configurations (tile shapes are template parameters; one instantiation per precision and shape):
//   128x128: 256 threads (8 warps as 2 x 4 of 64x32), 40 KiB of shared memory (two stages of
//            256 x 20 floats); the configuration for large problems. Static (ptxas, sm_90): tf32
//            128 registers, 2 blocks per SM; 3xtf32 ~160 registers, 1 block.
//   128x64:  128 threads (4 warps, 2 x 2 of 64x32), 30 KiB; tf32 ~160 registers (3 blocks per
//            SM), 3xtf32 ~175 (2 blocks).
//   64x64:   128 threads (4 warps, 2 x 2 of 32x32, 2x2 accumulators), 20 KiB: 4x the blocks of
//            128x128 for mid-sized problems; tf32 ~115 registers, 3xtf32 ~125 (4 blocks each).
// BK = 16 (two k-steps per tile): 128x128 with BK = 32 would need 72 KiB (more than the static 48).
//
// sm_75 has no TF32 tensor cores (<mma.h> lacks precision::tf32 there): the kernels exist in every
// SASS image, but their body is __trap() below sm_80; Java never launches them there.
#include "gemm_common.cuh"
#include "jkernels/wmma.cuh"

#if JK_WMMA_TF32
namespace jk {
namespace gemm_tensor_core_kernels {

namespace wmma = nvcuda::wmma;

enum class Precision { TF32, X3TF32 };

// One operand's share of a k-tile for one thread: G float4 groups, global -> registers -> shared.
// Logical matrix X is rows x K (op(A): rows = M; op(B): rows = N); element (r, k) is X[r * ld + k]
// when kContiguous, else X[k * ld + r]. The shared tile is S[r * LD + k].
template <int ROWS, int BK, int THREADS, int LD>
struct TileStage {
    static constexpr int G = ROWS * BK / 4 / THREADS;
    static_assert(G >= 1 && G * THREADS * 4 == ROWS * BK, "each thread loads the same number of float4 groups");
    static_assert(ROWS % 8 == 0 && BK % 4 == 0, "lane order: 8 rows per float4 column");

    float4 v[G];
    const float* p[G];  // each group's first element in the next tile the fast path loads
    index_t step;       // elements between consecutive k-tiles: BK or BK * ld
    int so[G];          // each group's shared offset, without the buffer base

    // Group e's row and k inside the tile. Along k: 8 consecutive groups are 8 rows of one float4
    // column, then the next column; along r: BK consecutive groups are BK k of one 4-row group.
    static __device__ __forceinline__ int row_of(int e, bool kContiguous) {
        return kContiguous ? (e % 8) + 8 * (e / (8 * (BK / 4))) : 4 * (e / BK);
    }
    static __device__ __forceinline__ int k_of(int e, bool kContiguous) {
        return kContiguous ? 4 * ((e / 8) % (BK / 4)) : e % BK;
    }

    __device__ __forceinline__ void init(const float* X, int ld, bool kContiguous, int r0, int k0, int tid) {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            const int e = tid + g * THREADS;
            const int r = row_of(e, kContiguous), k = k_of(e, kContiguous);
            p[g] = kContiguous ? X + (index_t)(r0 + r) * ld + k0 + k : X + (index_t)(k0 + k) * ld + r0 + r;
            so[g] = r * LD + k;
        }
        step = kContiguous ? (index_t)BK : (index_t)BK * ld;
    }

    // The next interior tile: every group in bounds and aligned; all G loads back to back.
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

    // Registers -> shared buffer S, rounded to TF32 first when CVT. Along k: one STS.128; along r:
    // four scalar stores one row apart.
    template <bool CVT>
    __device__ __forceinline__ void store(float* S, bool kContiguous) const {
JK_UNROLL
        for (int g = 0; g < G; ++g) {
            float4 t = v[g];
            if (CVT) {
                t.x = wmma::__float_to_tf32(t.x);
                t.y = wmma::__float_to_tf32(t.y);
                t.z = wmma::__float_to_tf32(t.z);
                t.w = wmma::__float_to_tf32(t.w);
            }
            float* s = S + so[g];
            if (kContiguous) {
                *reinterpret_cast<float4*>(s) = t;
            } else {
                s[0] = t.x;
                s[LD] = t.y;
                s[2 * LD] = t.z;
                s[3 * LD] = t.w;
            }
        }
    }
};

// 3xTF32's split of a fragment, element-wise: big = tf32(x), small = tf32(x - big) (x - big is exact
// in FP32). As in CUTLASS's 3xTF32, an infinite input (or one that rounds up to Inf) gives NaN where
// FP32 gives Inf: small = Inf - Inf is NaN, and zeroing it would not help, since big * (the other
// operand's small part, 0 for any value exact in TF32) is Inf * 0 (docs/precision.md). NaN stays NaN.
template <class Frag>
__device__ __forceinline__ void split_tf32(const Frag& x, Frag& big, Frag& small) {
JK_UNROLL
    for (int t = 0; t < x.num_elements; ++t) {
        const float v = x.x[t];  // x may be big
        const float b = wmma::__float_to_tf32(v);
        big.x[t] = b;
        small.x[t] = wmma::__float_to_tf32(v - b);
    }
}

template <Precision P, int BM, int BN, int WM, int WN, int THREADS>
__device__ __forceinline__ void gemm_tensor_core(JK_GEMM_PARAMS) {
    constexpr int BK = 16, LD = BK + 4;
    constexpr int WARP = 32, WARPS = THREADS / WARP;
    constexpr int WMI = WM / 16, WNI = WN / 16;  // accumulator fragments per warp
    constexpr int STAGE = (BM + BN) * LD;        // floats of one shared buffer
    constexpr int LDC = WN + 8;                  // the epilogue scratch's row stride
    static_assert((BM / WM) * (BN / WN) == WARPS, "one warp per warp tile");
    static_assert(WM % 16 == 0 && WN % 16 == 0 && BK % 8 == 0, "whole m16n16k8 fragments");
    static_assert(LD % 4 == 0 && LDC % 4 == 0, "wmma's ldm is a multiple of 4 floats");
    static_assert((16 * LD) % 8 == 0 && (BM * LD) % 8 == 0 && (16 * LDC) % 8 == 0, "32-byte aligned fragment bases");
    static_assert(WARPS * 16 * LDC <= 2 * STAGE, "the epilogue scratch fits in the freed tiles");
    static_assert(2 * STAGE * 4 <= 48 * 1024, "static shared memory only");

    __shared__ __align__(32) float smem[2 * STAGE];  // two buffers of [As | Bs]; then the epilogue's scratch
    const int tid = threadIdx.x;
    const int warpIdx = tid / WARP, lane = tid % WARP;
    const int warpRow = warpIdx / (BN / WN), warpCol = warpIdx % (BN / WN);
    int m0, n0;
    gemm::block_tile<BM, BN>(M, N, m0, n0);
    // Split-K (gridDim.z > 1): block z takes k in [kBegin, kEnd) and writes raw partial sums (the
    // launch passes the identity epilogue) to slice z of the workspace; jk_gemm_splitk_reduce adds
    // the slices in order. k stays absolute (the loaders start at kBegin and check against kEnd).
    int kBegin = 0, kEnd = K;
    if (gridDim.z > 1) {
        const int chunk = ceil_div(ceil_div(K, BK), (int)gridDim.z) * BK;
        kBegin = (int)min((index_t)K, (index_t)blockIdx.z * chunk);
        kEnd = (int)min((index_t)K, (index_t)kBegin + chunk);
    }
    const bool kContA = !transA, kContB = transB != 0;
    const bool vecA = gemm::vec4_ok(A, lda), vecB = gemm::vec4_ok(B, ldb);
    const bool interior = vecA && vecB && m0 + BM <= M && n0 + BN <= N;  // block-uniform

    TileStage<BM, BK, THREADS, LD> sa;
    TileStage<BN, BK, THREADS, LD> sb;
    sa.init(A, lda, kContA, m0, kBegin, tid);
    sb.init(B, ldb, kContB, n0, kBegin, tid);

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[WMI][WNI];
JK_UNROLL
    for (int i = 0; i < WMI; ++i)
JK_UNROLL
        for (int j = 0; j < WNI; ++j) wmma::fill_fragment(acc[i][j], 0.f);

    const int aOff = warpRow * WM * LD, bOff = BM * LD + warpCol * WN * LD;
    auto compute = [&](const float* S) {
JK_UNROLL
        for (int ks = 0; ks < BK; ks += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[WMI];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b[WNI];
JK_UNROLL
            for (int i = 0; i < WMI; ++i) wmma_load_shared(a[i], S + aOff + i * 16 * LD + ks, LD);
JK_UNROLL
            for (int j = 0; j < WNI; ++j) wmma_load_shared(b[j], S + bOff + j * 16 * LD + ks, LD);
            if (P == Precision::TF32) {
JK_UNROLL
                for (int i = 0; i < WMI; ++i)
JK_UNROLL
                    for (int j = 0; j < WNI; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
            } else {
                // b split once per k-step; a split one fragment at a time (fewer live registers),
                // and each of its three passes touches WNI accumulators (independent MMAs).
                wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> bSmall[WNI];
JK_UNROLL
                for (int j = 0; j < WNI; ++j) split_tf32(b[j], b[j], bSmall[j]);
JK_UNROLL
                for (int i = 0; i < WMI; ++i) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> aSmall;
                    split_tf32(a[i], a[i], aSmall);
JK_UNROLL
                    for (int j = 0; j < WNI; ++j) wmma::mma_sync(acc[i][j], aSmall, b[j], acc[i][j]);
JK_UNROLL
                    for (int j = 0; j < WNI; ++j) wmma::mma_sync(acc[i][j], a[i], bSmall[j], acc[i][j]);
JK_UNROLL
                    for (int j = 0; j < WNI; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
                }
            }
        }
    };
    constexpr bool CVT = P == Precision::TF32;
    auto store = [&](float* S) {
        sa.template store<CVT>(S, kContA);
        sb.template store<CVT>(S + BM * LD, kContB);
    };
    auto load_checked = [&](int t) {
        sa.load_checked(A, lda, kContA, vecA, M, kEnd, m0, kBegin + t * BK, tid);
        sb.load_checked(B, ldb, kContB, vecB, N, kEnd, n0, kBegin + t * BK, tid);
    };

    const int nt = ceil_div(kEnd - kBegin, BK), nFull = (kEnd - kBegin) / BK;
    gemm::pipelined_k_tiles<STAGE>(smem, nt, nFull, interior, [&] { sa.load_fast(); sb.load_fast(); }, load_checked, store, compute);

    // Epilogue: the last barrier freed the tiles. Round i: the warp's fragment row i (16 x WN) goes
    // to its scratch, then each lane applies the epilogue to every 32nd element, along n.
    if (gridDim.z > 1) C += (index_t)blockIdx.z * M * ldc;  // this split's slice of the workspace
    float* scratch = smem + warpIdx * 16 * LDC;
    const int mW = m0 + warpRow * WM, nW = n0 + warpCol * WN;
JK_NO_UNROLL
    for (int i = 0; i < WMI; ++i) {
JK_UNROLL
        for (int ii = 0; ii < WMI; ++ii)
            if (ii == i)
JK_UNROLL
                for (int j = 0; j < WNI; ++j)
                    wmma::store_matrix_sync(scratch + j * 16, acc[ii][j], LDC, wmma::mem_row_major);
        __syncthreads();  // every lane's share of the fragments is in the scratch (a warp barrier would do)
JK_NO_UNROLL
        for (int e = lane; e < 16 * WN; e += WARP) {
            const int r = e / WN, c = e % WN;
            const int m = mW + i * 16 + r, n = nW + c;
            if (m < M && n < N) {
                float* out = C + (index_t)m * ldc + n;
                *out = gemm::epilogue_at(ep, scratch[r * LDC + c], out, m, n);
            }
        }
        __syncthreads();  // the scratch is reused by the next round
    }
}

}  // namespace gemm_tensor_core_kernels
}  // namespace jk
#endif  // JK_WMMA_TF32

// Entry points: jk_gemm_<tf32|3xtf32>_<BM>x<BN>, one per precision and tile configuration.
#if JK_WMMA_TF32
#define JK_GEMM_TC_BODY(P, BM, BN, WM, WN, THREADS) \
    jk::gemm_tensor_core_kernels::gemm_tensor_core<jk::gemm_tensor_core_kernels::Precision::P, BM, BN, WM, WN, THREADS>(JK_GEMM_ARGS);
#else
#define JK_GEMM_TC_BODY(P, BM, BN, WM, WN, THREADS) __trap();
#endif
#define JK_GEMM_TC_DEFINE(NAME, P, BM, BN, WM, WN, THREADS, MINB)                                          \
    extern "C" __global__ void __launch_bounds__(THREADS, MINB) jk_gemm_##NAME##_##BM##x##BN(JK_GEMM_PARAMS) { \
        JK_GEMM_TC_BODY(P, BM, BN, WM, WN, THREADS)                                                        \
    }                                                                                                      \
    JK_REGISTER_KERNEL(jk_gemm_##NAME##_##BM##x##BN)
// tf32 128x128: 2 blocks per SM (128 registers) where ptxas fits it without spilling (sm_90: the H200);
// sm_80..89 spill at 128, so there 1 block (about 150 registers).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define JK_GEMM_TC_TF32_128_MINB 2
#else
#define JK_GEMM_TC_TF32_128_MINB 1
#endif
JK_GEMM_TC_DEFINE(tf32, TF32, 128, 128, 64, 32, 256, JK_GEMM_TC_TF32_128_MINB)
JK_GEMM_TC_DEFINE(tf32, TF32, 128, 64, 64, 32, 128, 3)
JK_GEMM_TC_DEFINE(tf32, TF32, 64, 64, 32, 32, 128, 4)
JK_GEMM_TC_DEFINE(3xtf32, X3TF32, 128, 128, 64, 32, 256, 1)
JK_GEMM_TC_DEFINE(3xtf32, X3TF32, 128, 64, 64, 32, 128, 2)
JK_GEMM_TC_DEFINE(3xtf32, X3TF32, 64, 64, 32, 32, 128, 4)
