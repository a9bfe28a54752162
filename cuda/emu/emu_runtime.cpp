// The emulator's runtime: the kernel registry, the three ways of running the CUDA threads of a
// block, device memory, and the C API that EmulatedLauncher calls through JNA.
//
// Blocks run one at a time (in blockIdx order, x fastest), which is what makes `__shared__` as a
// static correct, and one launch runs at a time per process (a global mutex), which keeps two Java
// threads from sharing those statics. Within a block:
//   fibers  (default) one ucontext fiber per CUDA thread on the calling OS thread; __syncthreads
//           switches back to a scheduler that resumes the next fiber. Deterministic, 3-5x faster
//           than threads.
//   threads one OS thread per CUDA thread (a pool kept between launches) and a counting barrier:
//           really concurrent, so ThreadSanitizer reports a missing __syncthreads as a data race.
//   serial  a plain loop, for kernels without barriers; __syncthreads fails the launch.
// A barrier reached by only part of a block, and an exception or trap (a failed device assert) in
// one CUDA thread, fail the launch with a message naming kernel, block and thread; no mode hangs.
#include "cuda_emu.h"

#include <ucontext.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define JKEMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JKEMU_ASAN 1
#endif
#endif
#ifdef JKEMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace jkemu {

thread_local dim3 tl_threadIdx, tl_blockIdx, tl_blockDim, tl_gridDim;

