// The implicit-GEMM conv loader, shared by the SIMT kernel (conv_igemm_pipelined.cu) and the
// tensor-core kernel (conv_igemm_tensor_core.cu): the row table, the division-free gather (each
// thread's reduction column as a mixed-radix tap counter, the tap-mask test) and the register
// staging of the A (gathered input) and B (pre-transformed filter) k-tiles. How it works is told
// at the top of conv_igemm_pipelined.cu; the two kernels differ only in what they do with the
// shared tiles (8 x 8 FMA register blocks or wmma fragments) and in the shared-memory layout,
// which store() takes as its template parameters (row pitches LDA, LDB).
//
// Shared-memory tiles as store() writes them: As[j][m] (the k-tile's reduction index j = 0..BK-1
// by output pixel m = 0..BM-1, pitch LDA) and Bs[j][k] (j by output channel k, pitch LDB).
#pragma once

#include "conv_fast_common.cuh"

namespace jk {
namespace conv_igemm {

// A mixed-radix counter (d0 fastest, base b0; d1 base b1; d2 unbounded) advanced by a constant step.
struct Radix {
    int d0, d1, d2;
    JK_HD void add(int s0, int s1, int s2, int b0, int b1) {
        d0 += s0;
        int carry = d0 >= b0 ? 1 : 0;
        d0 -= carry * b0;
        d1 += s1 + carry;
        carry = d1 >= b1 ? 1 : 0;
        d1 -= carry * b1;
        d2 += s2 + carry;
    }
};

// What store() does to each element on its way into shared memory: nothing (FP32), or a conversion
// (the tensor-core kernel's TF32 rounding, once per element instead of once per warp that reads it).
struct NoConversion {
    JK_HD float operator()(float x) const { return x; }
};

// Row table of the block tile: every thread decodes at most a few rows (the only divisions of the
// kernel). rowTable[i] = {first-tap address lo, hi, tap mask, 0}; outBase[i] = output offset of
// (pixel m0 + i, channel 0 of group g), -1 past M.
template <int BM, int THREADS, bool NHWC>
__device__ __forceinline__ void build_row_table(int4* rowTable, index_t* outBase, const float* input, int tid, int C,
                                                int H, int W, int K, int R, int S, int Q, int padTop, int padLeft,
                                                int strideH, int strideW, int dilH, int dilW, int g, int cPerGroup,
                                                int kPerGroup, index_t PQ, index_t M, index_t HW, index_t m0) {
    const long long spanH = (long long)(R - 1) * dilH, spanW = (long long)(S - 1) * dilW;
    for (int i = tid; i < BM; i += THREADS) {
        const index_t m = m0 + i;
        int4 e;
        if (m < M) {
            const index_t n = m / PQ;
            const int pq = (int)(m - n * PQ);
            const int p = pq / Q, q = pq - p * Q;
            const int ih = conv_fast::clamp_start((long long)p * strideH - padTop, H, spanH);
            const int iw = conv_fast::clamp_start((long long)q * strideW - padLeft, W, spanW);
            const index_t off = NHWC ? ((n * H + ih) * W + iw) * C + (index_t)g * cPerGroup
                                     : (n * C + (index_t)g * cPerGroup) * HW + (index_t)ih * W + iw;
            // The address of the row's (clamped) first tap, as integer bits: it may lie outside the
            // input (padding), but it is only dereferenced plus a column offset that lands inside.
            const unsigned long long at = (unsigned long long)(uintptr_t)input + (unsigned long long)off * sizeof(float);
            // Tap mask: bit r when input row ih0 + r·dilH is inside, bit 16 + s when column iw0 + s·dilW
            // is (R, S <= 15, so bits 15 and 31 are never set: "no such tap" asks for one of them).
            const long long ih0 = (long long)p * strideH - padTop, iw0 = (long long)q * strideW - padLeft;
            unsigned mask = 0;
            for (int r = 0; r < R; ++r) {
                const long long y = ih0 + (long long)r * dilH;
                if (y >= 0 && y < H) mask |= 1u << r;
            }
            for (int t = 0; t < S; ++t) {
                const long long x = iw0 + (long long)t * dilW;
                if (x >= 0 && x < W) mask |= 1u << (16 + t);
            }
            e = make_int4((int)(unsigned)(at & 0xffffffffULL), (int)(unsigned)(at >> 32), (int)mask, 0);
            outBase[i] = NHWC ? m * K + (index_t)g * kPerGroup : (n * K + (index_t)g * kPerGroup) * PQ + pq;
        } else {
            e = make_int4(0, 0, 0, 0);  // no tap inside
            outBase[i] = -1;
        }
        rowTable[i] = e;
    }
}

// One thread's share of the k-tile loads: gather() issues all of them into the staging registers
// (aReg, bReg), store() writes those into a shared buffer, advance() moves the tap counter on by BK.
template <int BM, int BN, int BK, int THREADS, bool NHWC>
struct Loader {
    static constexpr int AW = NHWC ? 4 : 1;          // floats per gathered unit
    static constexpr int ACOLS = BK / AW;            // units per tile row
    static constexpr int ROWS_PER_PASS = THREADS / ACOLS;
    static constexpr int A_LOADS = BM / ROWS_PER_PASS;
    static constexpr int B_LOADS = BK * BN / 4 / THREADS;
    static_assert(THREADS % ACOLS == 0 && BM % ROWS_PER_PASS == 0, "the gather map must tile the A tile");
    static_assert(B_LOADS * THREADS * 4 == BK * BN, "the B tile splits evenly into float4s");

