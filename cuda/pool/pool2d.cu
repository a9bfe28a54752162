// 2-D pooling: max and average over windows (kernel, stride, asymmetric padding, dilation, ceil mode
// resolved in Java), adaptive windows, and global pooling. NCHW and NHWC.
//
// Who computes what:
//   jk_pool2d_<max|avg>         one thread per OUTPUT element, grid-stride (any grid covers any
//                               output). The window's valid taps are computed as loop bounds (no
//                               per-tap bounds test). NHWC: consecutive threads are consecutive
//                               channels of one pixel, so every tap is a coalesced load; NCHW:
//                               consecutive threads are consecutive output columns (stride-s loads).
//   jk_pool2d_global_<max|avg>  NCHW global pooling: one BLOCK per (image, channel) plane, each thread
//                               a strided slice of the plane, then a fixed-order tree in shared
//                               memory. A plane is contiguous in NCHW, so one thread per output would
//                               read 32 different planes per warp; a block per plane reads it
//                               coalesced. 256 threads: a 7x7..56x56 plane is 1-13 loads per thread.
// Max propagates NaN (a NaN compares false, so it is taken explicitly and then never replaced), as
// PyTorch does. Average: count_include_pad divides by the taps inside the padded input
// [-padTop, H + padBottom) (the ceil-mode overhang never counts); otherwise by the valid taps.
// Sums are float, in a fixed order: bit-identical results run to run.
// One instantiation per reduction kind (max, avg): layout, adaptive windows and the divisor rule are
// uniform run-time branches, not template parameters.
#include "jkernels/common.cuh"

namespace jk::pool2d_kernels {

enum class Kind { MAX, AVG };

// The taps [lo, hi) of one window along one axis: input index = start + j * dil for j in [lo, hi);
// `padded` = the taps inside the padded input (the count_include_pad divisor).
struct Window {
    int start, dil, lo, hi, padded;
};

__device__ __forceinline__ Window window(int o, int in, int out, int k, int s, int d, int pb, int pe, bool adaptive) {
    Window w;
    if (adaptive) {
        w.start = (int)(((long long)o * in) / out);
        int end = (int)((((long long)o + 1) * in + out - 1) / out);
        w.dil = 1;
        w.lo = 0;
        w.hi = end - w.start;
        w.padded = w.hi;
        return w;
    }
    w.start = o * s - pb;
    w.dil = d;
    w.lo = w.start >= 0 ? 0 : (-w.start + d - 1) / d;
    int hi = (in - w.start + d - 1) / d;            // first tap at or past `in`
    w.hi = hi < k ? hi : k;
    int ph = (in + pe - w.start + d - 1) / d;       // first tap at or past the end padding
    w.padded = ph < k ? ph : k;
    return w;
}

template <Kind K>
__device__ __forceinline__ void pool_window(const float* in, float* out, int N, int C, int H, int W, int P, int Q,
                                            int kH, int kW, int sH, int sW, int dH, int dW, int padTop, int padLeft,
                                            int padBottom, int padRight, int adaptive, int countIncludePad, int nhwc) {
    const index_t total = (index_t)N * C * P * Q;
    for (index_t i = (index_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (index_t)gridDim.x * blockDim.x) {
        int n, c, oh, ow;
        if (nhwc) {
            c = (int)(i % C);
            index_t r = i / C;
            ow = (int)(r % Q);
            r /= Q;
            oh = (int)(r % P);
            n = (int)(r / P);
        } else {
            ow = (int)(i % Q);
            index_t r = i / Q;
            oh = (int)(r % P);
            r /= P;
            c = (int)(r % C);
            n = (int)(r / C);
        }
        const Window wh = window(oh, H, P, kH, sH, dH, padTop, padBottom, adaptive != 0);
        const Window ww = window(ow, W, Q, kW, sW, dW, padLeft, padRight, adaptive != 0);
        // Element (ih, iw) of this (n, c): NCHW base + ih*W + iw; NHWC base + (ih*W + iw)*C.
        const index_t base = nhwc ? (index_t)n * H * W * C + c : ((index_t)n * C + c) * H * W;
        const index_t pix = nhwc ? C : 1;
        float acc = K == Kind::MAX ? -INFINITY : 0.f;
        for (int jh = wh.lo; jh < wh.hi; ++jh) {
            const index_t row = base + (index_t)(wh.start + jh * wh.dil) * W * pix;
            for (int jw = ww.lo; jw < ww.hi; ++jw) {
                const float v = in[row + (index_t)(ww.start + jw * ww.dil) * pix];
                if (K == Kind::MAX) {
                    if (v > acc || v != v) acc = v;
                } else {
                    acc += v;
                }
            }
        }
        if (K == Kind::AVG) {
            const int count = countIncludePad && !adaptive ? wh.padded * ww.padded : (wh.hi - wh.lo) * (ww.hi - ww.lo);
            acc = acc / (float)count;
        }
        out[i] = acc;
    }
}

constexpr int kGlobalThreads = 256;

template <Kind K>
__device__ __forceinline__ float combine(float a, float b) {
    if (K == Kind::MAX) return (b > a || b != b) ? b : a;
    return a + b;
}

template <Kind K>
__device__ __forceinline__ void pool_global_nchw(const float* in, float* out, long long planes, int HW) {
    __shared__ float part[kGlobalThreads];
    for (index_t plane = blockIdx.x; plane < planes; plane += gridDim.x) {
        const float* x = in + plane * HW;
        float acc = K == Kind::MAX ? -INFINITY : 0.f;
        for (int j = threadIdx.x; j < HW; j += blockDim.x) acc = combine<K>(acc, x[j]);
        part[threadIdx.x] = acc;
        __syncthreads();
        // Fixed-order tree: blockDim.x is a power of two (Java launches 256).
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if ((int)threadIdx.x < half) part[threadIdx.x] = combine<K>(part[threadIdx.x], part[threadIdx.x + half]);
            __syncthreads();
        }
        if (threadIdx.x == 0) out[plane] = K == Kind::MAX ? part[0] : part[0] / (float)HW;
        __syncthreads();  // part[] is reused by the next plane
    }
}

}  // namespace jk::pool2d_kernels

#define JK_POOL_KERNELS(K, s)                                                                                       \
    extern "C" __global__ void jk_pool2d_##s(const float* in, float* out, int N, int C, int H, int W, int P, int Q, \
                                             int kH, int kW, int sH, int sW, int dH, int dW, int padTop,           \
                                             int padLeft, int padBottom, int padRight, int adaptive,               \
                                             int countIncludePad, int nhwc) {                                      \
        jk::pool2d_kernels::pool_window<jk::pool2d_kernels::Kind::K>(in, out, N, C, H, W, P, Q, kH, kW, sH, sW, dH, \
                                                                      dW, padTop, padLeft, padBottom, padRight,     \
                                                                      adaptive, countIncludePad, nhwc);             \
    }                                                                                                               \
    JK_REGISTER_KERNEL(jk_pool2d_##s)                                                                               \
    extern "C" __global__ void jk_pool2d_global_##s(const float* in, float* out, long long planes, int HW) {        \
        jk::pool2d_kernels::pool_global_nchw<jk::pool2d_kernels::Kind::K>(in, out, planes, HW);                     \
    }                                                                                                               \
    JK_REGISTER_KERNEL(jk_pool2d_global_##s)

JK_POOL_KERNELS(MAX, max)
JK_POOL_KERNELS(AVG, avg)
