// jk_round_tf32: y[i] = __float_to_tf32(x[i]) (cvt.rna.tf32.f32: round to nearest, ties away from
// zero, to 10 mantissa bits; the low 13 bits of the result are zero, Inf and NaN only masked: see
// cuda/emu/wmma_emu.h for the exact rule read from the SASS). It exists so that the Java
// rounding (Tf32.round, the CPU backend's TF32) is tested bit for bit against the instruction the
// tensor-core kernels use, on the emulator and on a GPU. A grid-stride loop, one element per thread
// and step; no barrier (serial mode runs it). sm_75 has no TF32 conversion: the body traps there.
#include "jkernels/wmma.cuh"

extern "C" __global__ void jk_round_tf32(const float* x, float* y, long long n) {
#if JK_WMMA_TF32
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = nvcuda::wmma::__float_to_tf32(x[i]);
#else
    __trap();
#endif
}
JK_REGISTER_KERNEL(jk_round_tf32)
