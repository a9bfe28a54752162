// Kernels with planted bugs, and two correct twins, for the sanitizer suite to prove itself on:
// if a sanitizer or the emulator stays silent on one of these, run-sanitizers.sh fails.
// Compiled only into the sanitizer harness, never into the library or the fatbin.
#include "jkernels/common.cuh"

// Off by one: writes y[n], one float past the end. AddressSanitizer must report a heap-buffer-overflow.
extern "C" __global__ void jk_test_oob_write(float* y, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i <= n; i += (long long)gridDim.x * blockDim.x) {
        y[i] = 1.f;
    }
}
JK_REGISTER_KERNEL(jk_test_oob_write)

// Reverses each 64-float tile through shared memory: thread t stores x[t] in the tile, then reads
// the tile at 63 - t, which another thread stored. The correct kernel waits at __syncthreads in
// between; the planted one does not, so its reads race with the other threads' writes
// (ThreadSanitizer in threads mode must report it; in fibers mode the results are wrong).
constexpr int kTile = 64;

extern "C" __global__ void jk_test_tile_reverse(const float* x, float* y, int n) {
    __shared__ float tile[kTile];
    int i = blockIdx.x * kTile + threadIdx.x;
    tile[threadIdx.x] = i < n ? x[i] : 0.f;
    __syncthreads();
    int src = blockIdx.x * kTile + (kTile - 1 - threadIdx.x);
    if (i < n && src < n) y[i] = tile[kTile - 1 - threadIdx.x];
}
JK_REGISTER_KERNEL(jk_test_tile_reverse)

extern "C" __global__ void jk_test_tile_reverse_nosync(const float* x, float* y, int n) {
    __shared__ float tile[kTile];
    int i = blockIdx.x * kTile + threadIdx.x;
    tile[threadIdx.x] = i < n ? x[i] : 0.f;
    // planted bug: no __syncthreads() here
    int src = blockIdx.x * kTile + (kTile - 1 - threadIdx.x);
    if (i < n && src < n) y[i] = tile[kTile - 1 - threadIdx.x];
}
JK_REGISTER_KERNEL(jk_test_tile_reverse_nosync)

// Thread 5 returns before the barrier the others wait at: the emulator must fail the launch
// (naming block and thread 5), not hang.
extern "C" __global__ void jk_test_partial_barrier(float* y) {
    if (threadIdx.x == 5) return;
    __syncthreads();
    y[threadIdx.x] = 1.f;
}
JK_REGISTER_KERNEL(jk_test_partial_barrier)

// Thread 7 of block 1 fails a device assert while the others wait at a barrier: the launch must
// fail naming block (1,0,0) and thread (7,0,0), and nobody may hang.
extern "C" __global__ void jk_test_trap(float* y) {
    assert(!(blockIdx.x == 1 && threadIdx.x == 7));
    __syncthreads();
    y[blockIdx.x * blockDim.x + threadIdx.x] = 2.f;
}
JK_REGISTER_KERNEL(jk_test_trap)

// Dynamic shared memory: each block sums its slice through an extern __shared__ array.
extern "C" __global__ void jk_test_dynamic_shared_sum(const float* x, float* sums, int n) {
    JK_DYNAMIC_SHARED(float, buf);
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    buf[threadIdx.x] = i < n ? x[i] : 0.f;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) sums[blockIdx.x] = buf[0];
}
JK_REGISTER_KERNEL(jk_test_dynamic_shared_sum)

// ---- wmma (tensor-core fragments) -----------------------------------------------------------------
#include "jkernels/wmma.cuh"

namespace jk_test_wmma {
namespace wmma = nvcuda::wmma;

// One m16n16k8 step per warp: D = A * B + C, A (16x8) and B (8x16) in either layout, C loaded and D
// stored in either memory layout, the inputs optionally converted to TF32 first. Warp w of the block
// works on its own matrices (A + w*aStride, ...), so that a block of several warps checks the lanes.
template <class LA, class LB>
__device__ void mma_one(const float* A, int lda, const float* B, int ldb, const float* C, int ldc, int cLayout,
                        float* D, int ldd, int dLayout, int convert) {
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, LA> a;
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, LB> b;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> c;
    wmma::load_matrix_sync(a, A, lda);
    wmma::load_matrix_sync(b, B, ldb);
    if (C != nullptr) wmma::load_matrix_sync(c, C, ldc, cLayout ? wmma::mem_col_major : wmma::mem_row_major);
    else wmma::fill_fragment(c, 0.f);
    if (convert) {
        for (int i = 0; i < a.num_elements; ++i) a.x[i] = wmma::__float_to_tf32(a.x[i]);
        for (int i = 0; i < b.num_elements; ++i) b.x[i] = wmma::__float_to_tf32(b.x[i]);
    }
    wmma::mma_sync(c, a, b, c);
    wmma::store_matrix_sync(D, c, ldd, dLayout ? wmma::mem_col_major : wmma::mem_row_major);
}
}  // namespace jk_test_wmma

extern "C" __global__ void jk_test_wmma_mma(const float* A, int lda, int aCol, const float* B, int ldb, int bCol,
                                            const float* C, int ldc, int cLayout, float* D, int ldd, int dLayout,
                                            int convert, long long warpStride) {
    using namespace jk_test_wmma;
    const long long w = threadIdx.x / 32;
    A += w * warpStride; B += w * warpStride; D += w * warpStride;
    if (C != nullptr) C += w * warpStride;
    if (!aCol && !bCol) mma_one<wmma::row_major, wmma::row_major>(A, lda, B, ldb, C, ldc, cLayout, D, ldd, dLayout, convert);
    if (!aCol && bCol) mma_one<wmma::row_major, wmma::col_major>(A, lda, B, ldb, C, ldc, cLayout, D, ldd, dLayout, convert);
    if (aCol && !bCol) mma_one<wmma::col_major, wmma::row_major>(A, lda, B, ldb, C, ldc, cLayout, D, ldd, dLayout, convert);
    if (aCol && bCol) mma_one<wmma::col_major, wmma::col_major>(A, lda, B, ldb, C, ldc, cLayout, D, ldd, dLayout, convert);
}
JK_REGISTER_KERNEL(jk_test_wmma_mma)

// Planted bug: a fragment loaded with the wrong leading dimension. A is a 16x8 row-major tile (128
// floats, ldm 8), loaded with ldm 16 (the accumulator's width): rows 8..15 read past the end of A.
// AddressSanitizer must report a heap-buffer-overflow inside load_matrix_sync.
extern "C" __global__ void jk_test_wmma_wrong_ldm(const float* A, const float* B, float* D) {
    using namespace jk_test_wmma;
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> c;
    wmma::load_matrix_sync(a, A, 16);  // planted bug: A's leading dimension is 8
    wmma::load_matrix_sync(b, B, 16);
    wmma::fill_fragment(c, 0.f);
    wmma::mma_sync(c, a, b, c);
    wmma::store_matrix_sync(D, c, 16, wmma::mem_row_major);
}
JK_REGISTER_KERNEL(jk_test_wmma_wrong_ldm)
