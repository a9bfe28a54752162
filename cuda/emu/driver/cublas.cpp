// libcublas.so.12, emulated: what CublasGemm and JCublas's initialisation call, on the emulated
// driver's streams (libcuda.so.1 from this folder, whose internal API it uses). SGEMM follows the
// cuBLAS documentation exactly: column-major, C = alpha*op(A)*op(B) + beta*C with op N, T or C
// (C = T for real data), lda >= max(1, rows of A as stored), likewise ldb and ldc; C is not read when
// beta == 0 (NaN there stays out of the result), and A and B are not read when alpha == 0 or k == 0.
// Each product is an FP32 fused multiply-add chain over k in order, as on the GPU; in
// CUBLAS_TF32_TENSOR_OP_MATH the inputs are first rounded to TF32 (10-bit mantissa), so a TF32
// baseline shows up in the tolerances here as it would on a GPU. It runs on the handle's stream,
// asynchronously, with the device pointers checked when it is called and when it runs.
// Every other cuBLAS entry point JCublas imports answers CUBLAS_STATUS_NOT_SUPPORTED (generated
// stubs) and names itself once on stderr.
#include "jkdrv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
};
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 };
enum { CUBLAS_POINTER_MODE_HOST = 0, CUBLAS_POINTER_MODE_DEVICE = 1 };
enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TENSOR_OP_MATH = 1, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3 };
constexpr int MATH_MODE_MASK = 0xf;
constexpr int MATH_FLAGS = 16;  // CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION

void say(const std::string& s) {
    fprintf(stderr, "[jkernels emulated cuBLAS] %s\n", s.c_str());
    fflush(stderr);
}

}  // namespace

struct cublasContext {
    CUstream stream = nullptr;
    int mathMode = CUBLAS_DEFAULT_MATH;
    int pointerMode = CUBLAS_POINTER_MODE_HOST;
    int atomicsMode = 0;
};
typedef cublasContext* cublasHandle_t;
typedef int cublasStatus_t;

namespace {
std::mutex g_m;
std::set<cublasHandle_t> g_handles;

bool live(cublasHandle_t h) {
    std::lock_guard<std::mutex> lk(g_m);
    return g_handles.count(h) != 0;
}

float tf32(float x) {
    if (!std::isfinite(x)) return x;
    unsigned u;
    memcpy(&u, &x, 4);
    u += 0x0fffu + ((u >> 13) & 1u);  // round to nearest even at mantissa bit 13
    u &= ~0x1fffu;
    memcpy(&x, &u, 4);
    return x;
}

struct Sgemm {
    int opA, opB, m, n, k, lda, ldb, ldc;
    bool devicePointers, tf32;
    float alpha, beta;                  // host pointer mode: read at the call
    const float *dAlpha, *dBeta;        // device pointer mode: read when it runs
    const float *A, *B;
    float* C;
    unsigned long long bytesA, bytesB, bytesC;
};

unsigned long long extent(int rows, int cols, int ld) {  // bytes of a column-major rows x cols matrix
    if (rows == 0 || cols == 0) return 0;
    return ((unsigned long long)(cols - 1) * (unsigned)ld + (unsigned)rows) * sizeof(float);
}

const char* run_sgemm(void* arg) {
    Sgemm& g = *static_cast<Sgemm*>(arg);
    if (g.bytesC && jkdrv_check_device_range((CUdeviceptr)g.C, g.bytesC, "cublasSgemm C (when it ran)")) return "C is not device memory";
    if (g.bytesA && jkdrv_check_device_range((CUdeviceptr)g.A, g.bytesA, "cublasSgemm A (when it ran)")) return "A is not device memory";
    if (g.bytesB && jkdrv_check_device_range((CUdeviceptr)g.B, g.bytesB, "cublasSgemm B (when it ran)")) return "B is not device memory";
    float alpha = g.devicePointers ? *g.dAlpha : g.alpha;
    float beta = g.devicePointers ? *g.dBeta : g.beta;
    bool product = alpha != 0.f && g.k > 0;
    std::vector<float> acc(g.m), bcol(g.k);
    auto a = [&](int i, int p) { float v = g.opA == CUBLAS_OP_N ? g.A[i + (size_t)p * g.lda] : g.A[p + (size_t)i * g.lda]; return g.tf32 ? tf32(v) : v; };
    for (int j = 0; j < g.n; ++j) {
        std::fill(acc.begin(), acc.end(), 0.f);
        if (product) {
            for (int p = 0; p < g.k; ++p) {
                float v = g.opB == CUBLAS_OP_N ? g.B[p + (size_t)j * g.ldb] : g.B[j + (size_t)p * g.ldb];
                bcol[p] = g.tf32 ? tf32(v) : v;
            }
            // Every element's sum runs over p in order, one FMA per term, whichever loop is outside.
            if (g.opA == CUBLAS_OP_N) {
                for (int p = 0; p < g.k; ++p)
                    for (int i = 0; i < g.m; ++i) acc[i] = std::fma(a(i, p), bcol[p], acc[i]);
            } else {
                for (int i = 0; i < g.m; ++i) {
                    float s = 0.f;
                    for (int p = 0; p < g.k; ++p) s = std::fma(a(i, p), bcol[p], s);
                    acc[i] = s;
                }
            }
        }
        float* c = g.C + (size_t)j * g.ldc;
        for (int i = 0; i < g.m; ++i) {
            float v = product ? alpha * acc[i] : 0.f;
            c[i] = beta == 0.f ? v : std::fma(beta, c[i], v);
        }
    }
    return nullptr;
}

void dispose_sgemm(void* arg) { delete static_cast<Sgemm*>(arg); }

cublasStatus_t from_driver(CUresult r, const char* what) {
    if (r == CUDA_SUCCESS) return CUBLAS_STATUS_SUCCESS;
    say(std::string(what) + ": the driver said " + std::to_string(r) + ": CUBLAS_STATUS_EXECUTION_FAILED");
    return CUBLAS_STATUS_EXECUTION_FAILED;
}
}  // namespace