namespace {

enum Mode : int { MODE_FIBERS = 0, MODE_THREADS = 1, MODE_SERIAL = 2 };

const char* mode_name(int m) {
    switch (m) {
        case MODE_FIBERS: return "fibers";
        case MODE_THREADS: return "threads";
        case MODE_SERIAL: return "serial";
        default: return "unknown";
    }
}

// ---- registry ----------------------------------------------------------------------------------
std::map<std::string, KernelEntry>& registry() {
    static std::map<std::string, KernelEntry> r;  // filled by static initialisers, read after load
    return r;
}

std::vector<std::string>& duplicate_names() {
    static std::vector<std::string> d;
    return d;
}

// ---- errors --------------------------------------------------------------------------------------
struct Trap : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct Unwind {};  // thrown into CUDA threads waiting at a barrier of a block that already failed

std::string coords(dim3 d) {
    return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

dim3 thread_coords(int tid, dim3 block) {
    return dim3(tid % block.x, (tid / block.x) % block.y, tid / (block.x * block.y));
}

// ---- the launch ------------------------------------------------------------------------------
struct Launch {
    const KernelEntry* kernel;
    dim3 grid, block;
    void** params;
    void* dynamicShared;
    int mode;
    int threadsPerBlock;
};

thread_local void* tl_dynamic_shared = nullptr;

// What __syncthreads does depends on the mode of the launch running on this OS thread.
struct BlockRunner {
    virtual void barrier(int tid) = 0;
    virtual ~BlockRunner() = default;
};
thread_local BlockRunner* tl_runner = nullptr;
thread_local int tl_tid = 0;

std::string where(const Launch& L, dim3 block, int tid) {
    return std::string("kernel ") + L.kernel->name + ", block " + coords(block) + ", thread " +
           coords(thread_coords(tid, L.block));
}

void enter_thread(const Launch& L, dim3 blockIdx_, int tid, BlockRunner* runner) {
    tl_threadIdx = thread_coords(tid, L.block);
    tl_blockIdx = blockIdx_;
    tl_blockDim = L.block;
    tl_gridDim = L.grid;
    tl_dynamic_shared = L.dynamicShared;
    tl_runner = runner;
    tl_tid = tid;
}

// Runs the kernel body of one CUDA thread; returns "" or what went wrong.
std::string run_body(const Launch& L) {
    try {
        L.kernel->call(L.kernel->fn, L.params);
        return "";
    } catch (const Unwind&) {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown C++ exception";
    }
}

// ---- serial --------------------------------------------------------------------------------------
struct SerialRunner : BlockRunner {
    void barrier(int) override {
        throw Trap("__syncthreads in serial mode: this kernel needs the fibers or threads mode");
    }
};

std::string run_block_serial(const Launch& L, dim3 b) {
    SerialRunner runner;
    for (int t = 0; t < L.threadsPerBlock; ++t) {
        enter_thread(L, b, t, &runner);
        std::string err = run_body(L);
        if (!err.empty()) return where(L, b, t) + ": " + err;
    }
    return "";
}

// ---- threads -----------------------------------------------------------------------------------
// A counting barrier instead of std::barrier: it must notice a CUDA thread that returns while
// others wait (a barrier reached by only part of the block) and release everyone on failure.
struct ThreadsRunner : BlockRunner {
    const Launch& L;
    dim3 block;
    std::mutex m;
    std::condition_variable cv;
    int n, arrived = 0, exited = 0, firstExited = -1;
    unsigned long generation = 0;
    bool failed = false;
    std::string error;

    ThreadsRunner(const Launch& l, dim3 b) : L(l), block(b), n(l.threadsPerBlock) {}

    void fail_locked(std::string msg) {
        if (!failed) {
            failed = true;
            error = std::move(msg);
        }
        cv.notify_all();
    }
    std::string partial_message() {
        return std::string("kernel ") + L.kernel->name + ", block " + coords(block) +
               ": __syncthreads reached by only " + std::to_string(arrived) + " of " + std::to_string(n) +
               " threads; thread " + coords(thread_coords(firstExited, L.block)) + " returned without reaching it";
    }
    void barrier(int tid) override {
        (void)tid;
        std::unique_lock<std::mutex> lk(m);
        if (failed) throw Unwind{};
        ++arrived;
        if (arrived + exited == n) {
            if (exited > 0) {
                fail_locked(partial_message());
                throw Unwind{};
            }
            arrived = 0;
            ++generation;
            cv.notify_all();
            return;
        }
        unsigned long g = generation;
        cv.wait(lk, [&] { return generation != g || failed; });
        if (generation == g) throw Unwind{};
    }
    void thread_exit(int tid) {
        std::lock_guard<std::mutex> lk(m);
        ++exited;
        if (firstExited < 0) firstExited = tid;
        if (!failed && arrived > 0 && arrived + exited == n) fail_locked(partial_message());
    }
    void thread_failed(int tid, const std::string& what) {
        std::lock_guard<std::mutex> lk(m);
        fail_locked(where(L, block, tid) + ": " + what);
    }
};

// The OS threads of the threads mode are kept between blocks and launches (creating 256 threads
// per block made the ThreadSanitizer suite take minutes). Used under the launch mutex: one job at
// a time; the mutex handoffs give ThreadSanitizer its happens-before edges between blocks.
class WorkerPool {
  public:
    // Runs job(0..n-1) on n pool threads and returns when all have finished.
    template <typename F> void run(int n, F&& job) {
        std::unique_lock<std::mutex> lk(m_);
        while ((int)workers_ < n) {
            // A new worker starts from the current generation, so it takes the job about to be posted.
            std::thread(&WorkerPool::loop, this, (int)workers_, generation_).detach();  // lives as long as the process
            ++workers_;
        }
        job_ = std::forward<F>(job);
        active_ = n;
        remaining_ = n;
        ++generation_;
        work_.notify_all();
        done_.wait(lk, [&] { return remaining_ == 0; });
        job_ = nullptr;
    }

  private:
    void loop(int id, unsigned long seen) {
        std::unique_lock<std::mutex> lk(m_);
        for (;;) {
            work_.wait(lk, [&] { return generation_ != seen; });
            seen = generation_;
            if (id >= active_) continue;
            std::function<void(int)> job = job_;
            const int n = active_;
            lk.unlock();
            // Start gate: no worker starts the kernel before every worker has taken the job. Without
            // it a late worker would take this mutex after an early one had finished (and released
            // it), so ThreadSanitizer would see the early thread's whole body ordered before the late
            // one's and miss the race of a missing __syncthreads. The gate is atomics, not the mutex:
            // a worker woken from a condition variable must retake the mutex, and it may get it only
            // after a fast worker has run its whole body and retaken it at the end (the same missed
            // race, seen as a flaky planted-bug check on a loaded machine).
            const unsigned long g = startGeneration_.load(std::memory_order_acquire);
            if (started_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
                started_.store(0, std::memory_order_relaxed);
                startGeneration_.store(g + 1, std::memory_order_release);
            } else {
                while (startGeneration_.load(std::memory_order_acquire) == g) std::this_thread::yield();
            }
            job(id);
            lk.lock();
            if (--remaining_ == 0) done_.notify_all();
        }
    }

    std::mutex m_;
    std::condition_variable work_, done_;
    std::function<void(int)> job_;
    unsigned workers_ = 0;
    int active_ = 0, remaining_ = 0;
    unsigned long generation_ = 0;
    std::atomic<int> started_{0};
    std::atomic<unsigned long> startGeneration_{0};
};

WorkerPool& worker_pool() {
    static WorkerPool* pool = new WorkerPool();  // never destroyed: its threads outlive static destructors
    return *pool;
}

std::string run_block_threads(const Launch& L, dim3 b) {
    ThreadsRunner runner(L, b);
    worker_pool().run(L.threadsPerBlock, [&L, &runner, b](int t) {
        enter_thread(L, b, t, &runner);
        try {
            std::string err = run_body(L);
            if (!err.empty()) runner.thread_failed(t, err);
        } catch (const Unwind&) {
        }
        runner.thread_exit(t);
        tl_runner = nullptr;
    });
    return runner.failed ? runner.error : "";
}

// ---- fibers ------------------------------------------------------------------------------------
size_t fiber_stack_bytes() {
    static size_t bytes = [] {
        size_t kb = 64;
#ifdef JKEMU_ASAN
        kb = 512;  // ASan's redzones make frames several times larger
#endif
        if (const char* e = std::getenv("JKERNELS_EMU_STACK_KB")) {
            long v = std::atol(e);
            if (v >= 16) kb = (size_t)v;
        }
        return kb * 1024;
    }();
    return bytes;
}

// Stacks are mmap'd (pages are touched only when used) with a guard page below, and kept for the
// next launch: one pool, used under the launch mutex.
struct StackPool {
    std::vector<char*> stacks;  // base of the usable part (guard page below it)
    size_t size = 0;
    char* get(size_t i) {
        if (size != fiber_stack_bytes()) {
            release();
            size = fiber_stack_bytes();
        }
        while (stacks.size() <= i) {
            size_t page = (size_t)sysconf(_SC_PAGESIZE);
            void* p = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) throw std::runtime_error("could not map a fiber stack");
            mprotect(p, page, PROT_NONE);
            stacks.push_back(static_cast<char*>(p) + page);
        }
        return stacks[i];
    }
    void release() {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        for (char* s : stacks) munmap(s - page, size + page);
        stacks.clear();
    }
};
StackPool& stack_pool() {
    static StackPool pool;
    return pool;
}

enum class FiberState { READY, AT_BARRIER, DONE, FAILED };

struct Fiber {
    ucontext_t ctx;
    char* stack;
    FiberState state;
    std::string error;
};

struct FibersRunner : BlockRunner {
    const Launch& L;
    dim3 block;
    ucontext_t scheduler;
    std::vector<Fiber> fibers;
    int current = -1;
#ifdef JKEMU_ASAN
    void* schedulerFakeStack = nullptr;
    const void* schedulerStackBottom = nullptr;
    size_t schedulerStackSize = 0;
#endif

