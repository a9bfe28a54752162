// The sanitizer harness: runs every kernel of the library through the emulator's C API (the path
// EmulatedLauncher takes) on several shapes against plain double-precision references written
// here, and runs the planted-bug kernels of planted_bugs.cu. run-sanitizers.sh builds it with
// ASan+UBSan and with TSan and checks what each run reports.
//
//   harness <mode> <suite>
//     mode:  fibers | threads | serial
//     suite: real      every activation kernel (fwd/bwd, scalar/vec4) on several lengths and grids,
//                      every GEMM and conv2d kernel configuration on a few shapes with every
//                      epilogue field (harness_gemm_conv.inc), the second-generation conv kernels
//                      (harness_conv_fast.inc), the tensor-core conv kernels (harness_conv_tc.inc), every CNN kernel (harness_cnn.inc: pooling, batch
//                      norm, softmax, binary, concat), the per-channel PReLU kernels, plus the
//                      correct barrier kernels; exit 0 iff every result matches
//            selfcheck the emulator's own failure reports: partial barrier, a trap in one thread
//                      while others wait, argument checks (exit 0 iff each is reported right)
//            oob       the out-of-bounds write (ASan must abort the process)
//            race      the tiled kernel without __syncthreads (TSan must report; fibers: wrong results)
//            wmma_ldm  a wmma fragment loaded with the wrong leading dimension (ASan must abort the process)
#include "jkernels/activation.cuh"
#include "jkernels/epilogue.cuh"
#include "../conv/conv_fast_common.cuh"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
const char* jkemu_launch(const char*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned long long,
                         void**, const int*, int, int);
void* jkemu_malloc(unsigned long long);
int jkemu_free(void*);
long long jkemu_live_allocations();
int jkemu_kernel_count();
const char* jkemu_kernel_name(int);
}

namespace {

int g_mode = 0;
int g_failures = 0;
int g_checks = 0;

void fail(const std::string& msg) {
    ++g_failures;
    std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
}

// A launch with arguments given by value; sizes are checked by the emulator as for Java.
struct Args {
    std::vector<std::vector<unsigned char>> slots;
    std::vector<int> sizes;
    template <typename T> Args& add(T v) {
        std::vector<unsigned char> s(sizeof(T));
        std::memcpy(s.data(), &v, sizeof(T));
        slots.push_back(s);
        sizes.push_back((int)sizeof(T));
        return *this;
    }
};

std::string launch(const std::string& kernel, unsigned grid, unsigned block, Args& a, unsigned long long shared = 0) {
    std::vector<void*> params;
    for (auto& s : a.slots) params.push_back(s.data());
    const char* err = jkemu_launch(kernel.c_str(), grid, 1, 1, block, 1, 1, shared, params.data(), a.sizes.data(),
                                   (int)params.size(), g_mode);
    return err ? err : "";
}

float* dalloc(size_t n) { return static_cast<float*>(jkemu_malloc(n * sizeof(float))); }

// ---- independent references, in double, from the definitions in ANCHORS.md ----------------------
double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

// a and b: the activation's two parameters (as the kernels get them; see params_for below).
double ref_fwd(jk::Act a, double x, double pa, double pb = 0) {
    const double kC = std::sqrt(2 / M_PI);
    switch (a) {
        case jk::Act::IDENTITY: return x;
        case jk::Act::RELU: return x > 0 ? x : 0;
        case jk::Act::LEAKY_RELU: case jk::Act::PRELU: return x > 0 ? x : pa * x;
        case jk::Act::ELU: return x > 0 ? x : pa * std::expm1(x);
        case jk::Act::SIGMOID: return sigmoid(x);
        case jk::Act::TANH: return std::tanh(x);
        case jk::Act::GELU: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
        case jk::Act::GELU_TANH: return 0.5 * x * (1 + std::tanh(kC * (x + 0.044715 * x * x * x)));
        case jk::Act::SILU: return x * sigmoid(pa * x);
        case jk::Act::RELU6: return std::min(std::max(x, 0.0), 6.0);
        case jk::Act::SELU: return pb * (x > 0 ? x : pa * std::expm1(x));
        case jk::Act::SOFTPLUS: {
            double bx = pa * x;
            return bx > pb ? x : (std::max(bx, 0.0) + std::log1p(std::exp(-std::fabs(bx)))) / pa;
        }
        case jk::Act::HARD_SIGMOID: return std::min(std::max(pa * x + pb, 0.0), 1.0);
        case jk::Act::HARDSWISH: return x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
        case jk::Act::MISH: return x * std::tanh(std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))));
        case jk::Act::CELU: return x > 0 ? x : pa * std::expm1(x / pa);
        case jk::Act::SOFTSIGN: return x / (1 + std::fabs(x));
        case jk::Act::HARDTANH: return std::min(std::max(x, pa), pb);
        case jk::Act::THRESHOLDED_RELU: return x > pa ? x : 0;
    }
    return NAN;
}

