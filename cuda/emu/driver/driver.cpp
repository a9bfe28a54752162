// libcuda.so.1, emulated: the CUDA driver API subset that JCuda calls for jkernels, running the
// kernels through the CPU emulator (libjkernels-emu.so, loaded from next to this library or from
// $JKERNELS_EMU_LIBRARY). It exists so that CudaLauncher, CublasGemm, the CUDA half of KernelBackend,
// every @Tag("gpu") test and the device rig run once without a GPU. It behaves like the driver where
// a mistake in the Java launch code would show:
//   - one device, "jkernels emulated GPU", compute capability 9.0, 132 SMs and the H200's limits;
//   - a context is current per OS thread; a call that needs one and has none fails with
//     CUDA_ERROR_INVALID_CONTEXT;
//   - cuModuleLoadData takes the real fatbin: it must be one, its sm_90 image names the kernels
//     (a name it lacks is CUDA_ERROR_NOT_FOUND even where the emulator has it), and its parameter
//     table must agree with the emulator's signature of each kernel;
//   - device pointers are checked on every use (inside a live allocation; a host address, a freed
//     buffer or an overrun is CUDA_ERROR_INVALID_VALUE, with the reason on stderr);
//   - every stream has its own worker thread, so launches and async copies really are
//     asynchronous, and the legacy default stream waits for (and is waited for by) the blocking
//     streams: a missing synchronisation gives a wrong result here as on a GPU;
//   - cuLaunchKernel copies the arguments with the kernel's parameter sizes, checks pointer
//     arguments (and words of by-value structs that point into freed memory) and the launch limits (threads, block and grid dims, shared memory, registers);
//     a trap or failed assert in a kernel is a sticky CUDA_ERROR_LAUNCH_FAILED / CUDA_ERROR_ASSERT.
// Every other entry point that JCuda imports answers CUDA_ERROR_NOT_SUPPORTED (stubs.c, generated
// from jcuda-driver-imports.txt) and names itself once on stderr.
#include "jkdrv.h"

#include <dlfcn.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- diagnostics -------------------------------------------------------------------------------
void say(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[jkernels emulated driver] %s\n", buf);
    fflush(stderr);
}

std::string hex(unsigned long long v) {
    char b[32];
    snprintf(b, sizeof b, "0x%llx", v);
    return b;
}

// ---- the emulator library ------------------------------------------------------------------------
struct Emu {
    void* handle = nullptr;
    const char* (*launch)(const char*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned long long,
                          void**, const int*, int, int) = nullptr;
    int (*signature)(const char*, unsigned char*, unsigned char*, int) = nullptr;
    int mode = 0;
    std::string where, error;
};

std::string self_dir() {
    Dl_info info;
    if (dladdr((void*)&self_dir, &info) && info.dli_fname) {
        std::string p = info.dli_fname;
        size_t slash = p.rfind('/');
        if (slash != std::string::npos) return p.substr(0, slash);
    }
    return ".";
}

Emu& emu() {
    static Emu& e = *new Emu([] {
        Emu r;
        const char* env = getenv("JKERNELS_EMU_LIBRARY");
        r.where = env && *env ? env : self_dir() + "/libjkernels-emu.so";
        // RTLD_DEEPBIND: its own symbols first. The JVM may hold another copy of the emulator library
        // (EmulatedLauncher's, loaded by JNA into the global scope); without it this copy's kernel
        // registrations would land in that copy's registry.
        r.handle = dlopen(r.where.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!r.handle) {
            r.error = std::string("the emulator library does not load: ") + dlerror();
            return r;
        }
        r.launch = (decltype(r.launch))dlsym(r.handle, "jkemu_launch");
        r.signature = (decltype(r.signature))dlsym(r.handle, "jkemu_kernel_signature");
        if (!r.launch || !r.signature) r.error = r.where + " lacks jkemu_launch or jkemu_kernel_signature (an older build?)";
        const char* m = getenv("JKERNELS_EMU_MODE");
        if (m && !strcasecmp(m, "threads")) r.mode = 1;
        else if (m && !strcasecmp(m, "serial")) r.mode = 2;
        return r;
    }());
    return e;
}

// ---- the ptxas report (cuFuncGetAttribute, register and shared-memory limits) -----------------
struct PtxasFigures {
    int regs = 0, smem = 0, stack = 0;
};

const std::map<std::string, PtxasFigures>& ptxas_report(std::string* pathOut = nullptr) {
    static std::string path;
    static std::map<std::string, PtxasFigures>& report = *new std::map<std::string, PtxasFigures>([] {
        std::map<std::string, PtxasFigures> r;
        const char* env = getenv("JKERNELS_EMU_PTXAS_REPORT");
        path = env && *env ? env : self_dir() + "/jkernels-ptxas.txt";
        std::ifstream in(path);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream ls(line);
            std::string name, arch;
            PtxasFigures f;
            if (!(ls >> name >> arch >> f.regs >> f.smem >> f.stack)) continue;
            if (arch == "sm_90") r[name] = f;
        }
        return r;
    }());
    if (pathOut) *pathOut = path;
    return report;
}

// ---- fatbin reading --------------------------------------------------------------------------------
struct FatbinKernel {
    std::vector<int> offsets, sizes;  // by parameter ordinal, from EIATTR_KPARAM_INFO; empty when unknown
    int paramBytes = -1;              // EIATTR_PARAM_CBANK's size
};

struct Zstd {
    size_t (*decompress)(void*, size_t, const void*, size_t) = nullptr;
    unsigned (*isError)(size_t) = nullptr;
};
Zstd& zstd() {
    static Zstd z = [] {
        Zstd r;
        void* h = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
        if (h) {
            r.decompress = (decltype(r.decompress))dlsym(h, "ZSTD_decompress");
            r.isError = (decltype(r.isError))dlsym(h, "ZSTD_isError");
        }
        return r;
    }();
    return z;
}

template <typename T> T rd(const unsigned char* p) {
    T v;
    memcpy(&v, p, sizeof v);
    return v;
}

// The kernels (FUNC symbols) of an ELF64 cubin and their parameter tables from .nv.info.<name>.
bool read_cubin(const unsigned char* e, size_t n, std::map<std::string, FatbinKernel>& out, std::string& why) {
    if (n < 64 || memcmp(e, "\x7f" "ELF", 4) != 0 || e[4] != 2) {
        why = "the sm_90 image is not an ELF64 cubin";
        return false;
    }
    unsigned long long shoff = rd<unsigned long long>(e + 0x28);
    unsigned shentsize = rd<unsigned short>(e + 0x3A), shnum = rd<unsigned short>(e + 0x3C), shstrndx = rd<unsigned short>(e + 0x3E);
    if (shoff + (unsigned long long)shnum * shentsize > n || shstrndx >= shnum) {
        why = "truncated cubin";
        return false;
    }
    auto sh = [&](unsigned i) { return e + shoff + (size_t)i * shentsize; };
    const unsigned char* shstr = e + rd<unsigned long long>(sh(shstrndx) + 0x18);
    for (unsigned i = 0; i < shnum; ++i) {
        if (rd<unsigned>(sh(i) + 4) != 2) continue;  // SHT_SYMTAB
        unsigned long long symOff = rd<unsigned long long>(sh(i) + 0x18), symSize = rd<unsigned long long>(sh(i) + 0x20);
        unsigned long long entsize = rd<unsigned long long>(sh(i) + 0x38);
        unsigned link = rd<unsigned>(sh(i) + 0x28);
        const char* str = (const char*)e + rd<unsigned long long>(sh(link) + 0x18);
        for (unsigned long long s = 0; entsize && s + entsize <= symSize; s += entsize) {
            const unsigned char* sym = e + symOff + s;
            if ((sym[4] & 0xf) != 2 || (sym[4] >> 4) != 1) continue;  // STT_FUNC, STB_GLOBAL
            out[str + rd<unsigned>(sym)];
        }
    }
    for (unsigned i = 0; i < shnum; ++i) {
        const char* name = (const char*)shstr + rd<unsigned>(sh(i));
        if (strncmp(name, ".nv.info.", 9) != 0) continue;
        auto it = out.find(name + 9);
        if (it == out.end()) continue;
        const unsigned char* p = e + rd<unsigned long long>(sh(i) + 0x18);
        const unsigned char* end = p + rd<unsigned long long>(sh(i) + 0x20);
        while (p + 4 <= end) {
            unsigned fmt = p[0], attr = p[1];
            unsigned size = fmt == 0x04 ? rd<unsigned short>(p + 2) : 0;
            const unsigned char* v = p + 4;
            if (fmt == 0x04 && attr == 0x17 && size >= 12) {  // EIATTR_KPARAM_INFO
                unsigned ordinal = rd<unsigned short>(v + 4), offset = rd<unsigned short>(v + 6);
                unsigned bytes = (rd<unsigned>(v + 8) >> 18) & 0x3fff;
                FatbinKernel& k = it->second;
                if (k.sizes.size() <= ordinal) {
                    k.sizes.resize(ordinal + 1, -1);
                    k.offsets.resize(ordinal + 1, -1);
                }
                k.sizes[ordinal] = (int)bytes;
                k.offsets[ordinal] = (int)offset;
            } else if (fmt == 0x04 && attr == 0x0a && size >= 8) {  // EIATTR_PARAM_CBANK: {sym, u16 offset, u16 size}
                it->second.paramBytes = rd<unsigned short>(v + 6);
            }
            p = v + size;
        }
    }
    return true;
}

