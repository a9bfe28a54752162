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
