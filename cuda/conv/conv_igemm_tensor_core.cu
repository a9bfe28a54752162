// Conv2d, variant 4: the implicit GEMM of conv_igemm_pipelined.cu on tensor cores (nvcuda::wmma,
// m16n16k8 TF32 fragments, FP32 accumulators), sm_80 and newer. Per group g the convolution is
// out[m][k] = sum_j im2col[m][j] · Bg[j][k] (m = (n, p, q) an output pixel, k an output channel of
// the group, j a filter tap), nothing materialised. Same parameters, grid, block order and
// pre-transformed filters Bg[g][j][kgPad] as jk_conv_igemm_*: Java launches either with one argument list.
//
// Who computes what: a block computes a BM x BN tile of one group's output (block b: channel tile
// b % channelTiles, then pixel tile, then group, as the SIMT kernel). Its warps form a WARPS_M x
// WARPS_N grid; warp w owns the WM x WN sub-tile at (w % WARPS_M, w / WARPS_M), held as FM x FN
// accumulator fragments of 16 x 16 (WM = 16·FM, WN = 16·FN). Which lane holds which element of a
// fragment is CUDA's business (unspecified): the kernel only loads, multiplies and stores fragments.
// The loader is the SIMT kernel's (conv_igemm_loader.cuh: row table, division-free mixed-radix
// gather, the tap-mask test, every global load of k-tile t + 1 in registers while tile t is
// multiplied, one barrier per k-tile), with BK = 16: two k-steps of 8 per tile.
//
// Precision (template parameter): TF32 rounds each gathered input and filter element once, on its
// way into shared memory (__float_to_tf32, round to nearest, ties away), so every warp that reads it
// reads TF32 values: one conversion per element instead of one per reading warp. FP32_3XTF32 keeps
// FP32 in shared memory and splits each fragment element after its load into big = tf32(x) and
// small = tf32(x - big), then acc += a_small·b_big, acc += a_big·b_small, acc += a_big·b_big (small
// terms first, as CUTLASS's 3xTF32): FP32-level accuracy, the small·small term (2^-22 relative)
// dropped. NaN stays NaN; an infinite input (or one that rounds to Inf) gives NaN, as in CUTLASS's
// 3xTF32 (x - big = Inf - Inf; zeroing that small part would not help: Inf · b_small is NaN as soon
// as b_small = 0, i.e. for every filter value that is exact in TF32).
//
// Shared tiles (unswizzled, padded, as load_matrix_sync reads them; fragments are loaded with
// jk::wmma_load_shared, wmma.cuh: the .shared form of the same load, since nvcc 13 makes generic
// 64-bit LD.E of load_matrix_sync even on a __shared__ array): As[j][m] is the A operand in
// column-major order (ldm LDA = BM + 8), Bs[j][k] the B operand in row-major order (ldm LDB = BN + 8).
// Every fragment base is 32-byte aligned (m and k offsets are multiples of 16 floats, the k-step
// offset is 8 rows, each buffer a multiple of 32 bytes). The pad of 8 floats: the TF32 fragment loads
// read 8 consecutive m (A) or k (B) in each of 4 rows j, and a pitch ≡ 8 (mod 32 banks) puts those 4
// rows on disjoint banks (a multiple of 32 would be a 4-way conflict). The gather's stores stay
// conflict-free for 128-thread blocks (4 rows j of 8 m each) and NHWC (32 consecutive m); 256-thread
// NCHW stores two runs of 16 m 8 banks apart (2-way on half of them): the fragment loads are 4x more
// numerous, so they get the conflict-free pitch.
//
// Epilogue through shared memory, in the freed tiles (after the last k-tile's barrier): each warp
// stores one strip of its fragments with store_matrix_sync into its own region (NCHW: a fragment
// column, WM x 16 column-major, so that lanes walk consecutive pixels m, which are consecutive output
// addresses; NHWC: a fragment row, 16 x WN row-major, lanes along consecutive channels), then every
// lane applies the runtime epilogue (epilogue.cuh: alpha, beta·C, bias per output channel, residual,
// activation) to strip elements lane, lane + 32, ... in a loop kept rolled (JK_NO_UNROLL: one copy
// of the activation switch per kernel) and stores them to the NCHW or NHWC output. The strip loop is
// rolled too; the fragment for strip s is picked by an unrolled compare, so fragments stay in registers.
//
// Tile sizes (template parameters, one instantiation per precision, tile and layout):
//   128 x 128, 256 threads = 8 warps of 64 x 32 (4 x 2 fragments): per k-step a warp loads 4 A and
//     2 B fragments for 8 MMAs; 37 888 B of static shared memory (two 16-deep buffers of each operand
//     plus the row table); for wide layers.
//   128 x 64, 128 threads = 4 warps of 64 x 32: the same warp tile for layers with 64 channels per group
//     or fewer (half the B tile would be padding at 128); 29 696 B.
//   64 x 64, 128 threads = 4 warps of 32 x 32 (2 x 2 fragments): small images and narrow layers, more
//     blocks for the SMs; 19 968 B.
// A warp tile of 64 x 32 is 8 accumulator fragments (64 registers on sm_80+, where each 16 x 16 FP32
// fragment is 8 registers per lane), with 24 (TF32) or 48 (3xTF32: big and small) for the A and B
// fragments and the loader's staging registers. The static figures are in
// benchmarks/results/2026-12-01-static/conv-tensor-core.md.
//
// sm_75 has no TF32 MMA: the kernels exist in its SASS image (one module for every target) but their
// body is __trap() there (JK_WMMA_TF32, jkernels/wmma.cuh); Java launches them only on compute capability 8.0+.
#include "conv_igemm_loader.cuh"
#include "jkernels/wmma.cuh"

