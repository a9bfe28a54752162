#!/usr/bin/python3
"""CPU anchors: PyTorch CPU (oneDNN conv, ATen's vectorised activations) and numpy (OpenBLAS SGEMM) on
the same workloads and the same thread count as the jkernels CPU harness run beside it.

Writes the JSON of the rig's anchors.py (../shared/device/anchors.py), which the harness reads with
--anchors, so its tables get PyTorch columns for a CPU run:
  gemm            numpy.matmul (OpenBLAS sgemm): the SGEMM target of issue 10, run by the python3 on
                  PATH when that is another interpreter (Debian's numpy links the reference BLAS)
  gemm_torch      torch.mm, for reference (extra key: the harness ignores it)
  conv2d          F.conv2d with bias, NCHW (oneDNN)
  conv_activation conv, then the activation: two ops, as eager PyTorch runs them
  activation      y = f(x) out of place, GB/s at 8 bytes per element
  copy            dst.copy_(src) over 64 MiB each way, or the activations' size when larger (as the harness)
Timing: wall clock around each call, warm-up (at least 3 calls and 0.5 s), median of --reps.

Usage: /usr/bin/python3 benchmarks/cpu-anchors.py [--workloads benchmarks/cpu-workloads.json]
           [--threads N] [--reps N] [--out anchors.json]
torch comes from Debian's python3-torch (installed with apt-get when missing and we are root, as
.ci/run installs what it needs). OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the
environment before numpy loads: this machine's environment forces the AVX2 'Haswell' kernel, which
is not what a user of numpy on this CPU gets (benchmarks/results/2026-11-28-cpu).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--workloads", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpu-workloads.json"))
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--reps", type=int, default=10)
ap.add_argument("--out", default="anchors.json")
ap.add_argument("--only", default="gemm,conv2d,activation,fused,copy")
ap.add_argument("--numpy-python", default=None,
                help="python whose numpy times SGEMM (default: python3 on PATH when it is another interpreter "
                     "with numpy: Debian's numpy beside python3-torch links the reference BLAS)")
args = ap.parse_args()
only = set(args.only.split(","))

# Thread counts must be fixed before numpy / torch load their thread pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)

try:
    import torch
except ImportError:
    if os.geteuid() != 0:
        sys.exit("cpu-anchors: torch is missing; install Debian's python3-torch (apt-get install python3-torch)")
    print("cpu-anchors: installing python3-torch with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "python3-torch"], check=True)
    import torch
import numpy as np
import torch.nn.functional as F

torch.set_num_threads(args.threads)
ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "elu": F.elu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,  # exact, erf-based
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "relu6": F.relu6,
    "selu": F.selu,
    "softplus": F.softplus,
    "hard_sigmoid": F.hardsigmoid,
}


def time_ms(fn, reps=None):
    reps = reps or args.reps
    t0 = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - t0 < 0.5:
        fn()
        n += 1
    times = []
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        times.append((time.perf_counter() - s) * 1e3)
    return statistics.median(times)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def blas_info():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg.get("Build Dependencies", {}).get("blas", {})
    except TypeError:
        return {}


NUMPY_GEMM = r"""
import json, statistics, sys, time
import numpy as np
reps, shapes = int(sys.argv[1]), json.loads(sys.argv[2])
try:
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
except TypeError:
    blas = {}
rng = np.random.default_rng(1)
res = []
for g in shapes:
    a = rng.random((g["m"], g["k"]), dtype=np.float32)
    b = rng.random((g["k"], g["n"]), dtype=np.float32)
    c = np.empty((g["m"], g["n"]), dtype=np.float32)
    t0, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - t0 < 0.5:
        np.matmul(a, b, out=c); n += 1
    ts = []
    for _ in range(reps):
        s = time.perf_counter(); np.matmul(a, b, out=c); ts.append((time.perf_counter() - s) * 1e3)
    ms = statistics.median(ts)
    res.append({**g, "ms": ms, "tflops": 2 * g["m"] * g["n"] * g["k"] / ms / 1e9})
