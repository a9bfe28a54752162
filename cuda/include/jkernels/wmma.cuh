// The tensor-core fragment API for kernel files: nvcuda::wmma (m16n16k8, precision::tf32 inputs,
// float accumulator) and wmma::__float_to_tf32. Under nvcc this is CUDA's <mma.h>; under the
// emulator (JK_EMULATOR) cuda/emu/wmma_emu.h provides the same names, already included by cuda_emu.h,
// with the semantics written there (a full copy of each fragment per CUDA thread; alignment and ldm
// traps; inputs truncated to 19 bits by mma_sync; __float_to_tf32 = cvt.rna.tf32.f32).
//
// JK_WMMA_TF32 is 1 where the TF32 API exists: the emulator, nvcc's host pass, and device code for
// sm_80 and newer. Under sm_75 <mma.h> has no precision::tf32, so a tensor-core kernel compiles its
// body only when JK_WMMA_TF32 is 1 and traps otherwise (the kernel exists in every SASS image; Java
// never launches it below compute capability 8.0).
#pragma once

#include "jkernels/common.cuh"

#ifndef JK_EMULATOR
#include <mma.h>
#endif

#if defined(JK_EMULATOR) || !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define JK_WMMA_TF32 1
#else
#define JK_WMMA_TF32 0
#endif

#if JK_WMMA_TF32
namespace jk {
// load_matrix_sync from shared memory. <mma.h> takes a generic pointer and nvcc keeps the generic
// wmma.load (LD.E per element, with 64-bit address arithmetic) even for a __shared__ array; these
// issue wmma.load...shared.tf32 with the 32-bit shared address instead (LDS), the same fragment
// registers in the same order as <mma.h>'s builtin. The emulator's equivalent is load_matrix_sync
// itself (its alignment and ldm checks included). p must point into shared memory.
#ifdef JK_EMULATOR
#define JK_WMMA_LOAD_SHARED(USE, LAYOUT, PTX)                                                                    \
    __device__ __forceinline__ void wmma_load_shared(                                                            \
        nvcuda::wmma::fragment<nvcuda::wmma::USE, 16, 16, 8, nvcuda::wmma::precision::tf32, nvcuda::wmma::LAYOUT>& f, \
        const float* p, unsigned ldm) {                                                                          \
        nvcuda::wmma::load_matrix_sync(f, p, ldm);                                                               \
    }
#else
#define JK_WMMA_LOAD_SHARED(USE, LAYOUT, PTX)                                                                    \
    __device__ __forceinline__ void wmma_load_shared(                                                            \
        nvcuda::wmma::fragment<nvcuda::wmma::USE, 16, 16, 8, nvcuda::wmma::precision::tf32, nvcuda::wmma::LAYOUT>& f, \
        const float* p, unsigned ldm) {                                                                          \
        const unsigned s = (unsigned)__cvta_generic_to_shared(p);                                                \
        unsigned r0, r1, r2, r3;                                                                                 \
        asm volatile(PTX " {%0, %1, %2, %3}, [%4], %5;"                                                          \
                     : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)                                                     \
                     : "r"(s), "r"(ldm)                                                                           \
                     : "memory");                                                                                \
        f.x[0] = __uint_as_float(r0);                                                                            \
        f.x[1] = __uint_as_float(r1);                                                                            \
        f.x[2] = __uint_as_float(r2);                                                                            \
        f.x[3] = __uint_as_float(r3);                                                                            \
    }
#endif
JK_WMMA_LOAD_SHARED(matrix_a, row_major, "wmma.load.a.sync.aligned.row.m16n16k8.shared.tf32")
JK_WMMA_LOAD_SHARED(matrix_a, col_major, "wmma.load.a.sync.aligned.col.m16n16k8.shared.tf32")
JK_WMMA_LOAD_SHARED(matrix_b, row_major, "wmma.load.b.sync.aligned.row.m16n16k8.shared.tf32")
JK_WMMA_LOAD_SHARED(matrix_b, col_major, "wmma.load.b.sync.aligned.col.m16n16k8.shared.tf32")
#undef JK_WMMA_LOAD_SHARED
}  // namespace jk
#endif