    const int4* rowTable;
    int tid, R, C, W, dilH, dilW, cPerGroup, reduction, kgPad, k0;
    index_t HW;
    int mi, jj, b0, b1, s0, s1, s2;
    Radix col;
    bool vecA;
    const float* bBase;
    // The staging registers stay the caller's own arrays (not members): kept apart from the scalar
    // state, which the compiler then keeps in registers from the start, the SIMT kernel's code is
    // what it was before this loader was shared.
    typedef float AStage[A_LOADS * AW];
    typedef float4 BStage[B_LOADS];

    __device__ __forceinline__ Loader(const int4* rowTable_, const float* __restrict__ input, const float* __restrict__ filtersB, int tid_, int C_,
                                      int W_, int R_, int S, int dilH_, int dilW_, int g, int cPerGroup_, int reduction_,
                                      int kgPad_, int k0_, index_t HW_)
        : rowTable(rowTable_), tid(tid_), R(R_), C(C_), W(W_), dilH(dilH_), dilW(dilW_), cPerGroup(cPerGroup_),
          reduction(reduction_), kgPad(kgPad_), k0(k0_), HW(HW_) {
        // This thread's reduction column and its mixed-radix position.
        mi = tid % ROWS_PER_PASS;
        jj = (tid / ROWS_PER_PASS) * AW;
        // NCHW: (d0, d1, d2) = (s, r, c); NHWC: (c, s, r).
        b0 = NHWC ? cPerGroup : S;
        b1 = NHWC ? S : R;
        s0 = BK % b0;
        s1 = (BK / b0) % b1;
        s2 = BK / (b0 * b1);
        col.d0 = jj % b0;
        col.d1 = (jj / b0) % b1;
        col.d2 = jj / (b0 * b1);
#ifdef JK_SASS_NHWC_VEC_ONLY  // static analysis only (benchmarks/static): the float4 path's code alone
        vecA = NHWC;
#else
        vecA = NHWC && (cPerGroup % 4 == 0) && (C % 4 == 0) && ((reinterpret_cast<uintptr_t>(input) & 15u) == 0);
#endif
        // B: unit u = tid + l·THREADS is row u / (BN/4), float4 column (u % (BN/4))·4 of the tile.
        bBase = filtersB + (index_t)g * reduction * kgPad + k0;
    }