print(json.dumps({"numpy": np.__version__, "python": sys.executable, "blas": blas, "gemm": res}))
"""


def numpy_python():
    if args.numpy_python:
        return args.numpy_python
    import shutil
    cand = shutil.which("python3")
    if cand and os.path.realpath(cand) != os.path.realpath(sys.executable):
        if subprocess.run([cand, "-c", "import numpy"], capture_output=True).returncode == 0:
            return cand
    return sys.executable


def main():
    work = json.load(open(args.workloads))
    load = os.getloadavg()
    out = {"device": f"CPU: {cpu_model()}, {os.cpu_count()} cores, {args.threads} threads",
           "torch": torch.__version__, "cudnn": None, "numpy": np.__version__, "threads": args.threads,
           "blas": blas_info(), "torch_config": torch.__config__.show().strip().splitlines()[:12],
           "load_average_before": load, "gemm": [], "gemm_torch": [], "conv2d": [], "conv_activation": [],
           "activation": []}
    print(f"cpu-anchors: {out['device']}, torch {torch.__version__}, numpy {np.__version__}, "
          f"load average {load[0]:.2f}", file=sys.stderr)

    if "copy" in only:
        # 64 MiB each way, or the activations' size when larger, as the harness on the CPU
        act = work.get("activation") or {}
        n = max(16 << 20, act.get("n", 0) if act.get("names") else 0)
        src = torch.rand(n)
        dst = torch.empty_like(src)
        ms = time_ms(lambda: dst.copy_(src))
        out["copy"] = {"bytes": 2 * 4 * n, "ms": ms, "gbps": 2 * 4 * n / ms / 1e6}
        print(f"copy: {out['copy']['gbps']:.1f} GB/s", file=sys.stderr)
        del src, dst

    if "gemm" in only:
        py = numpy_python()
        r = subprocess.run([py, "-c", NUMPY_GEMM, str(args.reps), json.dumps(work["gemm"])], capture_output=True,
                           text=True, env=os.environ, check=True)
        res = json.loads(r.stdout)
        out["gemm"] = res["gemm"]
        out["numpy_gemm"] = {"numpy": res["numpy"], "python": res["python"], "blas": res["blas"]}
        for g in out["gemm"]:
            ta, tb = torch.rand(g["m"], g["k"]), torch.rand(g["k"], g["n"])
            tc = torch.empty(g["m"], g["n"])
            tms = time_ms(lambda: torch.mm(ta, tb, out=tc))
            out["gemm_torch"].append({"m": g["m"], "n": g["n"], "k": g["k"], "ms": tms,
                                      "tflops": 2 * g["m"] * g["n"] * g["k"] / tms / 1e9})
            print(f"gemm {g['m']}x{g['n']}x{g['k']}: numpy {g['tflops'] * 1e3:.1f} GFLOP/s ({res['python']}), "
                  f"torch {out['gemm_torch'][-1]['tflops'] * 1e3:.1f}", file=sys.stderr)

    if "conv2d" in only or "fused" in only:
        for s in work["conv2d"]:
            x = torch.rand(s["n"], s["c"], s["h"], s["w"]) * 2 - 1
            wt = torch.rand(s["k"], s["c"], s["r"], s["s"]) * 2 - 1
            bias = torch.rand(s["k"]) * 2 - 1
            conv = lambda: F.conv2d(x, wt, bias, stride=s["stride"], padding=s["pad"])
            with torch.no_grad():
                y = conv()
                ms = time_ms(conv)
                p, q = y.shape[2], y.shape[3]
                flops = 2 * s["n"] * s["k"] * p * q * s["c"] * s["r"] * s["s"]
                out["conv2d"].append({**s, "p": p, "q": q, "ms": ms, "tflops": flops / ms / 1e9})
                print(f"conv {s['name']}: {ms:.3f} ms, {flops / ms / 1e6:.1f} GFLOP/s", file=sys.stderr)
                if "fused" in only:
                    for name in work["conv_activation"]:
                        act = ACTIVATIONS[name]
                        act_ms = time_ms(lambda: act(y))
                        both_ms = time_ms(lambda: act(conv()))
                        out["conv_activation"].append({"name": s["name"], "activation": name, "conv_ms": ms,
                                                       "activation_ms": act_ms, "two_launch_ms": both_ms})
                        print(f"  + {name}: activation {act_ms:.3f} ms, conv then activation {both_ms:.3f} ms",
                              file=sys.stderr)

    if "activation" in only and work.get("activation"):
        n = work["activation"]["n"]
        x = torch.rand(n) * 24 - 12
        with torch.no_grad():
            for name in work["activation"]["names"]:
                act = ACTIVATIONS[name]
                ms = time_ms(lambda: act(x))
                out["activation"].append({"name": name, "n": n, "ms": ms, "gbps": 2 * 4 * n / ms / 1e6})
                print(f"activation {name} ({n}): {2 * 4 * n / ms / 1e6:.1f} GB/s", file=sys.stderr)

    out["load_average_after"] = os.getloadavg()
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"cpu-anchors: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