// Checks that `image` is a fatbin and lists the kernels of its sm_90 SASS image (what a CC 9.0
// device runs). nvcc compresses images with zstd; libzstd.so.1 is loaded to read them.
CUresult read_fatbin(const void* image, std::map<std::string, FatbinKernel>& kernels, std::string& why) {
    const unsigned char* b = static_cast<const unsigned char*>(image);
    if (rd<unsigned>(b) != 0xBA55ED50u) {
        why = "not a fatbin (magic " + hex(rd<unsigned>(b)) + ", expected 0xba55ed50): this driver loads only the jkernels fatbin";
        return CUDA_ERROR_INVALID_IMAGE;
    }
    unsigned headerSize = rd<unsigned short>(b + 6);
    unsigned long long size = rd<unsigned long long>(b + 8);
    const unsigned char* p = b + headerSize;
    const unsigned char* end = p + size;
    bool sawSm90 = false;
    while (p + 64 <= end) {
        unsigned kind = rd<unsigned short>(p);
        unsigned entryHeader = rd<unsigned>(p + 4);
        unsigned long long payload = rd<unsigned long long>(p + 8);
        unsigned arch = rd<unsigned>(p + 28);
        unsigned long long flags = rd<unsigned long long>(p + 40);
        const unsigned char* data = p + entryHeader;
        if (entryHeader == 0 || data + payload > end) {
            why = "malformed fatbin entry";
            return CUDA_ERROR_INVALID_IMAGE;
        }
        if (kind == 2 && arch == 90) {
            sawSm90 = true;
            std::vector<unsigned char> inflated;
            const unsigned char* elf = data;
            size_t elfSize = payload;
            if (flags & 0x8000) {
                unsigned compressed = rd<unsigned>(p + 16);
                unsigned long long full = rd<unsigned long long>(p + 56);
                Zstd& z = zstd();
                if (!z.decompress) {
                    why = "the sm_90 image is zstd-compressed and libzstd.so.1 is not available";
                    return CUDA_ERROR_INVALID_IMAGE;
                }
                inflated.resize(full);
                size_t got = z.decompress(inflated.data(), full, data, compressed ? compressed : payload);
                if (z.isError(got) || got != full) {
                    why = "the sm_90 image does not decompress";
                    return CUDA_ERROR_INVALID_IMAGE;
                }
                elf = inflated.data();
                elfSize = full;
            }
            if (!read_cubin(elf, elfSize, kernels, why)) return CUDA_ERROR_INVALID_IMAGE;
        }
        p = data + payload;
    }
    if (!sawSm90) {
        why = "the fatbin has no sm_90 SASS image for this compute capability 9.0 device";
        return CUDA_ERROR_NO_BINARY_FOR_GPU;
    }
    return CUDA_SUCCESS;
}

// ---- state -------------------------------------------------------------------------------------------
std::atomic<bool> g_initialized{false};

struct Task {
    std::function<std::string()> run;  // "" or what went wrong
    std::function<void()> after;       // always runs, after run (or instead of it when the context failed)
    std::vector<std::pair<std::shared_ptr<jkdrv_stream>, unsigned long long>> deps;
    std::string what;
};

}  // namespace

struct jkdrv_stream : std::enable_shared_from_this<jkdrv_stream> {
    CUcontext ctx;
    bool legacy;
    unsigned flags;
    std::mutex m;
    std::condition_variable cv;
    std::deque<Task> queue;
    unsigned long long enqueued = 0, completed = 0;
    bool stopping = false;
    std::thread worker;

    jkdrv_stream(CUcontext c, bool l, unsigned f) : ctx(c), legacy(l), flags(f) {}
    void start();
    void loop();
    void wait_for(unsigned long long n) {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return completed >= n; });
    }
    unsigned long long last() {
        std::lock_guard<std::mutex> lk(m);
        return enqueued;
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lk(m);
            stopping = true;
        }
        cv.notify_all();
        if (worker.joinable()) worker.join();
    }
};

struct jkdrv_ctx {
    std::mutex m;  // streams, modules, refcount
    int refcount = 0;
    bool active = false;
    std::vector<std::shared_ptr<jkdrv_stream>> streams;  // user streams
    std::shared_ptr<jkdrv_stream> legacyStream;
    std::atomic<int> sticky{0};
    std::string stickyWhat;
    std::set<CUmodule> modules;
    unsigned flags = 0;

    void fail(int code, const std::string& what) {
        int expected = 0;
        if (sticky.compare_exchange_strong(expected, code)) {
            stickyWhat = what;
            say("sticky error %d in the context: %s", code, what.c_str());
        }
    }
};

struct jkdrv_function {
    CUmodule module;
    std::string name;
    int arity = 0;
    unsigned char sizes[64] = {}, kinds[64] = {};
    std::vector<int> offsets;
    int paramBytes = 0;
    bool haveReport = false;
    PtxasFigures figures;
    int maxDynamicShared = 0;
};

struct jkdrv_module {
    CUcontext ctx;
    std::map<std::string, FatbinKernel> kernels;
    std::map<std::string, std::unique_ptr<jkdrv_function>> functions;
};

struct jkdrv_event {
    CUcontext ctx;
    unsigned flags;
    std::mutex m;
    std::shared_ptr<jkdrv_stream> stream;  // of the last record
    unsigned long long marker = 0;
    unsigned long long generation = 0;
    bool recorded = false, done = false;
    std::chrono::steady_clock::time_point at;
};

