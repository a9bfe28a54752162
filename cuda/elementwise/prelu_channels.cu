// PReLU with one slope per channel, element-wise, forward and backward: the kernels behind
// Backend.activation / activationBackward for Activation.prelu(slopes). (A single shared slope, and
// PReLU in the GEMM and conv epilogues, go through the JK_ACTIVATIONS kernels and the epilogue
// descriptor instead; this file only adds the channel lookup.)
//
// Who computes what: a grid-stride loop; thread t handles elements t, t + stride, ... The channel of
// element i is (i / inner) % channels: inner = H·W for NCHW (and the product of the trailing dims of
// a PLAIN tensor of rank > 2), 1 for NHWC and [N, C]. The value itself is Activation<Act::PRELU>, the
// functor the epilogues use, so NaN and the backward rule are the same everywhere.
// Index arithmetic is 32-bit when n fits (a uniform branch): two 64-bit divisions per element
// cost far more instructions than the load and store they serve.
#include "jkernels/activation.cuh"

namespace jk::prelu_channels_kernels {

template <class Index>
__device__ __forceinline__ void fwd(const float* x, float* y, Index n, const float* slopes, Index channels, Index inner) {
    const Index stride = (Index)gridDim.x * blockDim.x;
    for (Index i = (Index)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = Activation<Act::PRELU>::fwd(x[i], slopes[(i / inner) % channels], 0.f);
    }
}

template <class Index>
__device__ __forceinline__ void bwd(const float* x, const float* dy, float* dx, Index n, const float* slopes,
                                    Index channels, Index inner) {
    const Index stride = (Index)gridDim.x * blockDim.x;
    for (Index i = (Index)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        dx[i] = Activation<Act::PRELU>::bwd(x[i], dy[i], slopes[(i / inner) % channels], 0.f);
    }
}

}  // namespace jk::prelu_channels_kernels

// y may be x and dx may be dy (in place), so no pointer is __restrict__.
extern "C" __global__ void jk_prelu_fwd_channels(const float* x, float* y, long long n, const float* slopes,
                                                 long long channels, long long inner) {
    if (n <= 0x7fffffffLL) {
        jk::prelu_channels_kernels::fwd<unsigned>(x, y, (unsigned)n, slopes, (unsigned)channels, (unsigned)inner);
    } else {
        jk::prelu_channels_kernels::fwd<jk::index_t>(x, y, n, slopes, channels, inner);
    }
}
JK_REGISTER_KERNEL(jk_prelu_fwd_channels)

extern "C" __global__ void jk_prelu_bwd_channels(const float* x, const float* dy, float* dx, long long n,
                                                 const float* slopes, long long channels, long long inner) {
    if (n <= 0x7fffffffLL) {
        jk::prelu_channels_kernels::bwd<unsigned>(x, dy, dx, (unsigned)n, slopes, (unsigned)channels, (unsigned)inner);
    } else {
        jk::prelu_channels_kernels::bwd<jk::index_t>(x, dy, dx, n, slopes, channels, inner);
    }
}
JK_REGISTER_KERNEL(jk_prelu_bwd_channels)