// f' from `saved` (x, or y for RELU/SIGMOID/TANH); kinks from the left.
double ref_deriv(jk::Act a, double s, double pa, double pb = 0) {
    const double kC = std::sqrt(2 / M_PI);
    switch (a) {
        case jk::Act::IDENTITY: return 1;
        case jk::Act::RELU: return s > 0 ? 1 : 0;
        case jk::Act::LEAKY_RELU: case jk::Act::PRELU: return s > 0 ? 1 : pa;
        case jk::Act::ELU: return s > 0 ? 1 : pa * std::exp(s);
        case jk::Act::SIGMOID: return s * (1 - s);
        case jk::Act::TANH: return 1 - s * s;
        case jk::Act::GELU: return 0.5 * (1 + std::erf(s / std::sqrt(2.0))) + s * std::exp(-0.5 * s * s) / std::sqrt(2 * M_PI);
        case jk::Act::GELU_TANH: {
            double t = std::tanh(kC * (s + 0.044715 * s * s * s));
            return 0.5 * (1 + t) + 0.5 * s * (1 - t * t) * kC * (1 + 3 * 0.044715 * s * s);
        }
        case jk::Act::SILU: return sigmoid(pa * s) * (1 + pa * s * (1 - sigmoid(pa * s)));
        case jk::Act::RELU6: return s > 0 && s < 6 ? 1 : 0;
        case jk::Act::SELU: return pb * (s > 0 ? 1 : pa * std::exp(s));
        case jk::Act::SOFTPLUS: return pa * s > pb ? 1 : sigmoid(pa * s);
        case jk::Act::HARD_SIGMOID: { double v = pa * s + pb; return v > 0 && v < 1 ? pa : 0; }
        case jk::Act::HARDSWISH: return s < -3 ? 0 : s <= 3 ? s / 3 + 0.5 : 1;
        case jk::Act::MISH: {
            double t = std::tanh(std::max(s, 0.0) + std::log1p(std::exp(-std::fabs(s))));
            return t + s * sigmoid(s) * (1 - t * t);
        }
        case jk::Act::CELU: return s > 0 ? 1 : std::exp(s / pa);
        case jk::Act::SOFTSIGN: return 1 / ((1 + std::fabs(s)) * (1 + std::fabs(s)));
        case jk::Act::HARDTANH: return s > pa && s < pb ? 1 : 0;
        case jk::Act::THRESHOLDED_RELU: return s > pa ? 1 : 0;
    }
    return NAN;
}

// Non-default parameters where a kind has them, so a functor that ignored one would be caught.
void params_for(jk::Act a, float& pa, float& pb) {
    pa = 0.f; pb = 0.f;
    switch (a) {
        case jk::Act::LEAKY_RELU: pa = 0.2f; break;
        case jk::Act::ELU: pa = 0.7f; break;
        case jk::Act::SILU: pa = 1.5f; break;
        case jk::Act::SELU: pa = 1.6732632f; pb = 1.0507010f; break;
        case jk::Act::SOFTPLUS: pa = 2.f; pb = 10.f; break;
        case jk::Act::HARD_SIGMOID: pa = 0.2f; pb = 0.5f; break;
        case jk::Act::PRELU: pa = -0.3f; break;
        case jk::Act::CELU: pa = 0.6f; break;
        case jk::Act::HARDTANH: pa = -2.f; pb = 0.5f; break;
        case jk::Act::THRESHOLDED_RELU: pa = 0.7f; break;
        default: break;
    }
}

bool from_output(jk::Act a) { return a == jk::Act::RELU || a == jk::Act::SIGMOID || a == jk::Act::TANH; }

bool close(double got, double want) { return std::fabs(got - want) <= 2e-6 + 1e-5 * std::fabs(want); }

