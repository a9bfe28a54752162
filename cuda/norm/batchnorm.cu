// Batch normalisation in inference: y = (x - mean[c]) * gamma[c] / sqrt(var[c] + eps) + beta[c],
// the tensor seen as [outer, C, inner] (NCHW: inner = H*W; NHWC and [N, C]: inner = 1).
//
// Who computes what: a grid-stride loop, one element per thread and iteration; the channel is
// (i / inner) % C. The four per-channel values are re-read per element: C floats each, they stay in
// L1/L2, and computing the scale here saves a launch (the usual path is no launch at all: Sequential
// folds BN into the conv before it). gamma/beta may be null (1 and 0). In place allowed (y == x).
#include "jkernels/common.cuh"

extern "C" __global__ void jk_batchnorm_inference(const float* x, float* y, const float* gamma, const float* beta,
                                                  const float* mean, const float* var, float eps, long long n,
                                                  long long inner, int channels) {
    for (jk::index_t i = (jk::index_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (jk::index_t)gridDim.x * blockDim.x) {
        const int c = (int)((inner == 1 ? i : i / inner) % channels);
        const float scale = (gamma ? gamma[c] : 1.f) / sqrtf(var[c] + eps);
        y[i] = (x[i] - mean[c]) * scale + (beta ? beta[c] : 0.f);
    }
}
JK_REGISTER_KERNEL(jk_batchnorm_inference)
