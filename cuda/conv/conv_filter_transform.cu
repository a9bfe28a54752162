// Filter layout transforms, run once per weight change (the backend caches the result next to the
// filter tensor), never per convolution.
//
// jk_conv_filter_gemm_b: PyTorch's [K, C/groups, R, S] -> the implicit GEMM's B operand
//   Bg[g][j][kgPad] (conv_fast_common.cuh), j = (c, r, s) for NCHW gathers, (r, s, c) for NHWC
//   gathers (KRSC order, transposed to put k innermost). Columns k >= K/groups are zero.
// jk_conv_filter_winograd_2x2_3x3: [K, C, 3, 3] -> U[16][C][K] = G g G^T for F(2x2, 3x3), one 4x4
//   tile per (k, c), stored as 16 matrices C x K so that the Winograd kernel's 16 batched GEMMs read
//   k contiguously.
// One thread per output element, grid-stride (int64): memory-bound, once per weight change.
#include "conv_fast_common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    jk_conv_filter_gemm_b(const float* __restrict__ filters, float* __restrict__ out, int K, int cPerGroup, int R,
                          int S, int groups, int nhwcOrder) {
    const int kPerGroup = K / groups, kgPad = jk::conv_fast::kg_padded(kPerGroup);
    const int RS = R * S, reduction = cPerGroup * RS;
    const jk::index_t total = (jk::index_t)groups * reduction * kgPad;
    const jk::index_t stride = (jk::index_t)gridDim.x * blockDim.x;
    for (jk::index_t i = (jk::index_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int kc = (int)(i % kgPad);
        const jk::index_t t = i / kgPad;
        const int j = (int)(t % reduction), g = (int)(t / reduction);
        float v = 0.f;
        if (kc < kPerGroup) {
            int c, rs;
            if (nhwcOrder) { rs = j / cPerGroup; c = j - rs * cPerGroup; }
            else           { c = j / RS; rs = j - c * RS; }
            v = filters[((jk::index_t)g * kPerGroup + kc) * reduction + (jk::index_t)c * RS + rs];
        }
        out[i] = v;
    }
}
JK_REGISTER_KERNEL(jk_conv_filter_gemm_b)

extern "C" __global__ void __launch_bounds__(256)
    jk_conv_filter_winograd_2x2_3x3(const float* __restrict__ filters, float* __restrict__ out, int K, int C) {
    const jk::index_t total = (jk::index_t)K * C;
    const jk::index_t stride = (jk::index_t)gridDim.x * blockDim.x;
    for (jk::index_t i = (jk::index_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int c = (int)(i % C), k = (int)(i / C);
        const float* g = filters + ((jk::index_t)k * C + c) * 9;
        // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; t = G g (4 x 3), u = t G^T (4 x 4).
        float t[4][3];
        for (int col = 0; col < 3; ++col) {
            const float g0 = g[col], g1 = g[3 + col], g2 = g[6 + col];
            t[0][col] = g0;
            t[1][col] = 0.5f * (g0 + g1 + g2);
            t[2][col] = 0.5f * (g0 - g1 + g2);
            t[3][col] = g2;
        }
        for (int row = 0; row < 4; ++row) {
            const float a = t[row][0], b = t[row][1], d = t[row][2];
            const float u[4] = {a, 0.5f * (a + b + d), 0.5f * (a - b + d), d};
            for (int col = 0; col < 4; ++col) out[((jk::index_t)(row * 4 + col) * C + c) * K + k] = u[col];
        }
    }
}
JK_REGISTER_KERNEL(jk_conv_filter_winograd_2x2_3x3)
