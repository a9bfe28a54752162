// The runtime epilogue descriptor: one struct, passed by value as one kernel parameter to every GEMM
// and conv kernel, says what happens to an accumulator between the main loop and the store. It
// replaces one kernel instantiation per activation (DESIGN.md, "The epilogue is a runtime
// descriptor"): a kernel's tile configuration is its template parameters, instantiated once; the
// activation is chosen at run time, once per output element, after the main loop (K multiply-adds
// per output make the choice negligible).
//
// The Java twin is dev.jkernels.kernel.EpilogueArgs, which writes these 64 bytes (little-endian,
// pointers resolved per launcher). Fixed order:
//   accumulate -> v = alpha*acc (+ beta*C_old; C is never read when beta == 0)
//              -> + bias[channel] -> + residual[element] -> activation(act, a, b) -> store
// where a = actSlopes[channel] when actSlopes is set (PReLU: per-channel slopes), else actA.
// "channel" is the output column n in a GEMM and the output channel in a convolution.
#pragma once

#include "jkernels/common.cuh"
#include "jkernels/activation.cuh"
#include <stddef.h>

namespace jk {

struct alignas(8) Epilogue {    // 64 bytes, 8-byte aligned
    float alpha;                //  0  v = alpha*acc (+ beta*C_old, C never read when beta == 0)
    float beta;                 //  4
    const float* bias;          //  8  [channels] or nullptr: + bias[channel]
    const float* residual;      // 16  output-shaped or nullptr: + residual[element]
    long long residualLd;       // 24  GEMM: residual row stride in elements; conv: 0 (residual has the output's layout)
    int act;                    // 32  activation code = index in the JK_ACTIVATIONS X-macro = Java enum ordinal
    float actA;                 // 36  the activation's first parameter (alpha, slope, min, beta...)
    float actB;                 // 40  its second parameter (max, threshold, gamma...)
    int reserved0;              // 44  0
    const float* actSlopes;     // 48  PReLU per-channel slopes or nullptr (then actA is the single slope)
    long long reserved1;        // 56  0
};

static_assert(sizeof(Epilogue) == 64, "jk::Epilogue is 64 bytes (EpilogueArgs.BYTES)");
static_assert(alignof(Epilogue) == 8, "jk::Epilogue is 8-byte aligned");
static_assert(offsetof(Epilogue, bias) == 8 && offsetof(Epilogue, residual) == 16 &&
                  offsetof(Epilogue, residualLd) == 24 && offsetof(Epilogue, act) == 32 &&
                  offsetof(Epilogue, actA) == 36 && offsetof(Epilogue, actB) == 40 &&
                  offsetof(Epilogue, actSlopes) == 48 && offsetof(Epilogue, reserved1) == 56,
              "jk::Epilogue field offsets are the contract with EpilogueArgs");

// The runtime dispatcher over the X-macro list: f(x) for activation code `act`. An unknown code
// (the Java side never sends one) gives NaN, so a mismatch cannot pass for a result.
JK_HD float activation_fwd(int act, float x, float a, float b) {
    switch (act) {
#define JK_EPILOGUE_ACT_CASE(E, s) \
    case (int)Act::E: return Activation<Act::E>::fwd(x, a, b);
        JK_ACTIVATIONS(JK_EPILOGUE_ACT_CASE)
#undef JK_EPILOGUE_ACT_CASE
    }
    return NAN;
}

// Whether the activation stage does anything: IDENTITY without per-channel slopes is skipped, which
// lets the kernels keep a store path with no activation code in it.
JK_HD bool epilogue_has_activation(const Epilogue& e) { return e.act != (int)Act::IDENTITY || e.actSlopes != nullptr; }

// Stage 1, up to the activation: alpha*acc (+ beta*cOld) + bias[channel] + residual[element].
// cOld is only read when beta != 0; residualAt is the element's index in the residual (GEMM:
// m * residualLd + n; conv: the output index). Channel and element must be inside the output.
JK_HD float epilogue_linear(const Epilogue& e, float acc, float cOld, index_t channel, index_t residualAt) {
    float v = e.alpha * acc;
    if (e.beta != 0.f) v = fmaf(e.beta, cOld, v);
    if (e.bias != nullptr) v += e.bias[channel];
    if (e.residual != nullptr) v += e.residual[residualAt];
    return v;
}

// Stage 2: the activation with its parameters; the slope is per channel when actSlopes is set.
JK_HD float epilogue_activation(const Epilogue& e, float v, index_t channel) {
    const float a = e.actSlopes != nullptr ? e.actSlopes[channel] : e.actA;
    return activation_fwd(e.act, v, a, e.actB);
}

// Both stages, for one element.
JK_HD float epilogue_apply(const Epilogue& e, float acc, float cOld, index_t channel, index_t residualAt) {
    return epilogue_activation(e, epilogue_linear(e, acc, cOld, channel, residualAt), channel);
}

// The activation stage of a thread that holds many outputs in registers (the tiled GEMM and conv
// kernels: 16 to 128 per thread). Inlining the runtime switch once per output element would copy
// every activation's code that many times (measured: a 2.8 MB cubin for the three warp-tiled
// configurations alone); instead the values take a round trip through shared memory, CAP at a time,
// and a loop that is kept rolled applies the switch: one copy of it per pass. The main loop is done
// with shared memory by then (the caller guarantees a barrier after its last read of `scratch`),
// and each thread touches only its own slots scratch[j * THREADS + tid] (consecutive lanes,
// consecutive banks; no barrier needed). channelOf(i) is the channel of v[i], or < 0 for an element
// outside the output (its value is never stored; its slope is actA).
template <int NV, int CAP, int THREADS, class ChannelOf>
__device__ __forceinline__ void epilogue_activate_staged(const Epilogue& e, float* v, float* scratch, int tid,
                                                         ChannelOf channelOf) {
    static_assert(CAP >= 1, "the scratch must hold at least one value per thread");
JK_UNROLL
    for (int base = 0; base < NV; base += CAP) {
JK_UNROLL
        for (int j = 0; j < CAP; ++j)
            if (base + j < NV) scratch[j * THREADS + tid] = v[base + j];
        const int count = NV - base < CAP ? NV - base : CAP;
JK_NO_UNROLL
        for (int j = 0; j < count; ++j) {
            float* s = scratch + j * THREADS + tid;
            float a = e.actA;
            if (e.actSlopes != nullptr) {
                const index_t c = channelOf(base + j);
                if (c >= 0) a = e.actSlopes[c];
            }
            *s = activation_fwd(e.act, *s, a, e.actB);
        }
JK_UNROLL
        for (int j = 0; j < CAP; ++j)
            if (base + j < NV) v[base + j] = scratch[j * THREADS + tid];
    }
}

}  // namespace jk
