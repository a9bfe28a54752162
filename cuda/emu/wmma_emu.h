// The emulator's nvcuda::wmma: the tensor-core fragment API that the kernels use (m16n16k8, TF32
// inputs, FP32 accumulator), with the names and signatures of CUDA's <mma.h>. Included by cuda_emu.h;
// kernel files include it through jkernels/wmma.cuh. The semantics (the same in fibers, threads and
// serial modes; ISSUE16-CONTRACT.md section 1):
//   - every CUDA thread holds a full copy of each fragment: num_elements is the whole tile (a: 16x8,
//     b: 8x16, accumulator: 16x16). CUDA leaves the mapping of x[i] to (row, col) unspecified, so a
//     kernel may only apply the same element-wise operation to every x[i] (here x is row-major);
//   - load_matrix_sync: every lane reads the whole tile (reads never race with reads);
//   - store_matrix_sync: lane l of the warp writes the elements e with e % 32 == l, as on a GPU each
//     lane writes only its own: a kernel that reads another lane's stored elements without a barrier
//     gets wrong results in fibers mode and a data race in threads mode (TSan), as it would on a GPU;
//   - both trap (the launch fails naming kernel, block and thread) when the pointer is not 32-byte
//     (256-bit) aligned, when ldm is not a multiple of 4 floats (16 bytes), or when the warp is not full;
//   - mma_sync on tf32 fragments uses only the top 19 bits of each input (the tensor cores ignore the
//     low 13 mantissa bits: an unconverted input is truncated, not rounded; a quiet NaN stays NaN). The
//     products are exact in FP32 (11-bit significands), the sum starts from c and runs in k order with
//     FP32 rounding. (The GPU's summation order is unspecified: GPU and emulator agree to tolerance.)
//   - __float_to_tf32 is cvt.rna.tf32.f32 as ptxas emits it for sm_80..sm_90 (read from the SASS:
//     FSETP.GEU |x|, +INF; @!P IADD x, 0x1000; LOP3 x & 0xFFFFE000): a finite x gets half the dropped
//     range added to its magnitude bits (round to nearest, ties away from zero; may carry to +-Inf),
//     then the low 13 bits are cleared, Inf and NaN included. So +-Inf stays +-Inf, a NaN keeps its
//     sign and top payload bits (a quiet NaN stays NaN), and a NaN whose payload lies only in the low
//     13 bits becomes +-Inf, bit for bit as on the GPU.
#pragma once

#include <cstdint>
#include <cstring>

