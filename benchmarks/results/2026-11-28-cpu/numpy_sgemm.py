"""numpy/OpenBLAS SGEMM at n³ (FP32), the baseline for the CPU backend's CpuGemmBenchmark.

Prints one JSON line: the OpenBLAS core type and thread count actually in use (read from the
bundled OpenBLAS, since threadpoolctl is not installed here), and the median/best of 15 timed runs
after 3 warm-up runs. Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see run-cpu-gemm.sh),
or it measures a forced, slower kernel.
"""
import ctypes, glob, json, os, sys, time
import numpy as np


def openblas_info():
    """Core type, build config and thread count of the OpenBLAS numpy loaded (symbols of scipy-openblas64)."""
    for lib_path in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(lib_path)
        for core, cfg, threads in (("scipy_openblas_get_corename64_", "scipy_openblas_get_config64_", "scipy_openblas_get_num_threads64_"),
                                   ("openblas_get_corename", "openblas_get_config", "openblas_get_num_threads")):
            if hasattr(lib, core):
                getattr(lib, core).restype = ctypes.c_char_p
                getattr(lib, cfg).restype = ctypes.c_char_p
                return {"library": os.path.basename(lib_path), "coretype": getattr(lib, core)().decode(),
                        "config": getattr(lib, cfg)().decode().strip(), "threads": getattr(lib, threads)()}
    return {"library": None}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    c = np.empty((n, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=c)
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    flops = 2.0 * n ** 3
    print(json.dumps({"n": n, "numpy": np.__version__, "openblas": openblas_info(),
                      "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")},
                      "median_ms": round(med * 1e3, 2), "best_ms": round(times[0] * 1e3, 2),
                      "gflops_median": round(flops / med / 1e9, 1), "gflops_best": round(flops / times[0] / 1e9, 1)}))


if __name__ == "__main__":
    main()