namespace jk {
namespace conv_igemm_tensor_core_kernels {

enum class Precision { TF32, FP32_3XTF32 };

#if JK_WMMA_TF32
namespace wmma = nvcuda::wmma;

struct ToTf32 {
    __device__ __forceinline__ float operator()(float x) const { return wmma::__float_to_tf32(x); }
};

// big = tf32(x), small = tf32(x - big) (x - big is exact in FP32).
template <class Frag>
__device__ __forceinline__ void split_tf32(Frag& big, Frag& small) {
JK_UNROLL
    for (int i = 0; i < big.num_elements; ++i) {
        const float x = big.x[i];
        const float b = wmma::__float_to_tf32(x);
        big.x[i] = b;
        small.x[i] = wmma::__float_to_tf32(x - b);
    }
}

template <int BM, int BN, int WARPS_M, int WARPS_N, bool NHWC, Precision PREC>
__device__ __forceinline__ void conv_igemm_tc(const float* __restrict__ input, const float* __restrict__ filtersB,
                                              float* __restrict__ output, int N, int C, int H, int W, int K, int R,
                                              int S, int P, int Q, int padTop, int padLeft, int strideH, int strideW,
                                              int dilH, int dilW, int groups, int channelTiles, int pixelTiles,
                                              const Epilogue& ep) {
    constexpr int BK = 16;
    constexpr int THREADS = 32 * WARPS_M * WARPS_N;
    constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;
    constexpr int FM = WM / 16, FN = WN / 16;
    static_assert(WM % 16 == 0 && WN % 16 == 0, "warp tiles are whole 16 x 16 fragments");
    using Loader = conv_igemm::Loader<BM, BN, BK, THREADS, NHWC>;
    constexpr int LDA = BM + 8, LDB = BN + 8;                  // see the top: ≡ 8 (mod 32) banks
    constexpr int A_TILE = BK * LDA, B_TILE = BK * LDB;        // floats per buffer
    // Epilogue strips, one per warp, in the freed tiles: NCHW WM x 16 column-major, NHWC 16 x WN
    // row-major; the pitch + 4 keeps the 32-byte fragment alignment and spreads the columns' banks.
    constexpr int LDC = NHWC ? WN + 4 : WM + 4;
    constexpr int STRIP = 16 * LDC;
    constexpr int SMEM = 2 * A_TILE + 2 * B_TILE;
    static_assert(WARPS_M * WARPS_N * STRIP <= SMEM, "the epilogue strips fit in the freed tiles");
    static_assert((A_TILE * 4) % 32 == 0 && (B_TILE * 4) % 32 == 0 && (STRIP * 4) % 32 == 0,
                  "every buffer and strip starts 32-byte aligned");

    alignas(32) __shared__ float smem[SMEM];   // As[2][BK][LDA], then Bs[2][BK][LDB]; then the strips
    alignas(16) __shared__ int4 rowTable[BM];  // {first-tap address lo, hi, tap mask, 0}
    __shared__ index_t outBase[BM];            // output offset of (m, channel 0 of the group), -1 past M
    float* const As = smem;
    float* const Bs = smem + 2 * A_TILE;

    const int tid = threadIdx.x;
    const int warp = tid / 32, lane = tid % 32;
    const int wm0 = (warp % WARPS_M) * WM, wn0 = (warp / WARPS_M) * WN;
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
    auto store = [&](int buf) {
        float(*as)[LDA] = reinterpret_cast<float(*)[LDA]>(As + buf * A_TILE);
        float(*bs)[LDB] = reinterpret_cast<float(*)[LDB]>(Bs + buf * B_TILE);
        if (PREC == Precision::TF32) ld.store(as, bs, aReg, bReg, ToTf32());
        else ld.store(as, bs, aReg, bReg, conv_igemm::NoConversion());
    };

    typedef wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> FragA;
    typedef wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> FragB;
    typedef wmma::fragment<wmma::accumulator, 16, 16, 8, float> FragC;
    FragC acc[FM][FN];
JK_UNROLL
    for (int i = 0; i < FM; ++i)
JK_UNROLL
        for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.f);

