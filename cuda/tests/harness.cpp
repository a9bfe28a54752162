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
//                      (harness_conv_fast.inc), every CNN kernel (harness_cnn.inc: pooling, batch
//                      norm, softmax, binary, concat), plus the correct barrier kernels; exit 0 iff
//                      every result matches
//            selfcheck the emulator's own failure reports: partial barrier, a trap in one thread
//                      while others wait, argument checks (exit 0 iff each is reported right)
//            oob       the out-of-bounds write (ASan must abort the process)
//            race      the tiled kernel without __syncthreads (TSan must report; fibers: wrong results)
#include "jkernels/activation.cuh"
#include "jkernels/epilogue.cuh"
#include "../conv/conv_fast_common.cuh"

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

double ref_fwd(jk::Act a, double x, double alpha) {
    const double kA = 1.6732632423543772, kS = 1.0507009873554805, kC = std::sqrt(2 / M_PI);
    switch (a) {
        case jk::Act::IDENTITY: return x;
        case jk::Act::RELU: return x > 0 ? x : 0;
        case jk::Act::LEAKY_RELU: return x > 0 ? x : alpha * x;
        case jk::Act::ELU: return x > 0 ? x : alpha * std::expm1(x);
        case jk::Act::SIGMOID: return sigmoid(x);
        case jk::Act::TANH: return std::tanh(x);
        case jk::Act::GELU: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
        case jk::Act::GELU_TANH: return 0.5 * x * (1 + std::tanh(kC * (x + 0.044715 * x * x * x)));
        case jk::Act::SILU: return x * sigmoid(x);
        case jk::Act::RELU6: return std::min(std::max(x, 0.0), 6.0);
        case jk::Act::SELU: return kS * (x > 0 ? x : kA * std::expm1(x));
        case jk::Act::SOFTPLUS: return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
        case jk::Act::HARD_SIGMOID: return std::min(std::max(x / 6 + 0.5, 0.0), 1.0);
    }
    return NAN;
}

// f' from `saved` (x, or y for RELU/SIGMOID/TANH); kinks from the left.
double ref_deriv(jk::Act a, double s, double alpha) {
    const double kA = 1.6732632423543772, kS = 1.0507009873554805, kC = std::sqrt(2 / M_PI);
    switch (a) {
        case jk::Act::IDENTITY: return 1;
        case jk::Act::RELU: return s > 0 ? 1 : 0;
        case jk::Act::LEAKY_RELU: return s > 0 ? 1 : alpha;
        case jk::Act::ELU: return s > 0 ? 1 : alpha * std::exp(s);
        case jk::Act::SIGMOID: return s * (1 - s);
        case jk::Act::TANH: return 1 - s * s;
        case jk::Act::GELU: return 0.5 * (1 + std::erf(s / std::sqrt(2.0))) + s * std::exp(-0.5 * s * s) / std::sqrt(2 * M_PI);
        case jk::Act::GELU_TANH: {
            double t = std::tanh(kC * (s + 0.044715 * s * s * s));
            return 0.5 * (1 + t) + 0.5 * s * (1 - t * t) * kC * (1 + 3 * 0.044715 * s * s);
        }
        case jk::Act::SILU: return sigmoid(s) * (1 + s * (1 - sigmoid(s)));
        case jk::Act::RELU6: return s > 0 && s < 6 ? 1 : 0;
        case jk::Act::SELU: return kS * (s > 0 ? 1 : kA * std::exp(s));
        case jk::Act::SOFTPLUS: return sigmoid(s);
        case jk::Act::HARD_SIGMOID: return s > -3 && s < 3 ? 1.0 / 6 : 0;
    }
    return NAN;
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
    const float alpha = a.act == jk::Act::LEAKY_RELU ? 0.2f : a.act == jk::Act::ELU ? 0.7f : 0.f;
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
    fa.add<const float*>(dx_in).add<float*>(dy).add<long long>(n).add<float>(alpha).add<float>(0.f);
    std::string err = launch(fwd, grid, 256, fa);
    if (!err.empty()) fail(what + ": " + err);
    int bad = 0;
    for (long long i = 0; i < n; ++i) {
        if (!close(dy[i], ref_fwd(a.act, x[i], alpha)) && bad++ < 3) {
            fail(what + " at " + std::to_string(i) + ": got " + std::to_string(dy[i]) + ", want " + std::to_string(ref_fwd(a.act, x[i], alpha)));
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
    ba.add<const float*>(dsaved).add<const float*>(dg).add<float*>(dout).add<long long>(n).add<float>(alpha).add<float>(0.f);
    what = bwd + " n=" + std::to_string(n) + " grid=" + std::to_string(grid) + (inPlace ? " in place" : "");
    err = launch(bwd, grid, 256, ba);
    if (!err.empty()) fail(what + ": " + err);
    for (long long i = 0; i < n; ++i) {
        double want = g[i] * ref_deriv(a.act, saved[i], alpha);
        if (!(std::fabs(dout[i] - want) <= 4e-6 + 2e-5 * std::fabs(want)) && bad++ < 3) {
            fail(what + " at " + std::to_string(i) + ": got " + std::to_string(dout[i]) + ", want " + std::to_string(want));
        }
    }
    ++g_checks;
    jkemu_free(dsaved);
    for (float* b : bases) if (b) jkemu_free(b);
}

#include "harness_gemm_conv.inc"
#include "harness_conv_fast.inc"
#include "harness_cnn.inc"

void suite_real() {
    suite_gemm_conv();
    suite_conv_fast();
    suite_cnn();
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
        std::fprintf(stderr, "usage: %s fibers|threads|serial real|selfcheck|oob|race\n", argv[0]);
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
    else { std::fprintf(stderr, "unknown suite %s\n", argv[2]); return 2; }
    if (jkemu_live_allocations() != liveBefore) fail("device allocations leaked by the harness");
    std::printf("harness %s %s: %d checks, %d failures, %d kernels registered\n", argv[1], argv[2], g_checks, g_failures,
                jkemu_kernel_count());
    return g_failures == 0 ? 0 : 1;
}
