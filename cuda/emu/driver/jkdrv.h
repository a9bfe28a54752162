// The emulated CUDA driver (libcuda.so.1) and cuBLAS (libcublas.so.12): the types and constants of
// the driver API subset they implement, with the values of cuda.h / cublas_api.h (the toolkit's
// headers are not needed to build them), and the driver's internal C API that the cuBLAS library
// uses for device-pointer checks and stream work. Never shipped on the library's default path:
// the build puts both libraries in target/emulated-driver/, for the tests and the rig rehearsal.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct jkdrv_ctx* CUcontext;
typedef struct jkdrv_module* CUmodule;
typedef struct jkdrv_function* CUfunction;
typedef struct jkdrv_stream* CUstream;
typedef struct jkdrv_event* CUevent;

// ---- CUresult (cuda.h) ---------------------------------------------------------------------------
enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_ASSERT = 710,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_NOT_PERMITTED = 800,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_UNKNOWN = 999,
};

// ---- attributes and flags (cuda.h) --------------------------------------------------------------
enum {
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    CU_FUNC_ATTRIBUTE_CACHE_MODE_CA = 7,
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
};
enum { CU_STREAM_DEFAULT = 0, CU_STREAM_NON_BLOCKING = 1 };
enum { CU_EVENT_DEFAULT = 0, CU_EVENT_BLOCKING_SYNC = 1, CU_EVENT_DISABLE_TIMING = 2 };
#define JKDRV_STREAM_LEGACY ((CUstream)0x1)
#define JKDRV_STREAM_PER_THREAD ((CUstream)0x2)
#define JKDRV_LAUNCH_PARAM_END ((void*)0x00)
#define JKDRV_LAUNCH_PARAM_BUFFER_POINTER ((void*)0x01)
#define JKDRV_LAUNCH_PARAM_BUFFER_SIZE ((void*)0x02)

// ---- the emulated device: an H200's limits -----------------------------------------------------
#define JKDRV_DEVICE_NAME "jkernels emulated GPU"
enum {
    JKDRV_CC_MAJOR = 9,
    JKDRV_CC_MINOR = 0,
    JKDRV_SMS = 132,
    JKDRV_MAX_THREADS_PER_BLOCK = 1024,
    JKDRV_MAX_BLOCK_X = 1024,
    JKDRV_MAX_BLOCK_Y = 1024,
    JKDRV_MAX_BLOCK_Z = 64,
    JKDRV_MAX_GRID_X = 2147483647,
    JKDRV_MAX_GRID_YZ = 65535,
    JKDRV_SHARED_PER_BLOCK = 49152,         // without the opt-in attribute
    JKDRV_SHARED_PER_BLOCK_OPTIN = 232448,  // 227 KiB
    JKDRV_SHARED_PER_SM = 233472,           // 228 KiB
    JKDRV_REGS_PER_BLOCK = 65536,
    JKDRV_REGS_PER_SM = 65536,
    JKDRV_MAX_THREADS_PER_SM = 2048,
    JKDRV_MAX_BLOCKS_PER_SM = 32,
    JKDRV_WARP = 32,
    JKDRV_DRIVER_VERSION = 13000,  // CUDA 13.0, as the rig's driver 580
};
#define JKDRV_TOTAL_MEMORY 150754820096ULL  // 140.4 GiB, the H200's HBM3e

// ---- the driver's internal API, for the emulated cuBLAS ----------------------------------------
/** A description of the emulated driver; its presence marks the library as the fake (CudaProbe). */
const char* jkernels_emulated_driver(void);

/**
 * CUDA_SUCCESS when [p, p + bytes) lies inside one live device allocation; otherwise prints why
 * (naming `what`) on stderr and returns CUDA_ERROR_INVALID_VALUE.
 */
CUresult jkdrv_check_device_range(CUdeviceptr p, unsigned long long bytes, const char* what);

/**
 * Queues `fn(arg)` on `stream` (0 or CU_STREAM_LEGACY: the legacy default stream) of the calling
 * thread's current context, with the legacy stream's ordering rules; `dispose(arg)` runs after it
 * (or instead of it, when the context already failed). `fn` returns null on success or a message,
 * which makes the context's error sticky (CUDA_ERROR_LAUNCH_FAILED). Fails with
 * CUDA_ERROR_INVALID_CONTEXT without a current context.
 */
CUresult jkdrv_submit(CUstream stream, const char* (*fn)(void*), void* arg, void (*dispose)(void*), const char* what);

/** Whether cuInit has succeeded. */
int jkdrv_initialized(void);

/** Says `what` once per process on stderr, as every entry point that is not implemented does. */
void jkdrv_note_once(const char* what);
}