    __device__ __forceinline__ void gather(int j0, AStage& aReg, BStage& bReg) const {
        // A: this thread's column at reduction index j0 + jj.
        const int c = NHWC ? col.d0 : col.d2, r = NHWC ? col.d2 : col.d1, s = NHWC ? col.d1 : col.d0;
        const bool colOk = NHWC ? r < R : c < cPerGroup;
        const int dh = r * dilH, dw = s * dilW;
        // The mask bits this tap needs: its row's and its column's (bit 15, never set, past the reduction).
        const unsigned need = colOk ? (1u << r) | (1u << (16 + s)) : 1u << 15;
        // Inside one image (Java: C·H·W < 2^31), so 32 bits; wraps harmlessly for taps never read.
        const int colOff = (int)(NHWC ? ((unsigned)dh * (unsigned)W + (unsigned)dw) * (unsigned)C + (unsigned)c
                                      : (unsigned)c * (unsigned)HW + (unsigned)dh * (unsigned)W + (unsigned)dw);
JK_UNROLL
        for (int l = 0; l < A_LOADS; ++l) {
            const int4 e = rowTable[mi + l * ROWS_PER_PASS];
            const bool ok = ((unsigned)e.z & need) == need;
            const float* row = reinterpret_cast<const float*>(
                (uintptr_t)(((unsigned long long)(unsigned)e.y << 32) | (unsigned)e.x));
            const float* p = row + colOff;
            // __ldg: the address is rebuilt from integer bits, so say it is global (LDG, not a generic LD).
            if (!NHWC) {
                aReg[l] = ok ? __ldg(p) : 0.f;
            } else if (vecA) {
                float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
                if (ok) v = __ldg(reinterpret_cast<const float4*>(p));
                aReg[l * 4 + 0] = v.x; aReg[l * 4 + 1] = v.y; aReg[l * 4 + 2] = v.z; aReg[l * 4 + 3] = v.w;
            } else {
                // Channels not in float4s: the four taps j0+jj..+3 each by their own (c, s, r).
                Radix t = col;
JK_UNROLL
                for (int u = 0; u < 4; ++u) {
                    const int dhu = t.d2 * dilH, dwu = t.d1 * dilW;
                    const unsigned needu = t.d2 < R ? (1u << t.d2) | (1u << (16 + t.d1)) : 1u << 15;
                    const bool oku = ((unsigned)e.z & needu) == needu;
                    const int offu = (int)(((unsigned)dhu * (unsigned)W + (unsigned)dwu) * (unsigned)C + (unsigned)t.d0);
                    aReg[l * 4 + u] = oku ? __ldg(row + offu) : 0.f;
                    t.add(1, 0, 0, b0, b1);
                }
            }
        }
        // B: float4 rows of the pre-transformed filters; zero past the reduction and the padded K.
JK_UNROLL
        for (int l = 0; l < B_LOADS; ++l) {
            const int u = tid + l * THREADS;
            const int row = u / (BN / 4), c4 = (u % (BN / 4)) * 4;
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            if (j0 + row < reduction && k0 + c4 < kgPad) {
                v = *reinterpret_cast<const float4*>(bBase + (index_t)(j0 + row) * kgPad + c4);
            }
            bReg[l] = v;
        }
    }

    // Writes the staged registers into one shared buffer: as = As[buf] (BK rows of pitch LDA), bs = Bs[buf].
    template <int LDA, int LDB, class Convert>
    __device__ __forceinline__ void store(float (*as)[LDA], float (*bs)[LDB], const AStage& aReg, const BStage& bReg,
                                          Convert cvt) const {
JK_UNROLL
        for (int l = 0; l < A_LOADS; ++l) {
            const int m = mi + l * ROWS_PER_PASS;
JK_UNROLL
            for (int u = 0; u < AW; ++u) as[jj + u][m] = cvt(aReg[l * AW + u]);
        }
JK_UNROLL
        for (int l = 0; l < B_LOADS; ++l) {
            const int u = tid + l * THREADS;
            const float4 v = bReg[l];
            *reinterpret_cast<float4*>(&bs[u / (BN / 4)][(u % (BN / 4)) * 4]) =
                make_float4(cvt(v.x), cvt(v.y), cvt(v.z), cvt(v.w));
        }
    }

    __device__ __forceinline__ void advance() { col.add(s0, s1, s2, b0, b1); }
};

}  // namespace conv_igemm
}  // namespace jk