    FibersRunner(const Launch& l) : L(l), fibers(l.threadsPerBlock) {
        for (int i = 0; i < l.threadsPerBlock; ++i) fibers[i].stack = stack_pool().get(i);
    }

    // Called on a fiber: back to the scheduler. The fiber resumes here.
    void switch_to_scheduler(bool finished) {
        Fiber& f = fibers[current];
#ifdef JKEMU_ASAN
        void* fake = nullptr;
        __sanitizer_start_switch_fiber(finished ? nullptr : &fake, schedulerStackBottom, schedulerStackSize);
        swapcontext(&f.ctx, &scheduler);
        __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
        (void)finished;
        swapcontext(&f.ctx, &scheduler);
#endif
    }

    void barrier(int) override {
        fibers[current].state = FiberState::AT_BARRIER;
        switch_to_scheduler(false);
        if (fibers[current].state == FiberState::FAILED) throw Unwind{};
    }

    static void entry() {
        FibersRunner* self = static_cast<FibersRunner*>(tl_runner);
#ifdef JKEMU_ASAN
        __sanitizer_finish_switch_fiber(nullptr, &self->schedulerStackBottom, &self->schedulerStackSize);
#endif
        {  // every local with a destructor dies in this scope: the frame below is abandoned
            Fiber& f = self->fibers[self->current];
            std::string err;
            try {
                err = run_body(self->L);
            } catch (const Unwind&) {
            }
            if (!err.empty()) {
                f.state = FiberState::FAILED;
                f.error = std::move(err);
            } else if (f.state != FiberState::FAILED) {
                f.state = FiberState::DONE;
            }
        }
        self->switch_to_scheduler(true);
        std::abort();  // a finished fiber is never resumed
    }

    void resume(int i) {
        current = i;
        enter_thread(L, block, i, this);
#ifdef JKEMU_ASAN
        __sanitizer_start_switch_fiber(&schedulerFakeStack, fibers[i].stack, fiber_stack_bytes());
        swapcontext(&scheduler, &fibers[i].ctx);
        __sanitizer_finish_switch_fiber(schedulerFakeStack, nullptr, nullptr);
#else
        swapcontext(&scheduler, &fibers[i].ctx);
#endif
    }