namespace {

// Process-lifetime state, never destroyed: stream workers may still run while static destructors
// would (and a destroyed joinable std::thread terminates the process).
jkdrv_ctx& g_primary = *new jkdrv_ctx();
thread_local CUcontext tl_current = nullptr;
thread_local std::vector<CUcontext> tl_stack;

std::mutex& g_handles_m = *new std::mutex();
std::set<void*>& g_handles = *new std::set<void*>();  // live modules, functions, streams, events
void add_handle(void* h) {
    std::lock_guard<std::mutex> lk(g_handles_m);
    g_handles.insert(h);
}
void remove_handle(void* h) {
    std::lock_guard<std::mutex> lk(g_handles_m);
    g_handles.erase(h);
}
bool live_handle(void* h) {
    std::lock_guard<std::mutex> lk(g_handles_m);
    return g_handles.count(h) != 0;
}

// ---- device memory ---------------------------------------------------------------------------------
struct Allocation {
    size_t size;
};
std::mutex& g_mem = *new std::mutex();
std::map<unsigned long long, Allocation>& g_allocs = *new std::map<unsigned long long, Allocation>();  // by base address
std::map<unsigned long long, size_t>& g_freed = *new std::map<unsigned long long, size_t>();  // recently freed: "freed", not "unknown"
unsigned long long g_liveBytes = 0;

// "" when [p, p+bytes) is inside one live allocation, else why not. Under g_mem.
std::string range_problem_locked(unsigned long long p, unsigned long long bytes) {
    auto it = g_allocs.upper_bound(p);
    if (it != g_allocs.begin()) {
        --it;
        unsigned long long base = it->first, size = it->second.size;
        if (p < base + size) {
            if (bytes <= base + size - p) return "";
            return "out of range: [" + hex(p) + ", +" + std::to_string(bytes) + " bytes) runs " +
                   std::to_string(p + bytes - (base + size)) + " bytes past the end of the allocation of " +
                   std::to_string(size) + " bytes at " + hex(base);
        }
    }
    auto f = g_freed.upper_bound(p);
    if (f != g_freed.begin()) {
        --f;
        if (p < f->first + f->second) {
            return hex(p) + " is inside a device allocation of " + std::to_string(f->second) + " bytes at " + hex(f->first) +
                   " that was already freed";
        }
    }
    return hex(p) + " is not a device pointer (no live device allocation holds it: a host address, or garbage)";
}

CUresult check_range(unsigned long long p, unsigned long long bytes, const char* what) {
    std::string problem;
    {
        std::lock_guard<std::mutex> lk(g_mem);
        problem = range_problem_locked(p, bytes);
    }
    if (problem.empty()) return CUDA_SUCCESS;
    say("%s: CUDA_ERROR_INVALID_VALUE: %s", what, problem.c_str());
    return CUDA_ERROR_INVALID_VALUE;
}

bool is_device(unsigned long long p) {
    std::lock_guard<std::mutex> lk(g_mem);
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return false;
    --it;
    return p < it->first + it->second.size;
}

// ---- contexts ------------------------------------------------------------------------------------
// The current context of this thread, if it is alive; `code` says why not.
CUcontext current(CUresult* code) {
    if (!g_initialized) {
        *code = CUDA_ERROR_NOT_INITIALIZED;
        return nullptr;
    }
    CUcontext c = tl_current;
    if (c == nullptr || !c->active) {
        *code = CUDA_ERROR_INVALID_CONTEXT;
        return nullptr;
    }
    *code = CUDA_SUCCESS;
    return c;
}

#define NEED_CONTEXT(what)                                                                          \
    CUresult rc_ = CUDA_SUCCESS;                                                                    \
    CUcontext ctx = current(&rc_);                                                                  \
    if (!ctx) {                                                                                     \
        if (rc_ == CUDA_ERROR_INVALID_CONTEXT) say("%s: CUDA_ERROR_INVALID_CONTEXT: no current context on this thread", what); \
        return rc_;                                                                                 \
    }                                                                                               \
    if (int s_ = ctx->sticky.load()) return s_;

}  // namespace

void jkdrv_stream::start() {
    worker = std::thread([this] { loop(); });
}

void jkdrv_stream::loop() {
    for (;;) {
        Task t;
        {
            std::unique_lock<std::mutex> lk(m);
            cv.wait(lk, [&] { return stopping || !queue.empty(); });
            if (queue.empty()) return;
            t = std::move(queue.front());
            queue.pop_front();
        }
        for (auto& d : t.deps) d.first->wait_for(d.second);
        if (t.run && ctx->sticky.load() == 0) {
            std::string err;
            try {
                err = t.run();
            } catch (const std::exception& e) {
                err = e.what();
            }
            if (!err.empty()) {
                ctx->fail(err.find("assertion failed") != std::string::npos ? CUDA_ERROR_ASSERT : CUDA_ERROR_LAUNCH_FAILED,
                          t.what + ": " + err);
            }
        }
        if (t.after) t.after();
        {
            std::lock_guard<std::mutex> lk(m);
            ++completed;
        }
        cv.notify_all();
    }
}

namespace {

std::shared_ptr<jkdrv_stream> new_stream(CUcontext ctx, bool legacy, unsigned flags) {
    auto s = std::make_shared<jkdrv_stream>(ctx, legacy, flags);
    s->start();
    return s;
}

// The stream object behind a handle of `ctx` (0 and CU_STREAM_LEGACY: the legacy default stream).
std::shared_ptr<jkdrv_stream> resolve(CUcontext ctx, CUstream h, CUresult* code) {
    *code = CUDA_SUCCESS;
    if (h == nullptr || h == JKDRV_STREAM_LEGACY) return ctx->legacyStream;
    if (h == JKDRV_STREAM_PER_THREAD) {
        say("CU_STREAM_PER_THREAD: CUDA_ERROR_NOT_SUPPORTED by the emulated driver");
        *code = CUDA_ERROR_NOT_SUPPORTED;
        return nullptr;
    }
    std::lock_guard<std::mutex> lk(ctx->m);
    for (auto& s : ctx->streams)
        if (s.get() == h) return s;
    say("stream %p: CUDA_ERROR_INVALID_HANDLE (not a live stream of the current context)", (void*)h);
    *code = CUDA_ERROR_INVALID_HANDLE;
    return nullptr;
}

// Queues a task with the legacy default stream's rules: work on the legacy stream waits for all
// earlier work of the context's blocking streams, and work on a blocking stream waits for all
// earlier work on the legacy stream. Returns the task's position in its stream.
unsigned long long enqueue(const std::shared_ptr<jkdrv_stream>& s, Task t) {
    CUcontext ctx = s->ctx;
    std::lock_guard<std::mutex> lk(ctx->m);
    if (s->legacy) {
        for (auto& other : ctx->streams)
            if (!(other->flags & CU_STREAM_NON_BLOCKING)) t.deps.emplace_back(other, other->last());
    } else if (!(s->flags & CU_STREAM_NON_BLOCKING)) {
        t.deps.emplace_back(ctx->legacyStream, ctx->legacyStream->last());
    }
    unsigned long long pos;
    {
        std::lock_guard<std::mutex> sl(s->m);
        s->queue.push_back(std::move(t));
        pos = ++s->enqueued;
    }
    s->cv.notify_all();
    return pos;
}

void drain(CUcontext ctx) {
    std::vector<std::shared_ptr<jkdrv_stream>> all;
    {
        std::lock_guard<std::mutex> lk(ctx->m);
        all = ctx->streams;
        if (ctx->legacyStream) all.push_back(ctx->legacyStream);
    }
    for (auto& s : all) s->wait_for(s->last());
}

// Runs `run` on the legacy stream and waits for it: the synchronous copies and memsets.
CUresult run_sync(CUcontext ctx, const char* what, std::function<std::string()> run) {
    Task t;
    t.what = what;
    t.run = std::move(run);
    auto s = ctx->legacyStream;
    unsigned long long pos = enqueue(s, std::move(t));
    s->wait_for(pos);
    return ctx->sticky.load();
}

CUresult run_async(CUcontext ctx, CUstream h, const char* what, std::function<std::string()> run) {
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    Task t;
    t.what = what;
    t.run = std::move(run);
    enqueue(s, std::move(t));
    return CUDA_SUCCESS;
}

void activate(CUcontext c) {
    c->active = true;
    c->sticky = 0;
    c->stickyWhat.clear();
    c->legacyStream = new_stream(c, true, 0);
}

void free_all_locked_allocations() {
    std::lock_guard<std::mutex> lk(g_mem);
    for (auto& [base, a] : g_allocs) {
        g_freed[base] = a.size;
        free((void*)base);
    }
    g_allocs.clear();
    g_liveBytes = 0;
}

// The primary context's last release: its streams, modules and memory go, as on a GPU.
void deactivate(CUcontext c) {
    drain(c);
    std::vector<std::shared_ptr<jkdrv_stream>> streams;
    std::set<CUmodule> modules;
    {
        std::lock_guard<std::mutex> lk(c->m);
        streams.swap(c->streams);
        modules.swap(c->modules);
    }
    for (auto& s : streams) {
        remove_handle(s.get());
        s->stop();
    }
    c->legacyStream->stop();
    c->legacyStream.reset();
    for (CUmodule m : modules) {
        for (auto& [n, f] : m->functions) remove_handle(f.get());
        remove_handle(m);
        delete m;
    }
    free_all_locked_allocations();
    c->active = false;
}

std::mutex& g_notes_m = *new std::mutex();
std::set<std::string>& g_notes = *new std::set<std::string>();

}  // namespace

