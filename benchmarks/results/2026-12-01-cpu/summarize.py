#!/usr/bin/env python3
"""Issue 10's table from one run-side-by-side.sh folder: jkernels CPU before and after against PyTorch
CPU and numpy/OpenBLAS, per thread count, the median over repetitions with the range (min-max) beside
it. Usage: summarize.py RUN_DIR > summary.md"""
import glob
import json
import os
import statistics
import sys

d = sys.argv[1]


def load(pattern):
    return [json.load(open(f)) for f in sorted(glob.glob(os.path.join(d, pattern)))]


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None, None
    return statistics.median(xs), min(xs), max(xs)


def fmt(v, digits=1):
    return "—" if v is None else f"{v:.{digits}f}"


def cell(xs, scale=1.0, digits=1):
    m, lo, hi = med([x * scale if x is not None else None for x in xs])
    if m is None:
        return "—"
    return fmt(m, digits) if len(xs) == 1 or lo == hi else f"{fmt(m, digits)} ({fmt(lo, digits)}–{fmt(hi, digits)})"


def share(ours, theirs):
    pairs = [a / b for a, b in zip(ours, theirs) if a is not None and b]
    m, lo, hi = med(pairs)
    if m is None:
        return "—"
    return f"{m * 100:.0f} %" if len(pairs) == 1 else f"{m * 100:.0f} % ({lo * 100:.0f}–{hi * 100:.0f})"