namespace nvcuda {
namespace wmma {

struct row_major;
struct col_major;
struct matrix_a;
struct matrix_b;
struct accumulator;
namespace precision {
struct tf32;
}
enum layout_t { mem_row_major, mem_col_major };

inline float __float_to_tf32(float in) {
    uint32_t u;
    std::memcpy(&u, &in, 4);
    // Adding half of the dropped range to the magnitude rounds ties away from zero; a carry out of the
    // mantissa bumps the exponent (up to +-Inf). Inf and NaN are only masked.
    if ((u & 0x7F800000u) != 0x7F800000u) u += 0x1000u;
    u &= 0xFFFFE000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
}

namespace emu {

// The tensor cores' view of a TF32 operand: its top 19 bits.
inline float tf32_truncate(float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u &= 0xFFFFE000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
}

// The lane of the calling CUDA thread, after checking that its warp is full.
inline int lane_of_full_warp(const char* op) {
    const unsigned bx = blockDim.x, by = blockDim.y;
    const unsigned t = threadIdx.x + bx * (threadIdx.y + by * threadIdx.z);
    const unsigned threads = bx * by * blockDim.z;
    if ((t / 32) * 32 + 32 > threads) ::jkemu::trap(op);
    return (int)(t % 32);
}

inline void check_access(const void* p, unsigned ldm, const char* alignMsg, const char* ldmMsg) {
    if ((reinterpret_cast<uintptr_t>(p) & 31u) != 0) ::jkemu::trap(alignMsg);
    if (ldm % 4 != 0) ::jkemu::trap(ldmMsg);
}

template <int ROWS, int COLS>
struct frag_base {
    enum { num_elements = ROWS * COLS, num_storage_elements = ROWS * COLS };
    static constexpr int rows = ROWS, cols = COLS;
    typedef float storage_element_type;
    float x[ROWS * COLS];  // row-major here; kernels must not rely on it
};

}  // namespace emu

template <typename Use, int m, int n, int k, typename T, typename Layout = void>
class fragment;  // only the m16n16k8 TF32 shapes below exist: any other is a compile error

template <typename L>
class fragment<matrix_a, 16, 16, 8, precision::tf32, L> : public emu::frag_base<16, 8> {
public:
    typedef precision::tf32 element_type;
};
template <typename L>
class fragment<matrix_b, 16, 16, 8, precision::tf32, L> : public emu::frag_base<8, 16> {
public:
    typedef precision::tf32 element_type;
};
template <>
class fragment<accumulator, 16, 16, 8, float, void> : public emu::frag_base<16, 16> {
public:
    typedef float element_type;
};

template <int R, int C>
inline void fill_fragment(emu::frag_base<R, C>& f, const float& v) {
    for (int i = 0; i < R * C; ++i) f.x[i] = v;
}

namespace emu {
// Element (r, c) of a ROWS x COLS tile at p: p[r * ldm + c] (row-major) or p[c * ldm + r].
template <int ROWS, int COLS>
inline void load_tile(frag_base<ROWS, COLS>& f, const float* p, unsigned ldm, bool rowMajor) {
    lane_of_full_warp("wmma::load_matrix_sync: the warp is not full (every lane of a warp must take part)");
    check_access(p, ldm, "wmma::load_matrix_sync: the pointer is not 32-byte (256-bit) aligned",
                 "wmma::load_matrix_sync: ldm is not a multiple of 4 floats (16 bytes)");
    for (int r = 0; r < ROWS; ++r)
        for (int c = 0; c < COLS; ++c) f.x[r * COLS + c] = rowMajor ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}
}  // namespace emu

#define JKEMU_WMMA_LOAD(USE, LAYOUT, ROWMAJOR)                                                                     \
    inline void load_matrix_sync(fragment<USE, 16, 16, 8, precision::tf32, LAYOUT>& f, const float* p, unsigned ldm) { \
        emu::load_tile(f, p, ldm, ROWMAJOR);                                                                      \
    }
JKEMU_WMMA_LOAD(matrix_a, row_major, true)
JKEMU_WMMA_LOAD(matrix_a, col_major, false)
JKEMU_WMMA_LOAD(matrix_b, row_major, true)
JKEMU_WMMA_LOAD(matrix_b, col_major, false)
#undef JKEMU_WMMA_LOAD

inline void load_matrix_sync(fragment<accumulator, 16, 16, 8, float>& f, const float* p, unsigned ldm, layout_t layout) {
    emu::load_tile(f, p, ldm, layout == mem_row_major);
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 8, float>& f, unsigned ldm, layout_t layout) {
    const int lane =
        emu::lane_of_full_warp("wmma::store_matrix_sync: the warp is not full (every lane of a warp must take part)");
    emu::check_access(p, ldm, "wmma::store_matrix_sync: the pointer is not 32-byte (256-bit) aligned",
                      "wmma::store_matrix_sync: ldm is not a multiple of 4 floats (16 bytes)");
    for (int e = lane; e < 256; e += 32) {
        const int r = e / 16, c = e % 16;
        if (layout == mem_row_major) p[(size_t)r * ldm + c] = f.x[e];
        else p[(size_t)c * ldm + r] = f.x[e];
    }
}

// d = a * b + c (d may be c). Any layouts: the fragments hold their tiles in one internal order.
template <typename LA, typename LB>
inline void mma_sync(fragment<accumulator, 16, 16, 8, float>& d, const fragment<matrix_a, 16, 16, 8, precision::tf32, LA>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, LB>& b,
                     const fragment<accumulator, 16, 16, 8, float>& c) {
    float ta[16 * 8], tb[8 * 16], out[16 * 16];
    for (int i = 0; i < 128; ++i) {
        ta[i] = emu::tf32_truncate(a.x[i]);
        tb[i] = emu::tf32_truncate(b.x[i]);
    }
    for (int r = 0; r < 16; ++r) {
        for (int col = 0; col < 16; ++col) {
            float s = c.x[r * 16 + col];
            // The product of two 11-bit significands is exact in FP32; the sum is rounded per step.
            for (int k = 0; k < 8; ++k) s += ta[r * 8 + k] * tb[k * 16 + col];
            out[r * 16 + col] = s;
        }
    }
    std::memcpy(d.x, out, sizeof out);
}

}  // namespace wmma
}  // namespace nvcuda