// =====================================================================================================
extern "C" {

const char* jkernels_emulated_driver(void) {
    return "jkernels emulated CUDA driver: the kernels run on the CPU emulator; not a GPU";
}

int jkdrv_initialized(void) { return g_initialized ? 1 : 0; }

void jkdrv_note_once(const char* what) {
    std::lock_guard<std::mutex> lk(g_notes_m);
    if (g_notes.insert(what).second) say("%s", what);
}

CUresult jkdrv_check_device_range(CUdeviceptr p, unsigned long long bytes, const char* what) { return check_range(p, bytes, what); }

CUresult jkdrv_submit(CUstream stream, const char* (*fn)(void*), void* arg, void (*dispose)(void*), const char* what) {
    CUresult rc = CUDA_SUCCESS;
    CUcontext ctx = current(&rc);
    if (!ctx) {
        if (dispose) dispose(arg);
        return rc;
    }
    if (int s = ctx->sticky.load()) {
        if (dispose) dispose(arg);
        return s;
    }
    auto s = resolve(ctx, stream, &rc);
    if (!s) {
        if (dispose) dispose(arg);
        return rc;
    }
    Task t;
    t.what = what;
    t.run = [fn, arg]() -> std::string {
        const char* err = fn(arg);
        return err ? std::string(err) : std::string();
    };
    t.after = [dispose, arg] {
        if (dispose) dispose(arg);
    };
    enqueue(s, std::move(t));
    return CUDA_SUCCESS;
}

// ---- errors ------------------------------------------------------------------------------------
static const char* error_name(CUresult e) {
    switch (e) {
        case CUDA_SUCCESS: return "CUDA_SUCCESS";
        case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case CUDA_ERROR_DEINITIALIZED: return "CUDA_ERROR_DEINITIALIZED";
        case CUDA_ERROR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
        case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
        case CUDA_ERROR_FILE_NOT_FOUND: return "CUDA_ERROR_FILE_NOT_FOUND";
        case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case CUDA_ERROR_NOT_READY: return "CUDA_ERROR_NOT_READY";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case CUDA_ERROR_ASSERT: return "CUDA_ERROR_ASSERT";
        case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case CUDA_ERROR_NOT_PERMITTED: return "CUDA_ERROR_NOT_PERMITTED";
        case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        default: return nullptr;
    }
}

CUresult cuGetErrorName(CUresult e, const char** out) {
    if (!out) return CUDA_ERROR_INVALID_VALUE;
    *out = error_name(e);
    return *out ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult e, const char** out) { return cuGetErrorName(e, out); }

// ---- initialisation and the device ------------------------------------------------------------------
CUresult cuInit(unsigned flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    Emu& e = emu();
    if (!e.error.empty()) {
        say("cuInit: %s", e.error.c_str());
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (!g_initialized.exchange(true)) jkdrv_note_once(jkernels_emulated_driver());
    return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* v) {
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = JKDRV_DRIVER_VERSION;
    return CUDA_SUCCESS;
}

#define NEED_INIT \
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
#define NEED_DEVICE(d) \
    if ((d) != 0) return CUDA_ERROR_INVALID_DEVICE;

CUresult cuDeviceGetCount(int* n) {
    NEED_INIT
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    NEED_INIT
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t)len, "%s", JKDRV_DEVICE_NAME);
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = JKDRV_TOTAL_MEMORY;
    return CUDA_SUCCESS;
}

CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!major || !minor) return CUDA_ERROR_INVALID_VALUE;
    *major = JKDRV_CC_MAJOR;
    *minor = JKDRV_CC_MINOR;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetUuid(unsigned char* uuid, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!uuid) return CUDA_ERROR_INVALID_VALUE;
    memcpy(uuid, "jkernels-emu-gpu", 16);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetPCIBusId(char* id, int len, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!id || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(id, (size_t)len, "0000:00:00.0");
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    int r;
    switch (attr) {
        case 1: r = JKDRV_MAX_THREADS_PER_BLOCK; break;
        case 2: r = JKDRV_MAX_BLOCK_X; break;
        case 3: r = JKDRV_MAX_BLOCK_Y; break;
        case 4: r = JKDRV_MAX_BLOCK_Z; break;
        case 5: r = JKDRV_MAX_GRID_X; break;
        case 6: case 7: r = JKDRV_MAX_GRID_YZ; break;
        case 8: r = JKDRV_SHARED_PER_BLOCK; break;
        case 9: r = 65536; break;  // constant memory
        case 10: r = JKDRV_WARP; break;
        case 11: r = 2147483647; break;  // max pitch
        case 12: r = JKDRV_REGS_PER_BLOCK; break;
        case 13: r = 1980000; break;  // SM clock, kHz
        case 14: r = 512; break;      // texture alignment
        case 15: r = 1; break;        // GPU overlap
        case 16: r = JKDRV_SMS; break;
        case 17: r = 0; break;  // kernel exec timeout
        case 18: r = 0; break;  // integrated
        case 19: r = 1; break;  // can map host memory
        case 20: r = 0; break;  // compute mode default
        case 31: r = 1; break;  // concurrent kernels
        case 32: r = 1; break;  // ECC
        case 33: case 34: case 50: r = 0; break;  // PCI bus, device, domain
        case 35: r = 0; break;  // TCC
        case 36: r = 2619000; break;  // memory clock, kHz
        case 37: r = 6144; break;     // bus width, bits
        case 38: r = 62914560; break; // L2, 60 MiB
        case 39: r = JKDRV_MAX_THREADS_PER_SM; break;
        case 40: r = 3; break;  // async engines
        case 41: r = 1; break;  // unified addressing
        case 75: r = JKDRV_CC_MAJOR; break;
        case 76: r = JKDRV_CC_MINOR; break;
        case 78: r = 1; break;  // stream priorities
        case 79: case 80: r = 1; break;  // L1 caches
        case 81: r = JKDRV_SHARED_PER_SM; break;
        case 82: r = JKDRV_REGS_PER_SM; break;
        case 83: r = 0; break;  // managed memory: not emulated
        case 95: r = 0; break;  // cooperative launch: not emulated
        case 97: r = JKDRV_SHARED_PER_BLOCK_OPTIN; break;
        case 106: r = JKDRV_MAX_BLOCKS_PER_SM; break;
        case 111: r = 1024; break;  // reserved shared memory per block
        case 115: r = 0; break;     // memory pools: not emulated
        case 120: r = 0; break;     // cluster launch: not emulated
        default:
            say("cuDeviceGetAttribute(%d): CUDA_ERROR_NOT_SUPPORTED by the emulated driver", attr);
            return CUDA_ERROR_NOT_SUPPORTED;
    }
    *v = r;
    return CUDA_SUCCESS;
}

