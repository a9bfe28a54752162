// Element-wise activations, forward and backward, for every activation in JK_ACTIVATIONS.
//
// Who computes what: a grid-stride loop; thread t of the grid handles elements t, t + stride, ...
// so any grid covers any n (KernelBackend caps the grid and lets the loop do the rest). The work
// per element is one functor from jkernels/activation.cuh, the same functor the GEMM and conv
// epilogues use, so the element-wise path and the fused path cannot disagree.
//
// Two variants per activation, side by side (llm.c style):
//   scalar  one float per iteration: the reference, simplest to check.
//   vec4    one float4 (16-byte load and store) per iteration when every pointer is 16-byte aligned,
//           then a scalar tail for the last n % 4 elements. Memory-bound kernels live or die by
//           bytes per instruction; float4 halves the load/store instruction count of float2 and
//           is what reaches copy bandwidth on HBM parts. Misaligned pointers fall back to the
//           scalar loop (a uniform branch: every thread takes the same side).
// Indices are int64 (jk::index_t): 64 M floats times a batch passes 2^31. In place is allowed
// (y may be x, dx may be dy), so no pointer is __restrict__.
//
// Names: jk_act_fwd_<variant>_<activation>(const float* x, float* y, long long n, float alpha, float beta)
//        jk_act_bwd_<variant>_<activation>(const float* saved, const float* dy, float* dx,
//                                          long long n, float alpha, float beta)
// alpha and beta are the functors' a and b: alpha is read by LEAKY_RELU and ELU, beta by no kind yet (0).
#include "jkernels/activation.cuh"

// File-local helpers live in a namespace named after the file: every kernel file is compiled into
// one translation unit (see cuda/README.md).
namespace jk::activation_kernels {

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

__device__ __forceinline__ index_t grid_thread() { return (index_t)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ index_t grid_stride() { return (index_t)gridDim.x * blockDim.x; }

template <Act A>
__device__ __forceinline__ void act_fwd_scalar(const float* x, float* y, index_t n, float alpha, float beta) {
    for (index_t i = grid_thread(); i < n; i += grid_stride()) y[i] = Activation<A>::fwd(x[i], alpha, beta);
}

template <Act A>
__device__ __forceinline__ void act_fwd_vec4(const float* x, float* y, index_t n, float alpha, float beta) {
    if (!aligned16(x) || !aligned16(y)) {
        act_fwd_scalar<A>(x, y, n, alpha, beta);
        return;
    }
    const index_t n4 = n >> 2;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    float4* y4 = reinterpret_cast<float4*>(y);
    for (index_t i = grid_thread(); i < n4; i += grid_stride()) {
        float4 v = x4[i];
        v.x = Activation<A>::fwd(v.x, alpha, beta);
        v.y = Activation<A>::fwd(v.y, alpha, beta);
        v.z = Activation<A>::fwd(v.z, alpha, beta);
        v.w = Activation<A>::fwd(v.w, alpha, beta);
        y4[i] = v;
    }
    for (index_t i = (n4 << 2) + grid_thread(); i < n; i += grid_stride()) y[i] = Activation<A>::fwd(x[i], alpha, beta);
}

template <Act A>
__device__ __forceinline__ void act_bwd_scalar(const float* saved, const float* dy, float* dx, index_t n, float alpha, float beta) {
    for (index_t i = grid_thread(); i < n; i += grid_stride()) dx[i] = Activation<A>::bwd(saved[i], dy[i], alpha, beta);
}

template <Act A>
__device__ __forceinline__ void act_bwd_vec4(const float* saved, const float* dy, float* dx, index_t n, float alpha, float beta) {
    if (!aligned16(saved) || !aligned16(dy) || !aligned16(dx)) {
        act_bwd_scalar<A>(saved, dy, dx, n, alpha, beta);
        return;
    }
    const index_t n4 = n >> 2;
    const float4* s4 = reinterpret_cast<const float4*>(saved);
    const float4* g4 = reinterpret_cast<const float4*>(dy);
    float4* d4 = reinterpret_cast<float4*>(dx);
    for (index_t i = grid_thread(); i < n4; i += grid_stride()) {
        float4 s = s4[i];
        float4 g = g4[i];
        float4 r;
        r.x = Activation<A>::bwd(s.x, g.x, alpha, beta);
        r.y = Activation<A>::bwd(s.y, g.y, alpha, beta);
        r.z = Activation<A>::bwd(s.z, g.z, alpha, beta);
        r.w = Activation<A>::bwd(s.w, g.w, alpha, beta);
        d4[i] = r;
    }
    for (index_t i = (n4 << 2) + grid_thread(); i < n; i += grid_stride()) {
        dx[i] = Activation<A>::bwd(saved[i], dy[i], alpha, beta);
    }
}

}  // namespace jk::activation_kernels

// The extern "C" entry points: 4 per activation, generated from the one list.
#define JK_ACT_KERNELS(E, s)                                                                               \
    extern "C" __global__ void jk_act_fwd_scalar_##s(const float* x, float* y, long long n, float alpha, float beta) { \
        jk::activation_kernels::act_fwd_scalar<jk::Act::E>(x, y, n, alpha, beta);                                \
    }                                                                                                      \
    JK_REGISTER_KERNEL(jk_act_fwd_scalar_##s)                                                              \
    extern "C" __global__ void jk_act_fwd_vec4_##s(const float* x, float* y, long long n, float alpha, float beta) {   \
        jk::activation_kernels::act_fwd_vec4<jk::Act::E>(x, y, n, alpha, beta);                                  \
    }                                                                                                      \
    JK_REGISTER_KERNEL(jk_act_fwd_vec4_##s)                                                                \
    extern "C" __global__ void jk_act_bwd_scalar_##s(const float* saved, const float* dy, float* dx,       \
                                                     long long n, float alpha, float beta) {                           \
        jk::activation_kernels::act_bwd_scalar<jk::Act::E>(saved, dy, dx, n, alpha, beta);                       \
    }                                                                                                      \
    JK_REGISTER_KERNEL(jk_act_bwd_scalar_##s)                                                              \
    extern "C" __global__ void jk_act_bwd_vec4_##s(const float* saved, const float* dy, float* dx,         \
                                                   long long n, float alpha, float beta) {                             \
        jk::activation_kernels::act_bwd_vec4<jk::Act::E>(saved, dy, dx, n, alpha, beta);                         \
    }                                                                                                      \
    JK_REGISTER_KERNEL(jk_act_bwd_vec4_##s)

JK_ACTIVATIONS(JK_ACT_KERNELS)
