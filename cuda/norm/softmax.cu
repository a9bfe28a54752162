// Softmax and log-softmax along one axis, the tensor seen as [outer, length, inner].
//
// Stable: every slice subtracts its max; the max and the sum of exp(x - max) are carried together
// ("online softmax": when a larger value arrives the running sum is rescaled by exp(old - new)), so
// the input is read twice (statistics, then the write) instead of three times, and exp never sees a
// positive argument: no overflow at +-1e4. A NaN makes its slice NaN (it enters the sum), as PyTorch.
// The log flag is a uniform run-time branch: one instantiation per kernel shape.
//
// Who computes what:
//   jk_softmax_rows  inner == 1 (the last axis): one BLOCK per row (grid-stride over rows); each
//                    thread keeps (max, sum) over a strided slice of the row, then a fixed-order tree
//                    in shared memory merges them. Consecutive threads read consecutive floats:
//                    coalesced. Block size (a power of two, 32..256) is chosen in Java from the row
//                    length, so short rows (10 classes) do not idle 246 threads.
//   jk_softmax_cols  inner > 1 (the channel axis of NCHW, any middle axis): one THREAD per (outer,
//                    inner) column, walking the axis with stride `inner`; consecutive threads are
//                    consecutive inner positions, so each step of the walk is a coalesced load.
// Deterministic: no atomics, fixed reduction order.
#include "jkernels/common.cuh"

namespace jk::softmax_kernels {

constexpr int kMaxThreads = 256;

// Adds v to the running (m, s): s = sum of exp(x - m) over the values seen, m their max.
__device__ __forceinline__ void push(float& m, float& s, float v) {
    if (v > m) {
        s = s * expf(m - v) + (v - v + 1.f);  // m = -inf at first: s*0 + 1; v = +inf: NaN, as exp(inf - inf)
        m = v;
    } else if (v != -INFINITY) {
        s += expf(v - m);           // NaN enters here: v > m is false for NaN
    }
}

// Merges (m2, s2) into (m, s).
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
    const float mx = m2 > m ? m2 : m;
    if (mx == -INFINITY) {
        s = s + s2;  // both empty (0) or carrying a NaN
    } else {
        s = s * expf(m - mx) + s2 * expf(m2 - mx);
    }
    m = mx;
}

__device__ __forceinline__ float finish(float x, float m, float s, int log) {
    return log ? x - m - logf(s) : expf(x - m) / s;
}

__device__ __forceinline__ void rows(const float* x, float* y, long long nrows, int length, int log) {
    __shared__ float sm[kMaxThreads];
    __shared__ float ss[kMaxThreads];
    for (index_t r = blockIdx.x; r < nrows; r += gridDim.x) {
        const float* xr = x + r * length;
        float* yr = y + r * length;
        float m = -INFINITY, s = 0.f;
        for (int j = threadIdx.x; j < length; j += blockDim.x) push(m, s, xr[j]);
        sm[threadIdx.x] = m;
        ss[threadIdx.x] = s;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if ((int)threadIdx.x < half) {
                float a = sm[threadIdx.x], b = ss[threadIdx.x];
                merge(a, b, sm[threadIdx.x + half], ss[threadIdx.x + half]);
                sm[threadIdx.x] = a;
                ss[threadIdx.x] = b;
            }
            __syncthreads();
        }
        m = sm[0];
        s = ss[0];
        // In place is fine: every element is read by the thread that writes it, after the barrier.
        for (int j = threadIdx.x; j < length; j += blockDim.x) yr[j] = finish(xr[j], m, s, log);
        __syncthreads();  // sm/ss are reused by the next row
    }
}

__device__ __forceinline__ void cols(const float* x, float* y, long long outer, int length, long long inner, int log) {
    const index_t total = (index_t)outer * inner;
    for (index_t t = (index_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (index_t)gridDim.x * blockDim.x) {
        const index_t o = t / inner, i = t - o * inner;
        const index_t base = o * length * inner + i;
        float m = -INFINITY, s = 0.f;
        for (int l = 0; l < length; ++l) push(m, s, x[base + (index_t)l * inner]);
        for (int l = 0; l < length; ++l) {
            const index_t k = base + (index_t)l * inner;
            y[k] = finish(x[k], m, s, log);
        }
    }
}

}  // namespace jk::softmax_kernels

extern "C" __global__ void jk_softmax_rows(const float* x, float* y, long long rows, int length, int log) {
    jk::softmax_kernels::rows(x, y, rows, length, log);
}
JK_REGISTER_KERNEL(jk_softmax_rows)

extern "C" __global__ void jk_softmax_cols(const float* x, float* y, long long outer, int length, long long inner,
                                           int log) {
    jk::softmax_kernels::cols(x, y, outer, length, inner, log);
}
JK_REGISTER_KERNEL(jk_softmax_cols)