struct ActName { jk::Act act; const char* suffix; };
const ActName kActs[] = {
#define JK_HARNESS_ENTRY(E, s) {jk::Act::E, #s},
    JK_ACTIVATIONS(JK_HARNESS_ENTRY)
#undef JK_HARNESS_ENTRY
};

unsigned grid_for(long long n, int perThread) {
    long long per = 256LL * perThread;
    long long b = (n + per - 1) / per;
    return (unsigned)std::max(1LL, std::min(b, 8192LL));
}

// offset > 0 shifts every pointer by that many floats off the 256-byte allocation: the vec4 kernels
// must notice the misalignment and take their scalar path.
void check_activation(const ActName& a, const char* variant, long long n, unsigned grid, bool inPlace, int offset = 0) {
    float pa, pb;
    params_for(a.act, pa, pb);
    std::vector<float> x(n), g(n);
    for (long long i = 0; i < n; ++i) {
        x[i] = -9.f + 18.f * (float)((i * 7919) % 1001) / 1000.f;
        g[i] = 0.5f + 0.25f * (float)(i % 5);
    }
    float* bases[4] = {dalloc(n + offset), inPlace ? nullptr : dalloc(n + offset), dalloc(n + offset), dalloc(n + offset)};
    float* dx_in = bases[0] + offset;
    float* dy = inPlace ? dx_in : bases[1] + offset;
    float* dg = bases[2] + offset;
    float* dgrad = bases[3] + offset;
    std::memcpy(dx_in, x.data(), n * 4);
    std::memcpy(dg, g.data(), n * 4);
    std::string fwd = std::string("jk_act_fwd_") + variant + "_" + a.suffix;
    std::string bwd = std::string("jk_act_bwd_") + variant + "_" + a.suffix;
    std::string what = fwd + " n=" + std::to_string(n) + " grid=" + std::to_string(grid) + (inPlace ? " in place" : "") +
                       (offset ? " misaligned" : "");
    Args fa;
    fa.add<const float*>(dx_in).add<float*>(dy).add<long long>(n).add<float>(pa).add<float>(pb);
    std::string err = launch(fwd, grid, 256, fa);
    if (!err.empty()) fail(what + ": " + err);
    int bad = 0;
    for (long long i = 0; i < n; ++i) {
        if (!close(dy[i], ref_fwd(a.act, x[i], pa, pb)) && bad++ < 3) {
            fail(what + " at " + std::to_string(i) + ": got " + std::to_string(dy[i]) + ", want " + std::to_string(ref_fwd(a.act, x[i], pa, pb)));
        }
    }
    ++g_checks;
    // Backward from saved = y (OUTPUT kinds) or x; in place: dx overwrites dy.
    std::vector<float> saved(n);
    for (long long i = 0; i < n; ++i) saved[i] = from_output(a.act) ? dy[i] : x[i];
    float* dsaved = dalloc(n);
    std::memcpy(dsaved, saved.data(), n * 4);
    float* dout = inPlace ? dg : dgrad;
    Args ba;
    ba.add<const float*>(dsaved).add<const float*>(dg).add<float*>(dout).add<long long>(n).add<float>(pa).add<float>(pb);
    what = bwd + " n=" + std::to_string(n) + " grid=" + std::to_string(grid) + (inPlace ? " in place" : "");
    err = launch(bwd, grid, 256, ba);
    if (!err.empty()) fail(what + ": " + err);
    for (long long i = 0; i < n; ++i) {
        double want = g[i] * ref_deriv(a.act, saved[i], pa, pb);
        if (!(std::fabs(dout[i] - want) <= 4e-6 + 2e-5 * std::fabs(want)) && bad++ < 3) {
            fail(what + " at " + std::to_string(i) + ": got " + std::to_string(dout[i]) + ", want " + std::to_string(want));
        }
    }
    ++g_checks;
    jkemu_free(dsaved);
    for (float* b : bases) if (b) jkemu_free(b);
}

