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
