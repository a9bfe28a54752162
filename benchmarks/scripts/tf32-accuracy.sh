#!/usr/bin/env bash
# The accuracy table of each precision (FP32, TF32, FP32_3XTF32): runs the precision grid tests
# (src/test/java/dev/jkernels/precision: GEMM and conv2d over odd shapes against double references)
# on the CPU backend and the emulator, which record the maximum normalised error
# max |got - ref| / RMS(ref) of each precision over each grid in src/target/precision-accuracy/*.tsv,
# and writes them as one Markdown table to OUT/README.md (default
# benchmarks/results/<today>-tf32-accuracy). No GPU is involved: the emulator runs the same .cu
# tensor-core kernels (its mma_sync sums in k order in FP32; a GPU agrees to tolerance, not to the bit).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-benchmarks/results/$(date -u +%F)-tf32-accuracy}
rm -rf src/target/precision-accuracy
mvn -B -q -ntp -pl src -am -Djk.skipFatbin=true test -Djkernels.requireEmulator=true \
    -Dtest='CpuPrecisionGridTest,EmulatedPrecisionGridTest' -Dsurefire.failIfNoSpecifiedTests=false
mkdir -p "$out"
cp src/target/precision-accuracy/*.tsv "$out/"
/usr/bin/python3 - "$out" <<'PY'
import csv, glob, os, sys, datetime
out = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(out, "*.tsv"))):
    for r in csv.reader(open(f), delimiter="\t"):
        if not r or r[0].startswith("#"): continue
        rows[(r[1], r[2], r[0])] = float(r[3])
backends = sorted({k[2] for k in rows})
lines = ["# Accuracy of each precision on the test grids", "",
         f"Measured {datetime.date.today()} by `benchmarks/scripts/tf32-accuracy.sh` (no GPU: the CPU backend and the",
         "emulator running the tensor-core .cu kernels). Figure: the maximum normalised error",
         "`max abs(got - ref) / RMS(ref)` of each precision over the whole grid (7 GEMMs, 7 conv2d; odd shapes, both",
         "transposes, NCHW and NHWC, padding, stride, dilation, groups, 1x1, depthwise, few channels, an epilogue",
         "with alpha, beta·C, bias and ReLU), against the double-precision reference on the exact inputs.", "",
         "| op | precision | " + " | ".join(backends) + " | test tolerance |", "|---|---|" + "---|" * len(backends) + "---|"]
tol = {"FP32": "4e-6·√K per element (atol + rtol·abs(ref))", "FP32_3XTF32": "the same as FP32",
       "TF32": "3e-3 · RMS(ref); and FP32's against the reference on TF32-rounded inputs"}
for op in ("gemm", "conv2d"):
    for p in ("FP32", "TF32", "FP32_3XTF32"):
        vals = [f"{rows[(op, p, b)]:.2e}" if (op, p, b) in rows else "–" for b in backends]
        lines.append(f"| {op} | {p} | " + " | ".join(vals) + f" | {tol[p]} |")
lines += ["", "The CPU backend computes FP32_3XTF32 as plain FP32 (docs/precision.md), so its two rows are equal.",
          "The per-backend files (*.tsv) are the tests' own records."]
open(os.path.join(out, "README.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