// PReLU with per-channel slopes (jk_prelu_{fwd,bwd}_channels): NCHW-like (inner > 1) and NHWC (inner = 1),
// forward and backward, one block and a full grid; element i's slope is slopes[(i / inner) % channels].
void check_prelu_channels(long long n, long long channels, long long inner, unsigned grid) {
    float* x = dalloc(n);
    float* y = dalloc(n);
    float* g = dalloc(n);
    float* dx = dalloc(n);
    float* sl = dalloc(channels);
    for (long long i = 0; i < n; ++i) { x[i] = -4.f + 8.f * (float)((i * 7919) % 1001) / 1000.f; g[i] = 0.5f + 0.25f * (float)(i % 5); }
    for (long long c = 0; c < channels; ++c) sl[c] = -0.5f + 0.1f * (float)c;
    std::string what = "jk_prelu_fwd_channels n=" + std::to_string(n) + " C=" + std::to_string(channels) +
                       " inner=" + std::to_string(inner) + " grid=" + std::to_string(grid);
    Args fa;
    fa.add<const float*>(x).add<float*>(y).add<long long>(n).add<const float*>(sl).add<long long>(channels).add<long long>(inner);
    std::string err = launch("jk_prelu_fwd_channels", grid, 256, fa);
    if (!err.empty()) fail(what + ": " + err);
    Args ba;
    ba.add<const float*>(x).add<const float*>(g).add<float*>(dx).add<long long>(n).add<const float*>(sl)
        .add<long long>(channels).add<long long>(inner);
    err = launch("jk_prelu_bwd_channels", grid, 256, ba);
    if (!err.empty()) fail(what + " (backward): " + err);
    int bad = 0;
    for (long long i = 0; i < n; ++i) {
        double s = sl[(i / inner) % channels];
        if (!close(y[i], ref_fwd(jk::Act::PRELU, x[i], s)) && bad++ < 3) fail(what + " at " + std::to_string(i));
        if (!close(dx[i], g[i] * ref_deriv(jk::Act::PRELU, x[i], s)) && bad++ < 3) fail(what + " backward at " + std::to_string(i));
    }
    g_checks += 2;
    for (float* p : {x, y, g, dx, sl}) jkemu_free(p);
}

#include "harness_gemm_conv.inc"
#include "harness_conv_fast.inc"
#include "harness_conv_tc.inc"
#include "harness_cnn.inc"
#include "harness_wmma.inc"

void suite_real() {
    suite_gemm_conv();
    suite_conv_fast();
    suite_conv_tc();
    suite_cnn();
    suite_wmma();
    // Lengths: 1, primes, around the float4 boundary, more than one block, more than a grid-stride pass.
    const long long lengths[] = {1, 3, 4, 5, 31, 257, 1031, 2053};
    for (const ActName& a : kActs) {
        for (const char* variant : {"scalar", "vec4"}) {
            for (long long n : lengths) {
                check_activation(a, variant, n, grid_for(n, variant[0] == 'v' ? 4 : 1), false);
                check_activation(a, variant, n, 1, n % 2 == 1);  // one block: the loop strides; odd n in place
            }
            check_activation(a, variant, 1031, grid_for(1031, 1), false, 1);  // misaligned by one float
        }
    }
    check_prelu_channels(2 * 5 * 7 * 3, 5, 21, grid_for(210, 1));  // NCHW [2, 5, 7, 3]
    check_prelu_channels(1031, 13, 1, 1);                           // NHWC / [N, C], one block striding
    if (g_mode == 2) return;  // serial mode cannot run kernels with barriers
    // The correct barrier kernels: tile reverse and a dynamic-shared-memory reduction.
    const int n = 64 * 3 + 17;
    float* x = dalloc(n);
    float* y = dalloc(n);
    for (int i = 0; i < n; ++i) { x[i] = (float)i; y[i] = -1.f; }
    Args ta;
    ta.add<const float*>(x).add<float*>(y).add<int>(n);
    std::string err = launch("jk_test_tile_reverse", (n + 63) / 64, 64, ta);
    if (!err.empty()) fail("jk_test_tile_reverse: " + err);
    for (int i = 0; i < n; ++i) {
        int b = i / 64, src = b * 64 + (63 - i % 64);
        float want = src < n ? (float)src : -1.f;
        if (y[i] != want) { fail("jk_test_tile_reverse at " + std::to_string(i)); break; }
    }
    ++g_checks;
    const int blocks = (n + 127) / 128;
    float* sums = dalloc(blocks);
    Args sa;
    sa.add<const float*>(x).add<float*>(sums).add<int>(n);
    err = launch("jk_test_dynamic_shared_sum", blocks, 128, sa, 128 * sizeof(float));
    if (!err.empty()) fail("jk_test_dynamic_shared_sum: " + err);
    for (int b = 0; b < blocks; ++b) {
        double want = 0;
        for (int i = b * 128; i < std::min(n, (b + 1) * 128); ++i) want += i;
        if (sums[b] != (float)want) fail("jk_test_dynamic_shared_sum block " + std::to_string(b));
    }
    ++g_checks;
    jkemu_free(x);
    jkemu_free(y);
    jkemu_free(sums);
}

