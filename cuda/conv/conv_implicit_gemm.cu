// Conv2d, variant 2: implicit GEMM. Per group g the convolution is the GEMM
//   out[m][k] = sum_j  im2col[m][j] · filt[j][k]
// with m = (n, p, q) an output pixel (M = N·P·Q rows), k an output channel of the group (K/groups
// columns), and j = (c, r, s) a filter tap (C/groups · R · S, the reduction). The im2col matrix is
// never materialised: each k-step gathers its BM x BK tile straight from the input into shared
// memory, zero-filling padding taps, so the kernel needs no workspace.
//
// Who computes what: a block computes a BM x BN tile of one group's output (grid: ceil(M/BM) x
// ceil(Kg/BN) x groups); each of its (BM/TM)·(BN/TN) threads holds TM x TN accumulators. A thread's
// TM rows are taken four at a time, the groups BM/(TM/4) apart, so that in NCHW a warp's lanes write
// runs of consecutive pixels (coalesced stores); its TN columns are consecutive channels (NHWC).
//
// The gather: the A tile is stored transposed (As[j][m], as in the register-blocked GEMM). The
// pixel part of each gathered element (image offset, first input row and column) is decoded once
// per thread before the loop; the tap part (channel offset, r·dilH, s·dilW, filter index) of the
// BK columns of the next step is decoded by BK threads into a small double-buffered table while
// the block loads the current step, so the inner gather is adds, two compares and a load. The
// tap order is layout-dependent (the "index map"): j = (c, r, s) for NCHW, so consecutive j are
// contiguous filter taps; j = (r, s, c) for NHWC, so consecutive j are consecutive input channels
// and the gather reads contiguous memory. In NCHW the gather's lanes walk pixels (contiguous along
// Q); in NHWC they walk j (contiguous along C).
//
// __launch_bounds__(threads, 2): with the thread count alone ptxas aimed at 64 registers for the
// 128-thread tile and spilled on sm_75..89; two blocks per SM is the occupancy actually wanted.
//
// Tile sizes: 128 x 64 x 8 with 8 x 4 per thread (256 threads, 32 accumulators, ~6 KiB of shared
// memory) suits the ResNet-style shapes (M in the 10^4..10^5, K = 64..512 per group); 64 x 32 x 8
// with 4 x 4 per thread (128 threads) is for small channel counts and small images, where the big
// tile would be mostly padding. Shared tiles are padded by 4 floats per row so that the NHWC
// gather's transposed stores do not all hit one bank while float4 alignment is kept.
#include "conv_common.cuh"

