// The epilogue of a GEMM that has none of its own: cuBLAS's SGEMM (GemmAlgorithm.CUBLAS) computes
// alpha·A·B + beta·C; this kernel then does the rest of DESIGN's order in place: + bias[n] ->
// + residual[m][n] -> activation (ep's alpha and beta were cuBLAS's and are not applied again). It exists so that CUBLAS accepts every GemmSpec, at the price of one more pass over
// C (8 bytes per element), which is exactly what the fused epilogues of the other variants avoid.
//
// One thread per element of C, grid-stride over M·N (int64) in row-major order, so a warp touches
// 32 consecutive elements of a row and reads bias[n] coalesced. 256-thread blocks.
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

constexpr int kBiasActivationThreads = 256;

__device__ __forceinline__ void gemm_bias_activation(float* __restrict__ C, int M, int N, int ldc, Epilogue ep) {
    ep.alpha = 1.f;
    ep.beta = 0.f;
    const index_t total = (index_t)M * N;
    const index_t stride = (index_t)gridDim.x * blockDim.x;
    for (index_t i = (index_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int m = (int)(i / N), n = (int)(i - (index_t)m * N);
        float* c = C + (index_t)m * ldc + n;
        *c = epilogue_apply(ep, *c, 0.f, n, (index_t)m * ep.residualLd + n);
    }
}

}  // namespace gemm
}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::gemm::kBiasActivationThreads)
    jk_gemm_bias_act(float* C, int M, int N, int ldc, jk::Epilogue ep) {
    jk::gemm::gemm_bias_activation(C, M, N, ldc, ep);
}
JK_REGISTER_KERNEL(jk_gemm_bias_act)