def main():
    out = []
    for t in (2, 1):
        after, before, anchors = load(f"bench-after-{t}t-r*.json"), load(f"bench-before-{t}t-r*.json"), load(f"anchors-{t}t-r*.json")
        if not after:
            continue
        n = len(after)
        out.append(f"### {t} thread{'s' if t > 1 else ''} ({n} repetition{'s' if n > 1 else ''}; median, range in brackets)\n")
        out.append("| op | jkernels before | jkernels after | best CPU library | library | after / library | before / library |")
        out.append("|---|---|---|---|---|---|---|")

        def gemm_rows(res, m, n_, k):
            return [next((g["tflops"] for g in r["gemm"] if (g["m"], g["n"], g["k"]) == (m, n_, k) and g.get("tflops")), None) for r in res]

        for (m, n_, k) in [(1024, 1024, 1024), (2048, 2048, 2048)]:
            a, b = gemm_rows(after, m, n_, k), gemm_rows(before, m, n_, k)
            lib = [next((g["tflops"] for g in an["gemm"] if (g["m"], g["n"], g["k"]) == (m, n_, k)), None) for an in anchors]
            out.append(f"| SGEMM {m}³ GFLOP/s | {cell(b, 1e3)} | {cell(a, 1e3)} | {cell(lib, 1e3)} | numpy/OpenBLAS | {share(a, lib)} | {share(b, lib)} |")
        names = [c["name"] for c in after[0]["conv2d"]]
        for name in names:
            a = [next((c["tflops"] for c in r["conv2d"] if c["name"] == name), None) for r in after]
            b = [next((c["tflops"] for c in r["conv2d"] if c["name"] == name), None) for r in before]
            lib = [next((c["tflops"] for c in an["conv2d"] if c["name"] == name), None) for an in anchors]
            shape = next(c["shape"] for c in after[0]["conv2d"] if c["name"] == name)
            out.append(f"| conv {name} ({shape}) GFLOP/s | {cell(b, 1e3)} | {cell(a, 1e3)} | {cell(lib, 1e3)} | PyTorch CPU (oneDNN) | {share(a, lib)} | {share(b, lib)} |")
        for act in [x["name"] for x in after[0]["activation"]]:
            a = [next((x["gbps"] for x in r["activation"] if x["name"] == act), None) for r in after]
            b = [next((x["gbps"] for x in r["activation"] if x["name"] == act), None) for r in before]
            lib = [next((x["gbps"] for x in an["activation"] if x["name"] == act), None) for an in anchors]
            nel = after[0]["activation"][0]["n"]
            out.append(f"| {act}, {nel / 2**20:.0f} M floats, GB/s | {cell(b)} | {cell(a)} | {cell(lib)} | PyTorch CPU | {share(a, lib)} | {share(b, lib)} |")
        out.append("")
        out.append("Fused conv+activation against conv then activation (two launches), speedup = two-launch / fused:\n")
        out.append("| conv | activation | before: speedup | after: speedup | after: fused ms | after: two-launch ms | PyTorch two-launch ms |")
        out.append("|---|---|---|---|---|---|---|")
        for f0 in after[0]["fused"]:
            key = (f0["name"], f0["activation"])
            sa = [next((f["speedup"] for f in r["fused"] if (f["name"], f["activation"]) == key), None) for r in after]
            sb = [next((f["speedup"] for f in r["fused"] if (f["name"], f["activation"]) == key), None) for r in before]
            fm = [next((f["fusedMs"] for f in r["fused"] if (f["name"], f["activation"]) == key), None) for r in after]
            tm = [next((f["twoLaunchMs"] for f in r["fused"] if (f["name"], f["activation"]) == key), None) for r in after]
            pt = [next((c["two_launch_ms"] for c in an["conv_activation"] if (c["name"], c["activation"]) == key), None) for an in anchors]
            out.append(f"| {key[0]} | {key[1]} | {cell(sb, 1, 2)}× | {cell(sa, 1, 2)}× | {cell(fm, 1, 3)} | {cell(tm, 1, 3)} | {cell(pt, 1, 3)} |")
        copies = [r["copy"]["gbps"] for r in after]
        out.append(f"\nCopy bandwidth (the harness, Backend.copy, 64 MiB each way): {cell(copies)} GB/s; "
                   f"PyTorch copy: {cell([an.get('copy', {}).get('gbps') for an in anchors])} GB/s.\n")
        loads = [an.get("load_average_before", [None])[0] for an in anchors]
        out.append(f"Load average (1 min) before each anchors run: {', '.join(fmt(x, 2) for x in loads)}.\n")
    fb, af = load("bench-fallback-2t.json"), load("bench-after-2t-r1.json")
    if fb and af:
        out.append("### Without jdk.incubator.vector (the fallback the warning names), 2 threads, against the Vector API run r1\n")
        out.append("| op | fallback | Vector API | slowdown |")
        out.append("|---|---|---|---|")
        for g in fb[0]["gemm"]:
            a = next((x for x in af[0]["gemm"] if (x["m"], x["n"], x["k"]) == (g["m"], g["n"], g["k"])), None)
            if a and g.get("tflops") and a.get("tflops"):
                out.append(f"| SGEMM {g['m']}x{g['n']}x{g['k']} GFLOP/s | {g['tflops'] * 1e3:.1f} | {a['tflops'] * 1e3:.1f} | {a['tflops'] / g['tflops']:.1f}× |")
        for c in fb[0]["conv2d"]:
            a = next((x for x in af[0]["conv2d"] if x["name"] == c["name"]), None)
            if a and c.get("tflops") and a.get("tflops"):
                out.append(f"| conv {c['name']} GFLOP/s | {c['tflops'] * 1e3:.1f} | {a['tflops'] * 1e3:.1f} | {a['tflops'] / c['tflops']:.1f}× |")
        for x in fb[0]["activation"]:
            a = next((y for y in af[0]["activation"] if y["name"] == x["name"]), None)
            if a and x.get("gbps") and a.get("gbps"):
                out.append(f"| {x['name']} GB/s | {x['gbps']:.2f} | {a['gbps']:.1f} | {a['gbps'] / x['gbps']:.0f}× |")
        out.append("")
    relu_after, relu_before, relu_an = load("bench-after-relu64m.json"), load("bench-before-relu64m.json"), load("anchors-relu64m.json")
    if relu_after:
        ra = relu_after[0]
        act = ra["activation"][0]
        out.append("### ReLU over 64 M floats against the copy bandwidth (2 threads)\n")
        out.append(f"- jkernels after: {act['gbps']:.1f} GB/s over {act['n']} floats = {act['shareOfCopy'] * 100:.0f} % of the "
                   f"copy bandwidth measured in the same run ({ra['copy']['gbps']:.1f} GB/s)")
        if relu_before:
            rb = relu_before[0]["activation"][0]
            out.append(f"- jkernels before: {rb['gbps']:.1f} GB/s over {rb['n']} floats (its harness caps the CPU at 16 M) = "
                       f"{rb['shareOfCopy'] * 100:.0f} % of its run's copy ({relu_before[0]['copy']['gbps']:.1f} GB/s)")
        if relu_an:
            an = relu_an[0]
            out.append(f"- PyTorch CPU: {an['activation'][0]['gbps']:.1f} GB/s; its copy_ {an['copy']['gbps']:.1f} GB/s")
    print("\n".join(out))


if __name__ == "__main__":
    main()