namespace jk {
namespace conv {

// An input row or column no tap can reach: marks padding pixels and columns past the reduction.
constexpr int kOutside = -(1 << 29);

template <int BM, int BN, int BK, int TM, int TN>
__device__ __forceinline__ void conv_implicit_gemm(JK_CONV_PARAMS) {
    constexpr int THREADS = (BM / TM) * (BN / TN);
    constexpr int A_LOADS = BM * BK / THREADS, B_LOADS = BN * BK / THREADS;
    constexpr int LDA = BM + 4, LDB = BN + 4;
    static_assert(THREADS % BM == 0 && THREADS % BK == 0 && BK <= THREADS, "gather maps need these");
    static_assert(A_LOADS * THREADS == BM * BK && B_LOADS * THREADS == BN * BK, "even loads");
    static_assert(TM % 4 == 0, "rows are taken four at a time");

    __shared__ float smem[BK * (LDA + LDB)];  // the two tiles; after the main loop, the epilogue's scratch
    float* As = smem;                          // As[j][m]
    float* Bs = smem + BK * LDA;               // Bs[j][k]
    // Tap table for the BK columns of a step, double-buffered: [buffer][column].
    __shared__ index_t tapOffset[2][BK];  // channel offset in the input: c·H·W (NCHW) or c (NHWC)
    __shared__ int tapRow[2][BK];         // r·dilationH, kOutside past the reduction
    __shared__ int tapCol[2][BK];         // s·dilationW
    __shared__ int tapFilter[2][BK];      // index inside one filter [C/groups, R, S], -1 past the reduction

    const int tid = threadIdx.x;
    const bool nhwc = layout == kLayoutNHWC;
    const int cPerGroup = C / groups, kPerGroup = K / groups;
    const int RS = R * S, reduction = cPerGroup * RS;
    const int g = blockIdx.z;
    const index_t PQ = (index_t)P * Q, M = (index_t)N * PQ, HW = (index_t)H * W;
    const index_t m0 = (index_t)blockIdx.x * BM;
    const int k0 = blockIdx.y * BN;

    // Decodes reduction index j into the tap table entry (buffer b, column col).
    auto decodeTap = [&](int b, int col, int j) {
        if (j >= reduction) {
            tapOffset[b][col] = 0; tapRow[b][col] = kOutside; tapCol[b][col] = 0; tapFilter[b][col] = -1;
            return;
        }
        int c, rs;
        if (nhwc) { rs = j / cPerGroup; c = j - rs * cPerGroup; }
        else      { c = j / RS; rs = j - c * RS; }
        const int r = rs / S, s = rs - r * S;
        tapOffset[b][col] = nhwc ? (index_t)c : (index_t)c * HW;
        tapRow[b][col] = r * dilationH;
        tapCol[b][col] = s * dilationW;
        tapFilter[b][col] = c * RS + rs;
    };

    // The pixel part of this thread's A_LOADS gathered elements: fixed for the whole loop.
    index_t aImage[A_LOADS];
    int aRow[A_LOADS], aCol[A_LOADS], aIh[A_LOADS], aIw[A_LOADS];
JK_UNROLL
    for (int l = 0; l < A_LOADS; ++l) {
        const int e = tid + l * THREADS;
        aRow[l] = nhwc ? e / BK : e % BM;
        aCol[l] = nhwc ? e % BK : e / BM;
        const index_t m = m0 + aRow[l];
        if (m < M) {
            const index_t n = m / PQ;
            const int pq = (int)(m - n * PQ);
            const int p = pq / Q, q = pq - p * Q;
            aIh[l] = p * strideH - padTop;
            aIw[l] = q * strideW - padLeft;
            aImage[l] = nhwc ? n * HW * C + (index_t)g * cPerGroup : (n * C + (index_t)g * cPerGroup) * HW;
        } else {
            aIh[l] = kOutside; aIw[l] = 0; aImage[l] = 0;
        }
    }
    // This thread's B_LOADS filter elements: (column j within the step, channel within the tile).
    index_t bFilter[B_LOADS];
    int bCol[B_LOADS], bK[B_LOADS];
JK_UNROLL
    for (int l = 0; l < B_LOADS; ++l) {
        const int e = tid + l * THREADS;
        bCol[l] = e % BK;
        bK[l] = e / BK;
        const int k = k0 + bK[l];
        bFilter[l] = k < kPerGroup ? ((index_t)g * kPerGroup + k) * reduction : -1;
    }

    // Threads: threadRow fastest, so a warp's lanes cover consecutive runs of pixels.
    const int threadRow = tid % (BM / TM), threadCol = tid / (BM / TM);
    float acc[TM][TN];
JK_UNROLL
    for (int i = 0; i < TM; ++i)
JK_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
    float regM[TM], regN[TN];

    if (tid < BK) decodeTap(0, tid, tid);
    __syncthreads();
    int buf = 0;
    for (int j0 = 0; j0 < reduction; j0 += BK, buf ^= 1) {
JK_UNROLL
        for (int l = 0; l < A_LOADS; ++l) {
            const int col = aCol[l];
            const int ih = aIh[l] + tapRow[buf][col], iw = aIw[l] + tapCol[buf][col];
            float v = 0.f;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                const index_t pixel = (index_t)ih * W + iw;
                v = input[aImage[l] + tapOffset[buf][col] + (nhwc ? pixel * C : pixel)];
            }
            As[col * LDA + aRow[l]] = v;
        }
JK_UNROLL
        for (int l = 0; l < B_LOADS; ++l) {
            const int f = tapFilter[buf][bCol[l]];
            Bs[bCol[l] * LDB + bK[l]] = (bFilter[l] >= 0 && f >= 0) ? filters[bFilter[l] + f] : 0.f;
        }
        if (tid < BK) decodeTap(buf ^ 1, tid, j0 + BK + tid);
        __syncthreads();
JK_UNROLL
        for (int kk = 0; kk < BK; ++kk) {
JK_UNROLL
            for (int i = 0; i < TM; ++i) regM[i] = As[kk * LDA + (i / 4) * (BM / (TM / 4)) + threadRow * 4 + (i % 4)];
JK_UNROLL
            for (int j = 0; j < TN; ++j) regN[j] = Bs[kk * LDB + threadCol * TN + j];
JK_UNROLL
            for (int i = 0; i < TM; ++i)
JK_UNROLL
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(regM[i], regN[j], acc[i][j]);
        }
        __syncthreads();
    }