    __syncthreads();  // the row table
    const int tiles = (reduction + BK - 1) / BK;
    ld.gather(0, aReg, bReg);
    store(0);
    ld.advance();
    __syncthreads();
    int cur = 0;
    for (int t = 0; t < tiles; ++t) {
        const bool more = t + 1 < tiles;
        if (more) ld.gather((t + 1) * BK, aReg, bReg);
        const float* at = As + cur * A_TILE + wm0;
        const float* bt = Bs + cur * B_TILE + wn0;
JK_UNROLL
        for (int kk = 0; kk < BK; kk += 8) {
            FragA a[FM];
            FragB b[FN];
JK_UNROLL
            for (int i = 0; i < FM; ++i) wmma_load_shared(a[i], at + kk * LDA + 16 * i, LDA);
JK_UNROLL
            for (int j = 0; j < FN; ++j) wmma_load_shared(b[j], bt + kk * LDB + 16 * j, LDB);
            if (PREC == Precision::TF32) {
JK_UNROLL
                for (int i = 0; i < FM; ++i)
JK_UNROLL
                    for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
            } else {
                FragA aSmall[FM];
                FragB bSmall[FN];
JK_UNROLL
                for (int i = 0; i < FM; ++i) split_tf32(a[i], aSmall[i]);
JK_UNROLL
                for (int j = 0; j < FN; ++j) split_tf32(b[j], bSmall[j]);
JK_UNROLL
                for (int i = 0; i < FM; ++i)
JK_UNROLL
                    for (int j = 0; j < FN; ++j) {
                        wmma::mma_sync(acc[i][j], aSmall[i], b[j], acc[i][j]);
                        wmma::mma_sync(acc[i][j], a[i], bSmall[j], acc[i][j]);
                        wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
                    }
            }
        }
        if (more) {
            store(cur ^ 1);
            ld.advance();
        }
        __syncthreads();
        cur ^= 1;
    }

    // Epilogue (the last barrier above ends every read of the tiles). A warp's strips: NCHW one per
    // fragment column j (rows wm0..wm0+WM-1, channels wn0 + 16·j..), NHWC one per fragment row i.
    float* const strip = smem + warp * STRIP;
    constexpr int STRIPS = NHWC ? FM : FN;
    constexpr int SR = NHWC ? 16 : WM, SC = NHWC ? WN : 16;  // strip rows (pixels) x columns (channels)
JK_NO_UNROLL
    for (int s = 0; s < STRIPS; ++s) {
JK_UNROLL
        for (int i = 0; i < FM; ++i)
JK_UNROLL
            for (int j = 0; j < FN; ++j) {
                if ((NHWC ? i : j) != s) continue;
                if (NHWC) wmma::store_matrix_sync(strip + 16 * j, acc[i][j], LDC, wmma::mem_row_major);
                else wmma::store_matrix_sync(strip + 16 * i, acc[i][j], LDC, wmma::mem_col_major);
            }
        __syncthreads();  // the strip was written by other lanes (a block barrier: the emulator has no warp barrier)
        const int rowBase = wm0 + (NHWC ? 16 * s : 0), colBase = k0 + wn0 + (NHWC ? 0 : 16 * s);
JK_NO_UNROLL
        for (int e = lane; e < SR * SC; e += 32) {
            const int r = NHWC ? e / SC : e % SR, c = NHWC ? e % SC : e / SR;
            const index_t ob = outBase[rowBase + r];
            const int kc = colBase + c;
            if (ob < 0 || kc >= kPerGroup) continue;
            const index_t o = NHWC ? ob + kc : ob + (index_t)kc * PQ;
            const float v = NHWC ? strip[r * LDC + c] : strip[c * LDC + r];
            output[o] = conv_fast::apply_epilogue(ep, v, g * kPerGroup + kc, o, output);
        }
        __syncthreads();  // every lane is done with the strip before the next one overwrites it
    }
}
#endif  // JK_WMMA_TF32

}  // namespace conv_igemm_tensor_core_kernels
}  // namespace jk