    // After a failure: resumes every fiber waiting at the barrier with FAILED, so it unwinds (its
    // destructors run) and finishes; fibers not started yet are simply never started.
    void unwind_waiting() {
        for (int i = 0; i < (int)fibers.size(); ++i) {
            if (fibers[i].state != FiberState::AT_BARRIER) continue;
            fibers[i].state = FiberState::FAILED;
            resume(i);
        }
    }

    std::string run(dim3 b) {
        block = b;
        for (Fiber& f : fibers) {
            getcontext(&f.ctx);
            f.ctx.uc_stack.ss_sp = f.stack;
            f.ctx.uc_stack.ss_size = fiber_stack_bytes();
            f.ctx.uc_link = nullptr;
            makecontext(&f.ctx, &FibersRunner::entry, 0);
            f.state = FiberState::READY;
            f.error.clear();
        }
        const int n = (int)fibers.size();
        for (;;) {
            for (int i = 0; i < n; ++i) {
                if (fibers[i].state != FiberState::READY) continue;
                resume(i);
                if (fibers[i].state == FiberState::FAILED) {
                    std::string err = where(L, b, i) + ": " + fibers[i].error;
                    unwind_waiting();
                    return err;
                }
            }
            int atBarrier = 0, firstDone = -1;
            for (int i = 0; i < n; ++i) {
                if (fibers[i].state == FiberState::AT_BARRIER) ++atBarrier;
                else if (firstDone < 0) firstDone = i;
            }
            if (atBarrier == 0) return "";
            if (atBarrier < n) {
                unwind_waiting();
                return std::string("kernel ") + L.kernel->name + ", block " + coords(b) +
                       ": __syncthreads reached by only " + std::to_string(atBarrier) + " of " + std::to_string(n) +
                       " threads; thread " + coords(thread_coords(firstDone, L.block)) +
                       " returned without reaching it";
            }
            for (Fiber& f : fibers) f.state = FiberState::READY;
        }
    }
};

// ---- device memory -----------------------------------------------------------------------------
std::mutex& memory_mutex() {
    static std::mutex m;
    return m;
}
std::unordered_map<void*, size_t>& allocations() {
    static std::unordered_map<void*, size_t> a;
    return a;
}
long long live_bytes = 0;

std::mutex& launch_mutex() {
    static std::mutex m;
    return m;
}

thread_local std::string tl_error;

const char* result(std::string msg) {
    if (msg.empty()) return nullptr;
    tl_error = std::move(msg);
    return tl_error.c_str();
}

}  // namespace

void register_kernel(const KernelEntry& e) {
    auto [it, inserted] = registry().emplace(e.name, e);
    if (!inserted) duplicate_names().push_back(e.name);
}

void syncthreads() {
    if (tl_runner == nullptr) throw Trap("__syncthreads outside a kernel launch");
    tl_runner->barrier(tl_tid);
}

void trap(const char* what) { throw Trap(what); }

void* dynamic_shared() { return tl_dynamic_shared; }

}  // namespace jkemu

using namespace jkemu;