    // Epilogue (epilogue.cuh): linear part in place, the activation, then the stores.
JK_UNROLL
    for (int i = 0; i < TM; ++i) {
        const index_t m = m0 + (i / 4) * (BM / (TM / 4)) + threadRow * 4 + (i % 4);
        if (m >= M) continue;
        const index_t n = m / PQ, pq = m - n * PQ;
JK_UNROLL
        for (int j = 0; j < TN; ++j) {
            const int kc = k0 + threadCol * TN + j;
            if (kc >= kPerGroup) continue;
            const int k = g * kPerGroup + kc;
            const index_t at = nhwc ? m * K + k : (n * K + k) * PQ + pq;
            acc[i][j] = epilogue_linear_at(ep, acc[i][j], output, k, at);
        }
    }
    if (epilogue_has_activation(ep)) {
        epilogue_activate_staged<TM * TN, BK * (LDA + LDB) / THREADS, THREADS>(ep, &acc[0][0], smem, tid, [&](int e) -> index_t {
            const int kc = k0 + threadCol * TN + e % TN;
            return kc < kPerGroup ? (index_t)g * kPerGroup + kc : -1;
        });
    }
JK_UNROLL
    for (int i = 0; i < TM; ++i) {
        const index_t m = m0 + (i / 4) * (BM / (TM / 4)) + threadRow * 4 + (i % 4);
        if (m >= M) continue;
        const index_t n = m / PQ, pq = m - n * PQ;
JK_UNROLL
        for (int j = 0; j < TN; ++j) {
            const int kc = k0 + threadCol * TN + j;
            if (kc >= kPerGroup) continue;
            const int k = g * kPerGroup + kc;
            output[nhwc ? m * K + k : (n * K + k) * PQ + pq] = acc[i][j];
        }
    }
}

}  // namespace conv
}  // namespace jk

// Entry points: jk_conv_implicit_gemm_<BM>x<BN>, one per tile configuration (the activation is in ep).
#define JK_CONV_IG_DEFINE(BM, BN, BK, TM, TN)                                                               \
    extern "C" __global__ void __launch_bounds__((BM / TM) * (BN / TN), 2) jk_conv_implicit_gemm_##BM##x##BN( \
        JK_CONV_PARAMS) {                                                                                   \
        jk::conv::conv_implicit_gemm<BM, BN, BK, TM, TN>(JK_CONV_ARGS);                                     \
    }                                                                                                       \
    JK_REGISTER_KERNEL(jk_conv_implicit_gemm_##BM##x##BN)
JK_CONV_IG_DEFINE(128, 64, 8, 8, 4)
JK_CONV_IG_DEFINE(64, 32, 8, 4, 4)
