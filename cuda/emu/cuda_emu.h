// CUDA on the CPU: just enough of the CUDA C++ dialect for g++ to compile the kernel .cu files
// unchanged (g++ -std=c++20 -x c++ -include cuda/emu/cuda_emu.h). Blocks run one at a time, so a
// __shared__ variable can simply be a static (one copy, reused block after block); the CUDA threads
// of a block are std::threads, ucontext fibers or a plain loop (emu_runtime.cpp, see the modes there).
// Never included by nvcc.
#pragma once

#define JK_EMULATOR 1

#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <type_traits>
#include <utility>

// ---- qualifiers ----------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)
// __shared__ __align__(32) float tile[...] -> static __attribute__((aligned(32))) float tile[...]
// (a GNU attribute: C++'s alignas may not follow `static`; works for `struct __align__(8) S` too)
#define __align__(n) __attribute__((aligned(n)))
// Static storage: one copy shared by every CUDA thread of the (single) running block.
#define __shared__ static
#define __constant__ static

// ---- built-in vector types and the thread coordinates --------------------------------------------
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 { unsigned int x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }

namespace jkemu {
// Set by the runtime for the CUDA thread running on this OS thread (fibers: before each switch).
extern thread_local dim3 tl_threadIdx, tl_blockIdx, tl_blockDim, tl_gridDim;
void syncthreads();                      // the block barrier of the current mode
[[noreturn]] void trap(const char* what); // fails the current CUDA thread, hence the launch
void* dynamic_shared();                  // the launch's dynamic shared memory (sharedMemBytes)
}  // namespace jkemu

#define threadIdx (::jkemu::tl_threadIdx)
#define blockIdx (::jkemu::tl_blockIdx)
#define blockDim (::jkemu::tl_blockDim)
#define gridDim (::jkemu::tl_gridDim)
#define warpSize 32

inline void __syncthreads() { ::jkemu::syncthreads(); }
[[noreturn]] inline void __trap() { ::jkemu::trap("__trap()"); }

// A failed device assert fails the launch (naming kernel, block and thread) instead of aborting the JVM.
#undef assert
#define JKEMU_STR2(x) #x
#define JKEMU_STR(x) JKEMU_STR2(x)
#define assert(cond) \
    ((cond) ? (void)0 : ::jkemu::trap("assertion failed: " #cond " at " __FILE__ ":" JKEMU_STR(__LINE__)))

// ---- device functions with CPU equivalents ---------------------------------------------------------
template <typename T> inline T __ldg(const T* p) { return *p; }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanhf(float x) { return std::tanh(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float __frcp_rn(float x) { return 1.f / x; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline int __float2int_rn(float x) { return (int)std::nearbyint(x); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
// expf, erff, tanhf, expm1f, log1pf, fminf, fmaxf, fabsf, sqrtf, fmaf come from <math.h>.

// Blocks run one at a time and the CUDA threads of a block never run truly in parallel except in
// threads mode, where these are real atomics.
inline float atomicAdd(float* p, float v) {
    float expected, desired;
    __atomic_load(p, &expected, __ATOMIC_SEQ_CST);
    do {
        desired = expected + v;
    } while (!__atomic_compare_exchange(p, &expected, &desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    return expected;
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline int atomicMax(int* p, int v) {
    int cur = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return cur;
}

// ---- the launch registry ---------------------------------------------------------------------------
// A kernel is found by its extern "C" name and called with the void** kernelParams array that
// cuLaunchKernel takes: params[i] points at the value of argument i.
namespace jkemu {
using Trampoline = void (*)(void* fn, void** params);

struct KernelEntry {
    const char* name;
    void* fn;
    Trampoline call;
    int arity;
    const unsigned char* argSizes;  // sizeof each parameter, for the launch-time check
    const unsigned char* argKinds;  // ARG_SCALAR, ARG_POINTER or ARG_STRUCT (a by-value struct) per parameter
};
enum ArgKind : unsigned char { ARG_SCALAR = 0, ARG_POINTER = 1, ARG_STRUCT = 2 };
template <typename T>
constexpr unsigned char arg_kind() {
    using U = std::remove_cv_t<std::remove_reference_t<T>>;
    return std::is_pointer_v<U> ? ARG_POINTER : std::is_class_v<U> ? ARG_STRUCT : ARG_SCALAR;
}

void register_kernel(const KernelEntry& e);

// Argument i is copied out of params[i] byte by byte: a by-value struct (jk::Epilogue, 64 bytes)
// arrives in a slot the caller laid out, which need not be aligned for the struct type.
template <typename T>
inline T load_param(const void* p) {
    static_assert(std::is_trivially_copyable_v<T>, "kernel parameters are trivially copyable");
    T v;
    std::memcpy(static_cast<void*>(&v), p, sizeof(T));
    return v;
}

template <typename... A, std::size_t... I>
inline void call_with_params(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(load_param<std::remove_cv_t<std::remove_reference_t<A>>>(p[I])...);
}

template <typename... A>
struct Registrar {
    static_assert(((sizeof(A) < 256) && ...), "argument sizes are recorded in one byte");
    static inline const unsigned char sizes[sizeof...(A) + 1] = {static_cast<unsigned char>(sizeof(A))..., 0};
    static inline const unsigned char kinds[sizeof...(A) + 1] = {arg_kind<A>()..., 0};
    static void trampoline(void* fn, void** params) {
        call_with_params(reinterpret_cast<void (*)(A...)>(fn), params, std::index_sequence_for<A...>{});
    }
    Registrar(const char* name, void (*fn)(A...)) {
        register_kernel(KernelEntry{name, reinterpret_cast<void*>(fn), &trampoline, (int)sizeof...(A), sizes, kinds});
    }
};
template <typename... A>
Registrar(const char*, void (*)(A...)) -> Registrar<A...>;
}  // namespace jkemu

// Next to each extern "C" kernel: JK_REGISTER_KERNEL(jk_act_fwd_vec4_relu). Expands to nothing under nvcc.
#define JK_EMU_CAT2(a, b) a##b
#define JK_EMU_CAT(a, b) JK_EMU_CAT2(a, b)
#define JK_REGISTER_KERNEL(fn) \
    static ::jkemu::Registrar JK_EMU_CAT(jkemu_registrar_, fn){#fn, &fn};

// Dynamic shared memory: JK_DYNAMIC_SHARED(float, tile) declares `float* tile`, sized by the launch.
#define JK_DYNAMIC_SHARED(type, name) type* name = static_cast<type*>(::jkemu::dynamic_shared())

// ---- tensor cores: nvcuda::wmma (m16n16k8 TF32) and __float_to_tf32, see wmma_emu.h ---------------
#include "wmma_emu.h"