extern "C" {

/** Number of registered kernels; with jkemu_kernel_name, the list ActivationListTest checks. */
int jkemu_kernel_count() { return (int)registry().size(); }

const char* jkemu_kernel_name(int i) {
    if (i < 0 || i >= (int)registry().size()) return nullptr;
    auto it = registry().begin();
    std::advance(it, i);
    return it->second.name;
}

/** The kernel's parameter count, or -1 when no kernel has that name. */
int jkemu_kernel_arity(const char* name) {
    auto it = registry().find(name ? name : "");
    return it == registry().end() ? -1 : it->second.arity;
}

/**
 * The kernel's signature: up to `max` parameter sizes (bytes) and kinds (0 scalar, 1 pointer,
 * 2 by-value struct) into the arrays; returns the parameter count, or -1 when no kernel has that
 * name. For the emulated CUDA driver (cuda/emu/driver), which copies arguments as the GPU does.
 */
int jkemu_kernel_signature(const char* name, unsigned char* sizes, unsigned char* kinds, int max) {
    auto it = registry().find(name ? name : "");
    if (it == registry().end()) return -1;
    const KernelEntry& k = it->second;
    for (int i = 0; i < k.arity && i < max; ++i) {
        if (sizes) sizes[i] = k.argSizes[i];
        if (kinds) kinds[i] = k.argKinds[i];
    }
    return k.arity;
}

/**
 * Launches `name` as cuLaunchKernel would: params[i] points at argument i, whose size the caller
 * states in argSizes[i] (checked against the kernel's signature). mode: 0 fibers, 1 threads,
 * 2 serial. Returns null on success, else a message (valid until the next call on this thread).
 */
const char* jkemu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                         unsigned bz, unsigned long long sharedBytes, void** params, const int* argSizes,
                         int nparams, int mode) {
    if (!duplicate_names().empty()) return result("kernel registered twice: " + duplicate_names().front());
    auto it = registry().find(name ? name : "");
    if (it == registry().end()) return result(std::string("no kernel named '") + (name ? name : "(null)") + "' in the emulator");
    const KernelEntry& k = it->second;
    std::string kname = k.name;
    if (nparams != k.arity) {
        return result("kernel " + kname + " takes " + std::to_string(k.arity) + " arguments, got " + std::to_string(nparams));
    }
    for (int i = 0; i < nparams; ++i) {
        if (argSizes && argSizes[i] != (int)k.argSizes[i]) {
            return result("kernel " + kname + ": argument " + std::to_string(i) + " is " + std::to_string(k.argSizes[i]) +
                          " bytes in the kernel, " + std::to_string(argSizes[i]) + " bytes given");
        }
        if (params[i] == nullptr) return result("kernel " + kname + ": argument " + std::to_string(i) + " is a null pointer");
    }
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) {
        return result("kernel " + kname + ": grid " + coords(dim3(gx, gy, gz)) + " and block " + coords(dim3(bx, by, bz)) +
                      " must be positive");
    }
    unsigned long long threads = (unsigned long long)bx * by * bz;
    if (threads > 1024) return result("kernel " + kname + ": block " + coords(dim3(bx, by, bz)) + " has more than 1024 threads");
    if (mode < 0 || mode > 2) return result("unknown emulator mode " + std::to_string(mode));

    std::lock_guard<std::mutex> lk(launch_mutex());
    std::vector<unsigned char> shared(sharedBytes > 0 ? sharedBytes + 16 : 0);
    void* dyn = shared.empty() ? nullptr
                               : reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(shared.data()) + 15) & ~uintptr_t(15));
    Launch L{&k, dim3(gx, gy, gz), dim3(bx, by, bz), params, dyn, mode, (int)threads};
    std::string err;
    try {
        if (mode == MODE_FIBERS) {
            FibersRunner runner(L);
            for (unsigned z = 0; z < gz && err.empty(); ++z)
                for (unsigned y = 0; y < gy && err.empty(); ++y)
                    for (unsigned x = 0; x < gx && err.empty(); ++x) err = runner.run(dim3(x, y, z));
        } else {
            for (unsigned z = 0; z < gz && err.empty(); ++z)
                for (unsigned y = 0; y < gy && err.empty(); ++y)
                    for (unsigned x = 0; x < gx && err.empty(); ++x)
                        err = mode == MODE_THREADS ? run_block_threads(L, dim3(x, y, z)) : run_block_serial(L, dim3(x, y, z));
        }
    } catch (const std::exception& e) {
        err = "kernel " + kname + ": " + e.what();
    }
    tl_runner = nullptr;
    if (!err.empty()) err += " [" + std::string(mode_name(mode)) + " mode]";
    return result(err);
}

/**
 * Host memory standing in for device memory, 256-byte aligned like cudaMalloc; null when out of
 * memory. Exactly `bytes` long (not rounded up as the GPU does), so AddressSanitizer flags a write
 * one past the end.
 */
void* jkemu_malloc(unsigned long long bytes) {
    size_t size = bytes == 0 ? 1 : (size_t)bytes;
    void* p = nullptr;
    if (posix_memalign(&p, 256, size) != 0) return nullptr;
    std::lock_guard<std::mutex> lk(memory_mutex());
    allocations()[p] = size;
    live_bytes += (long long)size;
    return p;
}

/** 0 when freed, -1 when p is not a live allocation of this library (a double free). */
int jkemu_free(void* p) {
    {
        std::lock_guard<std::mutex> lk(memory_mutex());
        auto it = allocations().find(p);
        if (it == allocations().end()) return -1;
        live_bytes -= (long long)it->second;
        allocations().erase(it);
    }
    std::free(p);
    return 0;
}

long long jkemu_live_allocations() {
    std::lock_guard<std::mutex> lk(memory_mutex());
    return (long long)allocations().size();
}

long long jkemu_live_bytes() {
    std::lock_guard<std::mutex> lk(memory_mutex());
    return live_bytes;
}

void jkemu_memcpy(void* dst, const void* src, unsigned long long bytes) { std::memmove(dst, src, (size_t)bytes); }

void jkemu_memset(void* dst, int value, unsigned long long bytes) { std::memset(dst, value, (size_t)bytes); }

}  // extern "C"