void expect_error(const std::string& err, const std::vector<std::string>& parts, const std::string& what) {
    ++g_checks;
    if (err.empty()) { fail(what + ": the launch succeeded, expected a failure"); return; }
    for (const std::string& p : parts) {
        if (err.find(p) == std::string::npos) { fail(what + ": message lacks '" + p + "': " + err); return; }
    }
    std::printf("ok (reported): %s\n", err.c_str());
}

void suite_selfcheck() {
    float* y = dalloc(2 * 64);
    Args a;
    a.add<float*>(y);
    std::string err = launch("jk_test_partial_barrier", 1, 32, a);
    if (g_mode == 2) expect_error(err, {"jk_test_partial_barrier", "serial mode"}, "barrier in serial mode");
    else expect_error(err, {"jk_test_partial_barrier", "block (0,0,0)", "only 31 of 32", "thread (5,0,0)"}, "partial barrier");
    err = launch("jk_test_trap", 2, 32, a);
    if (g_mode == 2) expect_error(err, {"jk_test_trap", "block (0,0,0)", "serial mode"}, "trap in serial mode");
    else expect_error(err, {"jk_test_trap", "block (1,0,0)", "thread (7,0,0)", "assertion failed"}, "trap in one thread");
    Args wrong;
    wrong.add<float*>(y).add<int>(3);
    expect_error(launch("jk_test_trap", 1, 32, wrong), {"jk_test_trap", "takes 1 arguments, got 2"}, "argument count");
    Args ok;
    ok.add<float*>(y);
    expect_error(launch("jk_test_trap", 1, 2048, ok), {"more than 1024 threads"}, "block too large");
    expect_error(launch("jk_nope", 1, 1, ok), {"no kernel named 'jk_nope'"}, "unknown kernel");
    selfcheck_wmma();
    jkemu_free(y);
}

void suite_oob() {
    const long long n = 100;
    float* y = dalloc(n);
    Args a;
    a.add<float*>(y).add<long long>(n);
    std::string err = launch("jk_test_oob_write", 1, 128, a);
    // Only reached when nothing caught the write.
    std::printf("oob: the out-of-bounds write went unreported (%s)\n", err.empty() ? "launch succeeded" : err.c_str());
    jkemu_free(y);
}

void suite_race() {
    const int n = 64 * 4;
    float* x = dalloc(n);
    float* y = dalloc(n);
    for (int i = 0; i < n; ++i) x[i] = (float)i + 1;
    Args a;
    a.add<const float*>(x).add<float*>(y).add<int>(n);
    std::string err = launch("jk_test_tile_reverse_nosync", n / 64, 64, a);
    if (!err.empty()) fail("jk_test_tile_reverse_nosync: " + err);
    int wrong = 0;
    for (int i = 0; i < n; ++i) if (y[i] != (float)((i / 64) * 64 + 63 - i % 64) + 1) ++wrong;
    std::printf("race: %d of %d results wrong without the barrier\n", wrong, n);
    jkemu_free(x);
    jkemu_free(y);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s fibers|threads|serial real|selfcheck|oob|race|wmma_ldm\n", argv[0]);
        return 2;
    }
    std::string mode = argv[1], suite = argv[2];
    g_mode = mode == "fibers" ? 0 : mode == "threads" ? 1 : mode == "serial" ? 2 : -1;
    if (g_mode < 0) { std::fprintf(stderr, "unknown mode %s\n", argv[1]); return 2; }
    long long liveBefore = jkemu_live_allocations();
    if (suite == "real") suite_real();
    else if (suite == "selfcheck") suite_selfcheck();
    else if (suite == "oob") suite_oob();
    else if (suite == "race") suite_race();
    else if (suite == "wmma_ldm") suite_wmma_ldm();
    else { std::fprintf(stderr, "unknown suite %s\n", argv[2]); return 2; }
    if (jkemu_live_allocations() != liveBefore) fail("device allocations leaked by the harness");
    std::printf("harness %s %s: %d checks, %d failures, %d kernels registered\n", argv[1], argv[2], g_checks, g_failures,
                jkemu_kernel_count());
    return g_failures == 0 ? 0 : 1;
}