// Entry points: jk_conv_igemm_<tf32|3xtf32>_<BM>x<BN>_<nchw|nhwc>(input, filtersB, output, N, C, H, W,
//   K, R, S, P, Q, padTop, padLeft, strideH, strideW, dilationH, dilationW, groups, channelTiles,
//   pixelTiles, epilogue): the parameters of jk_conv_igemm_<BM>x<BN>_<layout>.
#if JK_WMMA_TF32
#define JK_CONV_IGEMM_TC_BODY(BM, BN, WARPS_M, WARPS_N, NHWC, PREC)                                             \
    jk::conv_igemm_tensor_core_kernels::conv_igemm_tc<BM, BN, WARPS_M, WARPS_N, NHWC,                         \
                                                      jk::conv_igemm_tensor_core_kernels::Precision::PREC>(   \
        input, filtersB, output, N, C, H, W, K, R, S, P, Q, padTop, padLeft, strideH, strideW, dilationH,     \
        dilationW, groups, channelTiles, pixelTiles, ep);
#else
#define JK_CONV_IGEMM_TC_BODY(BM, BN, WARPS_M, WARPS_N, NHWC, PREC) __trap();
#endif
#define JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, BM, BN, WARPS_M, WARPS_N, MINB, LAYOUT, NHWC)                     \
    extern "C" __global__ void __launch_bounds__(32 * WARPS_M * WARPS_N, MINB)                                 \
        jk_conv_igemm_##NAME##_##BM##x##BN##_##LAYOUT(                                                        \
            const float* __restrict__ input, const float* __restrict__ filtersB, float* __restrict__ output,  \
            int N, int C, int H, int W, int K, int R, int S, int P, int Q, int padTop, int padLeft,           \
            int strideH, int strideW, int dilationH, int dilationW, int groups, int channelTiles,             \
            int pixelTiles, jk::Epilogue ep) {                                                                \
        JK_CONV_IGEMM_TC_BODY(BM, BN, WARPS_M, WARPS_N, NHWC, PREC)                                           \
    }                                                                                                        \
    JK_REGISTER_KERNEL(jk_conv_igemm_##NAME##_##BM##x##BN##_##LAYOUT)
// Minimum blocks per SM (the register cap): TF32 128x64 and 64x64 fit 3 and 4 blocks without spilling
// (168 and 128 registers); 128x128 would spill at 2 blocks (128 registers), and so would every
// 3xTF32 tile below its natural count (it holds big and small fragments), so those get 1.
#define JK_CONV_IGEMM_TC_CONFIGS(NAME, PREC, MINB_128x128, MINB_128x64, MINB_64x64)     \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 128, 128, 2, 4, MINB_128x128, nchw, false)    \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 128, 128, 2, 4, MINB_128x128, nhwc, true)     \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 128, 64, 2, 2, MINB_128x64, nchw, false)      \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 128, 64, 2, 2, MINB_128x64, nhwc, true)       \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 64, 64, 2, 2, MINB_64x64, nchw, false)        \
    JK_CONV_IGEMM_TC_DEFINE(NAME, PREC, 64, 64, 2, 2, MINB_64x64, nhwc, true)
JK_CONV_IGEMM_TC_CONFIGS(tf32, TF32, 1, 3, 4)
JK_CONV_IGEMM_TC_CONFIGS(3xtf32, FP32_3XTF32, 1, 1, 1)
#undef JK_CONV_IGEMM_TC_CONFIGS
#undef JK_CONV_IGEMM_TC_DEFINE
#undef JK_CONV_IGEMM_TC_BODY
