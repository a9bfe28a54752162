// Binary element-wise ops with broadcasting, and the concat copy.
//
// jk_binary_<add|mul>: out[i] = big[i] op small[(i / inner) % smallLength], a grid-stride loop, one
// element per thread and iteration. That one index rule covers equal shapes (inner 1, smallLength n),
// trailing broadcasts ([C] against [N, H, W, C]: inner 1) and per-channel vectors of NCHW
// ([1, C, 1, 1]: inner H*W); Java reduces every accepted broadcast to it. Equal shapes take a
// division-free uniform branch. One instantiation per op (memory-bound: no switch per element).
// In place allowed (out == big).
//
// jk_concat_copy: one input of a concat, seen as [outer, rows], into columns [offset, offset + rows)
// of the output seen as [outer, dstRows]; one launch per input, one element per thread and iteration.
#include "jkernels/common.cuh"

namespace jk::binary_kernels {

struct Add { static __device__ __forceinline__ float apply(float a, float b) { return a + b; } };
struct Mul { static __device__ __forceinline__ float apply(float a, float b) { return a * b; } };

template <typename Op>
__device__ __forceinline__ void binary(const float* big, const float* small, float* out, long long n, long long inner,
                                       long long smallLength) {
    const index_t stride = (index_t)gridDim.x * blockDim.x;
    index_t i = (index_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (smallLength == n) {
        for (; i < n; i += stride) out[i] = Op::apply(big[i], small[i]);
    } else if (inner == 1) {
        for (; i < n; i += stride) out[i] = Op::apply(big[i], small[i % smallLength]);
    } else {
        for (; i < n; i += stride) out[i] = Op::apply(big[i], small[(i / inner) % smallLength]);
    }
}

}  // namespace jk::binary_kernels

extern "C" __global__ void jk_binary_add(const float* big, const float* small, float* out, long long n,
                                         long long inner, long long smallLength) {
    jk::binary_kernels::binary<jk::binary_kernels::Add>(big, small, out, n, inner, smallLength);
}
JK_REGISTER_KERNEL(jk_binary_add)

extern "C" __global__ void jk_binary_mul(const float* big, const float* small, float* out, long long n,
                                         long long inner, long long smallLength) {
    jk::binary_kernels::binary<jk::binary_kernels::Mul>(big, small, out, n, inner, smallLength);
}
JK_REGISTER_KERNEL(jk_binary_mul)

extern "C" __global__ void jk_concat_copy(const float* src, float* dst, long long outer, long long rows,
                                          long long dstRows, long long offset) {
    const jk::index_t total = (jk::index_t)outer * rows;
    for (jk::index_t i = (jk::index_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (jk::index_t)gridDim.x * blockDim.x) {
        const jk::index_t o = i / rows, r = i - o * rows;
        dst[o * dstRows + offset + r] = src[i];
    }
}
JK_REGISTER_KERNEL(jk_concat_copy)