extern "C" {

const char* jkernels_emulated_cublas(void) { return "jkernels emulated cuBLAS: SGEMM on the CPU; not a GPU"; }

cublasStatus_t cublasCreate_v2(cublasHandle_t* h) {
    if (!h) return CUBLAS_STATUS_INVALID_VALUE;
    if (!jkdrv_initialized()) {
        say("cublasCreate: CUBLAS_STATUS_NOT_INITIALIZED: cuInit has not succeeded");
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    cublasHandle_t c = new cublasContext();
    std::lock_guard<std::mutex> lk(g_m);
    g_handles.insert(c);
    *h = c;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
    std::lock_guard<std::mutex> lk(g_m);
    if (!g_handles.erase(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t h, CUstream s) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    h->stream = s;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t h, CUstream* s) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!s) return CUBLAS_STATUS_INVALID_VALUE;
    *s = h->stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, int mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    int base = mode & MATH_MODE_MASK;
    if ((mode & ~(MATH_MODE_MASK | MATH_FLAGS)) || base > CUBLAS_TF32_TENSOR_OP_MATH) return CUBLAS_STATUS_INVALID_VALUE;
    h->mathMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t h, int* mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = h->mathMode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t h, int mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode != CUBLAS_POINTER_MODE_HOST && mode != CUBLAS_POINTER_MODE_DEVICE) return CUBLAS_STATUS_INVALID_VALUE;
    h->pointerMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t h, int* mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = h->pointerMode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetAtomicsMode(cublasHandle_t h, int mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    h->atomicsMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetAtomicsMode(cublasHandle_t h, int* mode) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = h->atomicsMode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t h, void* ws, size_t bytes) {
    (void)ws;
    (void)bytes;
    return live(h) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasGetVersion_v2(cublasHandle_t h, int* v) {
    (void)h;
    if (!v) return CUBLAS_STATUS_INVALID_VALUE;
    *v = 120600;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetProperty(int type, int* v) {
    if (!v) return CUBLAS_STATUS_INVALID_VALUE;
    switch (type) {
        case 0: *v = 12; return CUBLAS_STATUS_SUCCESS;  // MAJOR_VERSION
        case 1: *v = 6; return CUBLAS_STATUS_SUCCESS;   // MINOR_VERSION
        case 2: *v = 0; return CUBLAS_STATUS_SUCCESS;   // PATCH_LEVEL
        default: return CUBLAS_STATUS_INVALID_VALUE;
    }
}

size_t cublasGetCudartVersion(void) { return 12060; }

const char* cublasGetStatusName(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "unknown cuBLAS status";
    }
}

const char* cublasGetStatusString(cublasStatus_t s) { return cublasGetStatusName(s); }

void cublasXerbla(const char* name, int info) { say(std::string(name ? name : "?") + ": parameter " + std::to_string(info) + " is invalid"); }

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A,
                              int lda, const float* B, int ldb, const float* beta, float* C, int ldc) {
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    auto bad = [](const std::string& why) {
        say("cublasSgemm: CUBLAS_STATUS_INVALID_VALUE: " + why);
        return CUBLAS_STATUS_INVALID_VALUE;
    };
    auto opOk = [](int op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; };
    if (!opOk(transa) || !opOk(transb)) return bad("transa/transb must be CUBLAS_OP_N, _T or _C");
    if (m < 0 || n < 0 || k < 0) return bad("m, n, k must be >= 0, got " + std::to_string(m) + ", " + std::to_string(n) + ", " + std::to_string(k));
    int opA = transa == CUBLAS_OP_N ? CUBLAS_OP_N : CUBLAS_OP_T, opB = transb == CUBLAS_OP_N ? CUBLAS_OP_N : CUBLAS_OP_T;
    int rowsA = opA == CUBLAS_OP_N ? m : k, rowsB = opB == CUBLAS_OP_N ? k : n;
    if (lda < std::max(1, rowsA)) return bad("lda = " + std::to_string(lda) + " < max(1, " + std::to_string(rowsA) + ")");
    if (ldb < std::max(1, rowsB)) return bad("ldb = " + std::to_string(ldb) + " < max(1, " + std::to_string(rowsB) + ")");
    if (ldc < std::max(1, m)) return bad("ldc = " + std::to_string(ldc) + " < max(1, " + std::to_string(m) + ")");
    if (!alpha || !beta) return bad("alpha and beta must not be null");
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    auto* g = new Sgemm();
    g->opA = opA;
    g->opB = opB;
    g->m = m;
    g->n = n;
    g->k = k;
    g->lda = lda;
    g->ldb = ldb;
    g->ldc = ldc;
    g->tf32 = (h->mathMode & MATH_MODE_MASK) == CUBLAS_TF32_TENSOR_OP_MATH;
    g->devicePointers = h->pointerMode == CUBLAS_POINTER_MODE_DEVICE;
    if (g->devicePointers) {
        g->dAlpha = alpha;
        g->dBeta = beta;
        if (jkdrv_check_device_range((CUdeviceptr)alpha, 4, "cublasSgemm alpha (device pointer mode)") ||
            jkdrv_check_device_range((CUdeviceptr)beta, 4, "cublasSgemm beta (device pointer mode)")) {
            delete g;
            return CUBLAS_STATUS_EXECUTION_FAILED;
        }
    } else {
        g->alpha = *alpha;
        g->beta = *beta;
    }
    g->A = A;
    g->B = B;
    g->C = C;
    bool reads = k > 0 && !(g->devicePointers ? false : g->alpha == 0.f);
    g->bytesA = reads ? extent(rowsA, opA == CUBLAS_OP_N ? k : m, lda) : 0;
    g->bytesB = reads ? extent(rowsB, opB == CUBLAS_OP_N ? n : k, ldb) : 0;
    g->bytesC = extent(m, n, ldc);
    if ((g->bytesA && jkdrv_check_device_range((CUdeviceptr)A, g->bytesA, "cublasSgemm A")) ||
        (g->bytesB && jkdrv_check_device_range((CUdeviceptr)B, g->bytesB, "cublasSgemm B")) ||
        jkdrv_check_device_range((CUdeviceptr)C, g->bytesC, "cublasSgemm C")) {
        delete g;
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    return from_driver(jkdrv_submit(h->stream, &run_sgemm, g, &dispose_sgemm, "cublasSgemm"), "cublasSgemm");
}

}  // extern "C"