// ---- contexts ----------------------------------------------------------------------------------------
CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> lk(g_primary.m);
    if (g_primary.refcount++ == 0) activate(&g_primary);
    *pctx = &g_primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    NEED_INIT
    NEED_DEVICE(d)
    bool last;
    {
        std::lock_guard<std::mutex> lk(g_primary.m);
        if (g_primary.refcount == 0) return CUDA_ERROR_INVALID_CONTEXT;
        last = --g_primary.refcount == 0;
    }
    if (last) deactivate(&g_primary);
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxGetState(CUdevice d, unsigned* flags, int* active) {
    NEED_INIT
    NEED_DEVICE(d)
    if (!flags || !active) return CUDA_ERROR_INVALID_VALUE;
    *flags = g_primary.flags;
    *active = g_primary.active ? 1 : 0;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice d, unsigned flags) {
    NEED_INIT
    NEED_DEVICE(d)
    g_primary.flags = flags;
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext c) {
    NEED_INIT
    if (c != nullptr && (c != &g_primary || !c->active)) {
        say("cuCtxSetCurrent(%p): CUDA_ERROR_INVALID_CONTEXT (not a live context)", (void*)c);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    tl_current = c;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* c) {
    NEED_INIT
    if (!c) return CUDA_ERROR_INVALID_VALUE;
    *c = tl_current;
    return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent_v2(CUcontext c) {
    NEED_INIT
    if (c != &g_primary || !c->active) return CUDA_ERROR_INVALID_CONTEXT;
    tl_stack.push_back(tl_current);
    tl_current = c;
    return CUDA_SUCCESS;
}

CUresult cuCtxPopCurrent_v2(CUcontext* c) {
    NEED_INIT
    if (!tl_current) return CUDA_ERROR_INVALID_CONTEXT;
    if (c) *c = tl_current;
    tl_current = tl_stack.empty() ? nullptr : tl_stack.back();
    if (!tl_stack.empty()) tl_stack.pop_back();
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice* d) {
    NEED_CONTEXT("cuCtxGetDevice")
    (void)ctx;
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetApiVersion(CUcontext c, unsigned* v) {
    NEED_INIT
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    if (c != nullptr && c != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    *v = 3020;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetFlags(unsigned* flags) {
    NEED_CONTEXT("cuCtxGetFlags")
    if (!flags) return CUDA_ERROR_INVALID_VALUE;
    *flags = ctx->flags;
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    NEED_CONTEXT("cuCtxSynchronize")
    drain(ctx);
    return ctx->sticky.load();
}

// ---- memory ------------------------------------------------------------------------------------
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    NEED_CONTEXT("cuMemAlloc")
    (void)ctx;
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    {
        std::lock_guard<std::mutex> lk(g_mem);
        if (g_liveBytes + bytes > JKDRV_TOTAL_MEMORY) return CUDA_ERROR_OUT_OF_MEMORY;
    }
    void* mem = nullptr;
    if (posix_memalign(&mem, 256, bytes) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
    std::lock_guard<std::mutex> lk(g_mem);
    unsigned long long base = (unsigned long long)mem;
    // A new allocation over a freed range: that range is no longer "freed".
    for (auto f = g_freed.lower_bound(base > (1ull << 32) ? base - (1ull << 32) : 0); f != g_freed.end() && f->first < base + bytes;) {
        if (f->first + f->second > base) f = g_freed.erase(f);
        else ++f;
    }
    g_allocs[base] = Allocation{bytes};
    g_liveBytes += bytes;
    *p = base;
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
    NEED_CONTEXT("cuMemFree")
    if (p == 0) return CUDA_SUCCESS;
    drain(ctx);  // cuMemFree synchronises: no queued work may still use the memory
    std::lock_guard<std::mutex> lk(g_mem);
    auto it = g_allocs.find(p);
    if (it == g_allocs.end()) {
        say("cuMemFree(%s): CUDA_ERROR_INVALID_VALUE: %s", hex(p).c_str(), range_problem_locked(p, 1).c_str());
        return CUDA_ERROR_INVALID_VALUE;
    }
    g_liveBytes -= it->second.size;
    g_freed[p] = it->second.size;
    if (g_freed.size() > 65536) g_freed.erase(g_freed.begin());
    g_allocs.erase(it);
    free((void*)p);
    return CUDA_SUCCESS;
}

CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    NEED_CONTEXT("cuMemGetInfo")
    (void)ctx;
    if (!freeBytes || !total) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> lk(g_mem);
    *total = JKDRV_TOTAL_MEMORY;
    *freeBytes = JKDRV_TOTAL_MEMORY - g_liveBytes;
    return CUDA_SUCCESS;
}

CUresult cuMemGetAddressRange_v2(CUdeviceptr* base, size_t* size, CUdeviceptr p) {
    NEED_CONTEXT("cuMemGetAddressRange")
    (void)ctx;
    std::lock_guard<std::mutex> lk(g_mem);
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return CUDA_ERROR_NOT_FOUND;
    --it;
    if (p >= it->first + it->second.size) return CUDA_ERROR_NOT_FOUND;
    if (base) *base = it->first;
    if (size) *size = it->second.size;
    return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
    NEED_CONTEXT("cuMemAllocHost")
    (void)ctx;
    if (!p) return CUDA_ERROR_INVALID_VALUE;
    if (posix_memalign(p, 4096, bytes ? bytes : 1) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
    return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void* p) {
    NEED_CONTEXT("cuMemFreeHost")
    (void)ctx;
    free(p);
    return CUDA_SUCCESS;
}

// Copies: the device side is checked when the copy is issued and again when it runs (a buffer
// freed in between is caught). Host-side copies (HtoD, DtoH, sync or async) complete before the
// call returns: JCuda's Java arrays are pinned only for the duration of the call, as pageable
// host memory is on a GPU (where cuMemcpyDtoHAsync from pageable memory is synchronous too).
static std::string copy_task(unsigned long long dst, bool dstDev, unsigned long long src, bool srcDev, size_t bytes) {
    std::lock_guard<std::mutex> lk(g_mem);
    if (dstDev) {
        std::string p = range_problem_locked(dst, bytes);
        if (!p.empty()) return "destination: " + p;
    }
    if (srcDev) {
        std::string p = range_problem_locked(src, bytes);
        if (!p.empty()) return "source: " + p;
    }
    memmove((void*)dst, (const void*)src, bytes);
    return "";
}

static CUresult copy(const char* what, unsigned long long dst, bool dstDev, unsigned long long src, bool srcDev, size_t bytes,
                     CUstream stream, bool async) {
    NEED_CONTEXT(what)
    if (bytes == 0) return CUDA_SUCCESS;
    if (dstDev) {
        CUresult r = check_range(dst, bytes, what);
        if (r) return r;
    } else if (dst == 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (srcDev) {
        CUresult r = check_range(src, bytes, what);
        if (r) return r;
    } else if (src == 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    auto run = [=] { return copy_task(dst, dstDev, src, srcDev, bytes); };
    bool hostSide = !dstDev || !srcDev;
    if (!async) return run_sync(ctx, what, run);
    CUresult code;
    auto s = resolve(ctx, stream, &code);
    if (!s) return code;
    Task t;
    t.what = what;
    t.run = run;
    unsigned long long pos = enqueue(s, std::move(t));
    if (hostSide) {
        s->wait_for(pos);
        return ctx->sticky.load();
    }
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    return copy("cuMemcpyHtoD", dst, true, (unsigned long long)src, false, n, nullptr, false);
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    return copy("cuMemcpyDtoH", (unsigned long long)dst, false, src, true, n, nullptr, false);
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    return copy("cuMemcpyDtoD", dst, true, src, true, n, nullptr, false);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    return copy("cuMemcpyHtoDAsync", dst, true, (unsigned long long)src, false, n, s, true);
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) {
    return copy("cuMemcpyDtoHAsync", (unsigned long long)dst, false, src, true, n, s, true);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    return copy("cuMemcpyDtoDAsync", dst, true, src, true, n, s, true);
}
// Unified addressing: a pointer inside a device allocation is device memory, anything else host.
CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    return copy("cuMemcpy", dst, is_device(dst), src, is_device(src), n, nullptr, false);
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    return copy("cuMemcpyAsync", dst, is_device(dst), src, is_device(src), n, s, true);
}

static CUresult memset_n(const char* what, CUdeviceptr dst, unsigned value, int width, size_t count, CUstream stream, bool async) {
    NEED_CONTEXT(what)
    if (count == 0) return CUDA_SUCCESS;
    if (dst % (unsigned)width != 0) {
        say("%s: CUDA_ERROR_INVALID_VALUE: %s is not %d-byte aligned", what, hex(dst).c_str(), width);
        return CUDA_ERROR_INVALID_VALUE;
    }
    size_t bytes = count * (size_t)width;
    CUresult r = check_range(dst, bytes, what);
    if (r) return r;
    auto run = [=]() -> std::string {
        {
            std::lock_guard<std::mutex> lk(g_mem);
            std::string p = range_problem_locked(dst, bytes);
            if (!p.empty()) return p;
        }
        unsigned char* d = (unsigned char*)dst;
        for (size_t i = 0; i < count; ++i) {
            if (width == 1) d[i] = (unsigned char)value;
            else if (width == 2) ((unsigned short*)d)[i] = (unsigned short)value;
            else ((unsigned*)d)[i] = value;
        }
        return "";
    };
    return async ? run_async(ctx, stream, what, run) : run_sync(ctx, what, run);
}

CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return memset_n("cuMemsetD8", d, v, 1, n, nullptr, false); }
CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return memset_n("cuMemsetD16", d, v, 2, n, nullptr, false); }
CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { return memset_n("cuMemsetD32", d, v, 4, n, nullptr, false); }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) { return memset_n("cuMemsetD8Async", d, v, 1, n, s, true); }
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) { return memset_n("cuMemsetD16Async", d, v, 2, n, s, true); }
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, CUstream s) { return memset_n("cuMemsetD32Async", d, v, 4, n, s, true); }

// ---- streams and events ----------------------------------------------------------------------------
CUresult cuStreamCreate(CUstream* out, unsigned flags) {
    NEED_CONTEXT("cuStreamCreate")
    if (!out || (flags & ~1u)) return CUDA_ERROR_INVALID_VALUE;
    auto s = new_stream(ctx, false, flags);
    {
        std::lock_guard<std::mutex> lk(ctx->m);
        ctx->streams.push_back(s);
    }
    add_handle(s.get());
    *out = s.get();
    return CUDA_SUCCESS;
}

CUresult cuStreamCreateWithPriority(CUstream* out, unsigned flags, int priority) {
    (void)priority;
    return cuStreamCreate(out, flags);
}

CUresult cuStreamGetFlags(CUstream h, unsigned* flags) {
    NEED_CONTEXT("cuStreamGetFlags")
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    if (!flags) return CUDA_ERROR_INVALID_VALUE;
    *flags = s->flags;
    return CUDA_SUCCESS;
}

CUresult cuStreamGetCtx(CUstream h, CUcontext* out) {
    NEED_CONTEXT("cuStreamGetCtx")
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    if (!out) return CUDA_ERROR_INVALID_VALUE;
    *out = ctx;
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream h) {
    NEED_INIT
    CUresult rc = CUDA_SUCCESS;
    CUcontext ctx = current(&rc);
    if (!ctx) return rc;
    if (h == nullptr || h == JKDRV_STREAM_LEGACY || !live_handle(h)) return CUDA_ERROR_INVALID_HANDLE;
    std::shared_ptr<jkdrv_stream> s;
    {
        std::lock_guard<std::mutex> lk(ctx->m);
        for (auto it = ctx->streams.begin(); it != ctx->streams.end(); ++it) {
            if (it->get() == h) {
                s = *it;
                ctx->streams.erase(it);
                break;
            }
        }
    }
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    remove_handle(h);
    s->wait_for(s->last());  // its queued work completes first, as on a GPU
    s->stop();
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream h) {
    NEED_INIT
    CUresult rc = CUDA_SUCCESS;
    CUcontext ctx = current(&rc);
    if (!ctx) {
        say("cuStreamSynchronize: CUDA_ERROR_INVALID_CONTEXT: no current context on this thread");
        return rc;
    }
    auto s = resolve(ctx, h, &rc);
    if (!s) return rc;
    if (s->legacy) drain(ctx);  // the legacy stream's work waits for the blocking streams
    else s->wait_for(s->last());
    return ctx->sticky.load();
}

CUresult cuStreamQuery(CUstream h) {
    NEED_CONTEXT("cuStreamQuery")
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    std::lock_guard<std::mutex> lk(s->m);
    return s->completed >= s->enqueued ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventCreate(CUevent* out, unsigned flags) {
    NEED_CONTEXT("cuEventCreate")
    if (!out) return CUDA_ERROR_INVALID_VALUE;
    CUevent e = new jkdrv_event();
    e->ctx = ctx;
    e->flags = flags;
    add_handle(e);
    *out = e;
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent e) {
    NEED_INIT
    if (!e || !live_handle(e)) return CUDA_ERROR_INVALID_HANDLE;
    remove_handle(e);
    std::shared_ptr<jkdrv_stream> s;
    unsigned long long marker;
    {
        std::lock_guard<std::mutex> lk(e->m);
        s = e->stream;
        marker = e->marker;
    }
    if (s) s->wait_for(marker);  // its record task must not outlive it
    delete e;
    return CUDA_SUCCESS;
}

static CUresult event_record(CUevent e, CUstream h) {
    NEED_CONTEXT("cuEventRecord")
    if (!e || !live_handle(e)) return CUDA_ERROR_INVALID_HANDLE;
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    std::lock_guard<std::mutex> lk(e->m);
    unsigned long long gen = ++e->generation;
    e->recorded = true;
    e->done = false;
    Task t;
    t.what = "cuEventRecord";
    t.after = [e, gen] {
        std::lock_guard<std::mutex> l(e->m);
        if (e->generation == gen) {
            e->at = std::chrono::steady_clock::now();
            e->done = true;
        }
    };
    e->stream = s;
    e->marker = enqueue(s, std::move(t));
    return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent e, CUstream s) { return event_record(e, s); }
CUresult cuEventRecordWithFlags(CUevent e, CUstream s, unsigned flags) {
    (void)flags;
    return event_record(e, s);
}

CUresult cuEventQuery(CUevent e) {
    NEED_INIT
    if (!e || !live_handle(e)) return CUDA_ERROR_INVALID_HANDLE;
    std::lock_guard<std::mutex> lk(e->m);
    return !e->recorded || e->done ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventSynchronize(CUevent e) {
    NEED_INIT
    if (!e || !live_handle(e)) return CUDA_ERROR_INVALID_HANDLE;
    std::shared_ptr<jkdrv_stream> s;
    unsigned long long marker;
    {
        std::lock_guard<std::mutex> lk(e->m);
        if (!e->recorded) return CUDA_SUCCESS;
        s = e->stream;
        marker = e->marker;
    }
    s->wait_for(marker);
    return e->ctx->sticky.load();
}

CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent stop) {
    NEED_INIT
    if (!ms) return CUDA_ERROR_INVALID_VALUE;
    if (!start || !stop || !live_handle(start) || !live_handle(stop)) return CUDA_ERROR_INVALID_HANDLE;
    if ((start->flags | stop->flags) & CU_EVENT_DISABLE_TIMING) return CUDA_ERROR_INVALID_HANDLE;
    std::lock_guard<std::mutex> l1(start->m);
    std::lock_guard<std::mutex> l2(stop->m);
    if (!start->recorded || !stop->recorded) return CUDA_ERROR_INVALID_HANDLE;
    if (!start->done || !stop->done) return CUDA_ERROR_NOT_READY;
    *ms = std::chrono::duration<float, std::milli>(stop->at - start->at).count();
    return CUDA_SUCCESS;
}

CUresult cuStreamWaitEvent(CUstream h, CUevent e, unsigned flags) {
    NEED_CONTEXT("cuStreamWaitEvent")
    (void)flags;
    if (!e || !live_handle(e)) return CUDA_ERROR_INVALID_HANDLE;
    CUresult code;
    auto s = resolve(ctx, h, &code);
    if (!s) return code;
    Task t;
    t.what = "cuStreamWaitEvent";
    {
        std::lock_guard<std::mutex> lk(e->m);
        if (e->recorded && e->stream) t.deps.emplace_back(e->stream, e->marker);
    }
    enqueue(s, std::move(t));
    return CUDA_SUCCESS;
}

// ---- modules and functions ---------------------------------------------------------------------------
CUresult cuModuleLoadData(CUmodule* out, const void* image) {
    NEED_CONTEXT("cuModuleLoadData")
    if (!out || !image) return CUDA_ERROR_INVALID_VALUE;
    auto m = std::make_unique<jkdrv_module>();
    m->ctx = ctx;
    std::string why;
    CUresult r = read_fatbin(image, m->kernels, why);
    if (r) {
        say("cuModuleLoadData: %s: %s", error_name(r), why.c_str());
        return r;
    }
    CUmodule h = m.release();
    {
        std::lock_guard<std::mutex> lk(ctx->m);
        ctx->modules.insert(h);
    }
    add_handle(h);
    *out = h;
    return CUDA_SUCCESS;
}

CUresult cuModuleLoadDataEx(CUmodule* out, const void* image, unsigned n, int* options, void** values) {
    (void)n;
    (void)options;
    (void)values;
    return cuModuleLoadData(out, image);
}

CUresult cuModuleLoadFatBinary(CUmodule* out, const void* image) { return cuModuleLoadData(out, image); }

CUresult cuModuleLoad(CUmodule* out, const char* path) {
    NEED_CONTEXT("cuModuleLoad")
    (void)ctx;
    std::ifstream in(path ? path : "", std::ios::binary);
    if (!in) return CUDA_ERROR_FILE_NOT_FOUND;
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 16) return CUDA_ERROR_INVALID_IMAGE;
    return cuModuleLoadData(out, bytes.data());
}

CUresult cuModuleUnload(CUmodule m) {
    NEED_INIT
    if (!m || !live_handle(m)) return CUDA_ERROR_INVALID_HANDLE;
    CUcontext ctx = m->ctx;
    drain(ctx);
    {
        std::lock_guard<std::mutex> lk(ctx->m);
        ctx->modules.erase(m);
    }
    for (auto& [n, f] : m->functions) remove_handle(f.get());
    remove_handle(m);
    delete m;
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* out, CUmodule m, const char* name) {
    NEED_CONTEXT("cuModuleGetFunction")
    (void)ctx;
    if (!out || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!m || !live_handle(m)) return CUDA_ERROR_INVALID_HANDLE;
    auto existing = m->functions.find(name);
    if (existing != m->functions.end()) {
        *out = existing->second.get();
        return CUDA_SUCCESS;
    }
    auto k = m->kernels.find(name);
    if (k == m->kernels.end()) {
        say("cuModuleGetFunction(%s): CUDA_ERROR_NOT_FOUND: the fatbin's sm_90 image has no such kernel", name);
        return CUDA_ERROR_NOT_FOUND;
    }
    auto f = std::make_unique<jkdrv_function>();
    f->module = m;
    f->name = name;
    f->arity = emu().signature(name, f->sizes, f->kinds, 64);
    if (f->arity < 0) {
        say("cuModuleGetFunction(%s): CUDA_ERROR_NOT_FOUND: the fatbin has it, the emulator library (%s) does not "
            "(built from other sources?)", name, emu().where.c_str());
        return CUDA_ERROR_NOT_FOUND;
    }
    if (f->arity > 64) return CUDA_ERROR_NOT_SUPPORTED;
    // The parameter layout: the fatbin's (what the GPU driver uses) must agree with the emulator's
    // signature of the same kernel, parameter by parameter.
    const FatbinKernel& fk = k->second;
    if (!fk.sizes.empty()) {
        if ((int)fk.sizes.size() != f->arity) {
            say("cuModuleGetFunction(%s): CUDA_ERROR_INVALID_IMAGE: the fatbin declares %zu parameters, the emulator %d",
                name, fk.sizes.size(), f->arity);
            return CUDA_ERROR_INVALID_IMAGE;
        }
        for (int i = 0; i < f->arity; ++i) {
            if (fk.sizes[i] != f->sizes[i]) {
                say("cuModuleGetFunction(%s): CUDA_ERROR_INVALID_IMAGE: parameter %d is %d bytes in the fatbin, %d in the emulator",
                    name, i, fk.sizes[i], (int)f->sizes[i]);
                return CUDA_ERROR_INVALID_IMAGE;
            }
        }
        f->offsets = fk.offsets;
    } else {
        int off = 0;  // the CUDA ABI: each parameter at its natural alignment (8 for structs of pointers)
        for (int i = 0; i < f->arity; ++i) {
            int align = f->kinds[i] == 2 ? 8 : std::min<int>(f->sizes[i], 8);
            off = (off + align - 1) / align * align;
            f->offsets.push_back(off);
            off += f->sizes[i];
        }
    }
    f->paramBytes = 0;
    for (int i = 0; i < f->arity; ++i) f->paramBytes = std::max(f->paramBytes, f->offsets[i] + (int)f->sizes[i]);
    if (fk.paramBytes >= 0 && fk.paramBytes != f->paramBytes && !fk.sizes.empty()) f->paramBytes = fk.paramBytes;
    std::string reportPath;
    auto& report = ptxas_report(&reportPath);
    auto fig = report.find(name);
    if (fig != report.end()) {
        f->haveReport = true;
        f->figures = fig->second;
    } else {
        jkdrv_note_once(("no ptxas figures for some kernels (" + reportPath +
                         "): their registers and static shared memory count as 0").c_str());
    }
    f->maxDynamicShared = JKDRV_SHARED_PER_BLOCK - f->figures.smem;
    CUfunction h = f.get();
    m->functions[name] = std::move(f);
    add_handle(h);
    *out = h;
    return CUDA_SUCCESS;
}

CUresult cuFuncGetModule(CUmodule* out, CUfunction f) {
    NEED_INIT
    if (!out) return CUDA_ERROR_INVALID_VALUE;
    if (!f || !live_handle(f)) return CUDA_ERROR_INVALID_HANDLE;
    *out = f->module;
    return CUDA_SUCCESS;
}

CUresult cuFuncGetAttribute(int* v, int attr, CUfunction f) {
    NEED_INIT
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    if (!f || !live_handle(f)) return CUDA_ERROR_INVALID_HANDLE;
    const PtxasFigures& p = f->figures;
    switch (attr) {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: {
            int t = JKDRV_MAX_THREADS_PER_BLOCK;
            if (p.regs > 0) t = std::min<int>(t, JKDRV_REGS_PER_BLOCK / p.regs / JKDRV_WARP * JKDRV_WARP);
            *v = t;
            break;
        }
        case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *v = p.smem; break;
        case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES: *v = 0; break;
        case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES: *v = p.stack; break;
        case CU_FUNC_ATTRIBUTE_NUM_REGS: *v = p.regs; break;
        case CU_FUNC_ATTRIBUTE_PTX_VERSION: *v = 90; break;
        case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *v = 90; break;
        case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *v = 0; break;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *v = f->maxDynamicShared; break;
        case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *v = -1; break;
        default:
            say("cuFuncGetAttribute(%d): CUDA_ERROR_NOT_SUPPORTED by the emulated driver", attr);
            return CUDA_ERROR_NOT_SUPPORTED;
    }
    return CUDA_SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction f, int attr, int value) {
    NEED_INIT
    if (!f || !live_handle(f)) return CUDA_ERROR_INVALID_HANDLE;
    if (attr == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) {
        if (value < 0 || value > JKDRV_SHARED_PER_BLOCK_OPTIN - f->figures.smem) return CUDA_ERROR_INVALID_VALUE;
        f->maxDynamicShared = value;
        return CUDA_SUCCESS;
    }
    if (attr == CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT) return CUDA_SUCCESS;
    say("cuFuncSetAttribute(%d): CUDA_ERROR_NOT_SUPPORTED by the emulated driver", attr);
    return CUDA_ERROR_NOT_SUPPORTED;
}

CUresult cuFuncSetCacheConfig(CUfunction f, int config) {
    NEED_INIT
    (void)config;
    return f && live_handle(f) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuCtxSetCacheConfig(int config) {
    NEED_CONTEXT("cuCtxSetCacheConfig")
    (void)ctx;
    (void)config;
    return CUDA_SUCCESS;
}

CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, CUfunction f, int blockSize, size_t dynamicShared) {
    NEED_INIT
    if (!blocks || blockSize <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (!f || !live_handle(f)) return CUDA_ERROR_INVALID_HANDLE;
    int warps = (blockSize + JKDRV_WARP - 1) / JKDRV_WARP;
    int b = std::min<int>(JKDRV_MAX_BLOCKS_PER_SM, JKDRV_MAX_THREADS_PER_SM / (warps * JKDRV_WARP));
    int regs = f->figures.regs > 0 ? (f->figures.regs + 7) / 8 * 8 : 0;
    if (regs > 0) b = std::min<int>(b, JKDRV_REGS_PER_SM / (regs * warps * JKDRV_WARP));
    size_t smem = (size_t)f->figures.smem + dynamicShared + 1024;
    b = std::min<int>(b, (int)(JKDRV_SHARED_PER_SM / smem));
    *blocks = std::max(0, b);
    return CUDA_SUCCESS;
}

CUresult cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* blocks, CUfunction f, int blockSize, size_t dyn, unsigned flags) {
    (void)flags;
    return cuOccupancyMaxActiveBlocksPerMultiprocessor(blocks, f, blockSize, dyn);
}

// ---- the launch --------------------------------------------------------------------------------------
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, CUstream hStream, void** kernelParams, void** extra) {
    NEED_CONTEXT("cuLaunchKernel")
    if (!f || !live_handle(f)) {
        say("cuLaunchKernel: CUDA_ERROR_INVALID_HANDLE: not a live function");
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (f->module->ctx != ctx) return CUDA_ERROR_INVALID_CONTEXT;
    const char* name = f->name.c_str();
    auto invalid = [&](const std::string& why, CUresult code = CUDA_ERROR_INVALID_VALUE) {
        say("cuLaunchKernel(%s): %s: %s", name, error_name(code), why.c_str());
        return code;
    };
    unsigned long long threads = (unsigned long long)bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return invalid("a grid or block dimension is 0");
    if (bx > JKDRV_MAX_BLOCK_X || by > JKDRV_MAX_BLOCK_Y || bz > JKDRV_MAX_BLOCK_Z)
        return invalid("block (" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz) + ") exceeds (1024, 1024, 64)");
    if (threads > JKDRV_MAX_THREADS_PER_BLOCK) return invalid(std::to_string(threads) + " threads per block, more than 1024");
    if (gx > (unsigned)JKDRV_MAX_GRID_X || gy > JKDRV_MAX_GRID_YZ || gz > JKDRV_MAX_GRID_YZ)
        return invalid("grid (" + std::to_string(gx) + "," + std::to_string(gy) + "," + std::to_string(gz) + ") exceeds (2^31-1, 65535, 65535)");
    if ((long long)sharedBytes > f->maxDynamicShared) {
        return invalid(std::to_string(sharedBytes) + " bytes of dynamic shared memory, more than the " +
                       std::to_string(f->maxDynamicShared) + " allowed (" + std::to_string(f->figures.smem) +
                       " static; 48 KiB in all without CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 227 KiB with it)");
    }
    if (f->figures.regs > 0) {
        unsigned long long regs = (unsigned long long)((f->figures.regs + 7) / 8 * 8) * ((threads + 31) / 32 * 32);
        if (regs > JKDRV_REGS_PER_BLOCK) {
            return invalid(std::to_string(threads) + " threads of " + std::to_string(f->figures.regs) + " registers need " +
                           std::to_string(regs) + " registers, more than the 65536 of a block", CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES);
        }
    }
    if ((kernelParams != nullptr) == (extra != nullptr) && f->arity > 0) {
        return invalid(kernelParams ? "both kernelParams and extra are given" : "the kernel takes arguments and none are given");
    }
    // The argument block, laid out as the kernel's parameter table says; the driver copies it at
    // the launch, so the caller's memory may go once this returns.
    auto args = std::make_shared<std::vector<unsigned char>>(std::max(f->paramBytes, 1));
    if (kernelParams) {
        for (int i = 0; i < f->arity; ++i) {
            if (kernelParams[i] == nullptr) return invalid("kernelParams[" + std::to_string(i) + "] is null");
            memcpy(args->data() + f->offsets[i], kernelParams[i], f->sizes[i]);
        }
    } else if (extra) {
        void* buffer = nullptr;
        size_t* size = nullptr;
        for (int i = 0; extra[i] != JKDRV_LAUNCH_PARAM_END; i += 2) {
            if (extra[i] == JKDRV_LAUNCH_PARAM_BUFFER_POINTER) buffer = extra[i + 1];
            else if (extra[i] == JKDRV_LAUNCH_PARAM_BUFFER_SIZE) size = (size_t*)extra[i + 1];
            else return invalid("unknown key " + hex((unsigned long long)extra[i]) + " in extra");
        }
        if (!buffer || !size) return invalid("extra lacks CU_LAUNCH_PARAM_BUFFER_POINTER or _SIZE");
        if (*size != (size_t)f->paramBytes) {
            return invalid("the argument buffer is " + std::to_string(*size) + " bytes, the kernel's parameters " +
                           std::to_string(f->paramBytes));
        }
        memcpy(args->data(), buffer, f->paramBytes);
    }
    // Pointer arguments: null, or inside a live device allocation.
    for (int i = 0; i < f->arity; ++i) {
        if (f->kinds[i] != 1) continue;
        unsigned long long p;
        memcpy(&p, args->data() + f->offsets[i], 8);
        if (p == 0) continue;
        std::string problem;
        {
            std::lock_guard<std::mutex> lk(g_mem);
            problem = range_problem_locked(p, 1);
        }
        if (!problem.empty()) return invalid("pointer argument " + std::to_string(i) + ": " + problem);
    }
    // By-value struct arguments (jk::Epilogue) embed pointers the driver cannot tell from data; an
    // 8-byte word that falls inside a freed device allocation (and no live one) is a freed buffer.
    for (int i = 0; i < f->arity; ++i) {
        if (f->kinds[i] != 2) continue;
        for (int off = 0; off + 8 <= (int)f->sizes[i]; off += 8) {
            unsigned long long p;
            memcpy(&p, args->data() + f->offsets[i] + off, 8);
            if (p == 0) continue;
            std::string problem;
            {
                std::lock_guard<std::mutex> lk(g_mem);
                std::string r = range_problem_locked(p, 1);
                if (r.find("already freed") != std::string::npos) problem = r;
            }
            if (!problem.empty()) return invalid("struct argument " + std::to_string(i) + ", bytes " + std::to_string(off) + "-" +
                                                 std::to_string(off + 7) + ": " + problem);
        }
    }
    CUresult code;
    auto s = resolve(ctx, hStream, &code);
    if (!s) return code;
    Task t;
    t.what = "kernel " + f->name;
    std::string kname = f->name;
    std::vector<int> sizes(f->sizes, f->sizes + f->arity);
    std::vector<int> offsets = f->offsets;
    int arity = f->arity;
    t.run = [=]() -> std::string {
        std::vector<void*> params(std::max(arity, 1));
        for (int i = 0; i < arity; ++i) params[i] = args->data() + offsets[i];
        const char* err = emu().launch(kname.c_str(), gx, gy, gz, bx, by, bz, sharedBytes, params.data(), sizes.data(), arity,
                                       emu().mode);
        return err ? std::string(err) : std::string();
    };
    enqueue(s, std::move(t));
    return CUDA_SUCCESS;
}

}  // extern "C"
