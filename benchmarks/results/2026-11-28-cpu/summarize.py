"""Reads the raw numpy and JMH results of run-cpu-gemm.sh and writes cpu-gemm.json (GFLOP/s side by side)."""
import json, sys, os

out = sys.argv[1]
n = 2048
flops = 2.0 * n ** 3
numpy_runs = {name: json.load(open(os.path.join(out, f"numpy-{name}.json"))) for name in ("before", "after", "1thread")}
jmh = json.load(open(os.path.join(out, "jmh-cpu-gemm.json")))
ours = {}
for r in jmh:
    p = r["params"]
    key = f'{p["kernel"]}-{"all" if p["threads"] == "0" else p["threads"]}threads'
    ms = r["primaryMetric"]["score"]
    ours[key] = {"ms": round(ms, 2), "ms_error": round(r["primaryMetric"]["scoreError"], 2), "gflops": round(flops / (ms / 1e3) / 1e9, 1)}
numpy_all = max(numpy_runs["before"]["gflops_median"], numpy_runs["after"]["gflops_median"])
summary = {
    "what": "SGEMM 2048^3 FP32, C = A*B; ours: JMH CpuGemmBenchmark (avgt); numpy: median of 15 np.matmul",
    "numpy_all_cores_gflops": {"before": numpy_runs["before"]["gflops_median"], "after": numpy_runs["after"]["gflops_median"]},
    "numpy_1thread_gflops": numpy_runs["1thread"]["gflops_median"],
    "numpy_openblas": numpy_runs["before"]["openblas"],
    "ours": ours,
    "ratio_vector_all_vs_numpy_best": round(ours["vector-allthreads"]["gflops"] / numpy_all, 3),
    "ratio_vector_1thread_vs_numpy_1thread": round(ours["vector-1threads"]["gflops"] / numpy_runs["1thread"]["gflops_median"], 3),
}
json.dump(summary, open(os.path.join(out, "cpu-gemm.json"), "w"), indent=2)
print(json.dumps(summary, indent=2))
