// Shared by every kernel: index types and small helpers. Compiled by nvcc and, through
// cuda/emu/cuda_emu.h, by g++ for the emulator, so only what both understand goes here.
#pragma once

#include <stdint.h>

#define JK_HD __host__ __device__ __forceinline__

// Loop unrolling for nvcc; g++ (the emulator) unrolls on its own and warns on the CUDA pragma.
#ifndef JK_UNROLL
#ifdef JK_EMULATOR
#define JK_UNROLL
#else
#define JK_UNROLL _Pragma("unroll")
#endif
#endif
// The opposite: a loop nvcc must keep rolled (the epilogues' activation loop: one copy of the
// runtime activation switch instead of one per output element).
#ifndef JK_NO_UNROLL
#ifdef JK_EMULATOR
#define JK_NO_UNROLL
#else
#define JK_NO_UNROLL _Pragma("unroll 1")
#endif
#endif

#ifndef JK_EMULATOR
// Under nvcc: the emulator's launch registry does not exist, and dynamic shared memory is the
// usual unsized extern array. cuda/emu/cuda_emu.h defines both macros for g++.
#define JK_REGISTER_KERNEL(fn)
#define JK_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

namespace jk {

// Element counts and offsets that can pass 2^31 (a 64 M-float tensor times a batch) are int64.
typedef long long index_t;

JK_HD int ceil_div(int a, int b) { return (a + b - 1) / b; }

}  // namespace jk
