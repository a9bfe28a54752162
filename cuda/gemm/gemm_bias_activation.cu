// The epilogue as a pass of its own, for the GEMMs whose kernel cannot apply it:
//   jk_gemm_bias_act       after cuBLAS's SGEMM (GemmAlgorithm.CUBLAS), which computed
//                          alpha·A·B + beta·C: in place, C = act(C + bias[n] + residual[m][n]) (ep's
//                          alpha and beta were cuBLAS's and are not applied again). It exists so that
//                          CUBLAS accepts every GemmSpec, at the price of one more pass over C (8
//                          bytes per element), which is what the fused epilogues avoid.
//   jk_gemm_splitk_reduce  after a split-K GEMM (gemm_pipelined.cu with gridDim.z = s): C =
//                          epilogue(sum over z = 0..s-1 of the partial sums ws[z]), the slices added
//                          in that fixed order (deterministic; no atomics), then alpha, beta·C, bias,
//                          residual and the activation, as the fused epilogue would.
//
// Who computes what: the grid's y walks rows (grid-stride, any M), its x walks each row's columns
// four at a time, so a thread computes 4 consecutive outputs with float4 loads and stores when every
// operand is 16-byte aligned with a row length that keeps rows aligned (one uniform test), one at a
// time otherwise. No integer division anywhere (the old pass divided a 64-bit index by N per
// element). 256-thread blocks: a warp covers 512 consecutive bytes of a row.
#include "gemm_common.cuh"

namespace jk {
namespace gemm {

constexpr int kBiasActivationThreads = 256;

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// out[m][n] = epilogue(sum_z ws[z·wsStride + m·wsLd + n]); out may be ws itself when splits == 1.
__device__ __forceinline__ void reduce_epilogue(const float* ws, index_t wsStride, int splits, int wsLd, int M, int N,
                                                float* out, int ldc, const Epilogue& ep) {
    const bool vec = (N & 3) == 0 && (wsLd & 3) == 0 && (ldc & 3) == 0 && (wsStride & 3) == 0 && aligned16(ws) &&
                     aligned16(out) && (ep.bias == nullptr || aligned16(ep.bias)) &&
                     (ep.actSlopes == nullptr || aligned16(ep.actSlopes)) &&
                     (ep.residual == nullptr || (aligned16(ep.residual) && (ep.residualLd & 3) == 0));
    const bool act = epilogue_has_activation(ep);
    const int colStride = gridDim.x * blockDim.x * 4;
    for (int m = blockIdx.y; m < M; m += gridDim.y) {
        const float* src = ws + (index_t)m * wsLd;
        float* dst = out + (index_t)m * ldc;
        const float* res = ep.residual != nullptr ? ep.residual + (index_t)m * ep.residualLd : nullptr;
        const int first = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
        if (vec) {
            for (int n = first; n < N; n += colStride) {
                float4 v = *reinterpret_cast<const float4*>(src + n);
                for (int z = 1; z < splits; ++z) {
                    const float4 p = *reinterpret_cast<const float4*>(src + z * wsStride + n);
                    v.x += p.x; v.y += p.y; v.z += p.z; v.w += p.w;
                }
                v.x *= ep.alpha; v.y *= ep.alpha; v.z *= ep.alpha; v.w *= ep.alpha;
                if (ep.beta != 0.f) {
                    const float4 c = *reinterpret_cast<const float4*>(dst + n);
                    v.x = fmaf(ep.beta, c.x, v.x); v.y = fmaf(ep.beta, c.y, v.y);
                    v.z = fmaf(ep.beta, c.z, v.z); v.w = fmaf(ep.beta, c.w, v.w);
                }
                if (ep.bias != nullptr) {
                    const float4 b = *reinterpret_cast<const float4*>(ep.bias + n);
                    v.x += b.x; v.y += b.y; v.z += b.z; v.w += b.w;
                }
                if (res != nullptr) {
                    const float4 r = *reinterpret_cast<const float4*>(res + n);
                    v.x += r.x; v.y += r.y; v.z += r.z; v.w += r.w;
                }
                if (act) {
                    v.x = epilogue_activation(ep, v.x, n);
                    v.y = epilogue_activation(ep, v.y, n + 1);
                    v.z = epilogue_activation(ep, v.z, n + 2);
                    v.w = epilogue_activation(ep, v.w, n + 3);
                }
                *reinterpret_cast<float4*>(dst + n) = v;
            }
        } else {
            for (int n0 = first; n0 < N; n0 += colStride) {
                const int nEnd = n0 + 4 < N ? n0 + 4 : N;
                for (int n = n0; n < nEnd; ++n) {
                    float v = src[n];
                    for (int z = 1; z < splits; ++z) v += src[z * wsStride + n];
                    v = epilogue_linear(ep, v, ep.beta != 0.f ? dst[n] : 0.f, n, (index_t)m * ep.residualLd + n);
                    dst[n] = act ? epilogue_activation(ep, v, n) : v;
                }
            }
        }
    }
}

}  // namespace gemm
}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::gemm::kBiasActivationThreads)
    jk_gemm_bias_act(float* C, int M, int N, int ldc, jk::Epilogue ep) {
    ep.alpha = 1.f;
    ep.beta = 0.f;
    jk::gemm::reduce_epilogue(C, 0, 1, ldc, M, N, C, ldc, ep);
}
JK_REGISTER_KERNEL(jk_gemm_bias_act)

extern "C" __global__ void __launch_bounds__(jk::gemm::kBiasActivationThreads)
    jk_gemm_splitk_reduce(const float* ws, int splits, int M, int N, float* C, int ldc, jk::Epilogue ep) {
    jk::gemm::reduce_epilogue(ws, (jk::index_t)M * N, splits, N, M, N, C, ldc, ep);
}
JK_REGISTER_KERNEL(jk_gemm_splitk_reduce)
