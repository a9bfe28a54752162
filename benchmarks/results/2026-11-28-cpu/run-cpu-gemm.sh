#!/usr/bin/env bash
# Measures, in one session on one machine: numpy/OpenBLAS SGEMM and the CPU backend's JMH
# CpuGemmBenchmark (Vector API kernel and auto-vectorised kernel), at 2048³, all cores and one core.
# numpy runs with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (this machine's environment forces an older
# Haswell kernel otherwise) and says which kernel it used. Writes raw results into run-HHMM/ beside
# this script (the machine is shared: keep every run, with its load average, and compare them).
# Usage (from the repository root): bash benchmarks/results/2026-11-28-cpu/run-cpu-gemm.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=benchmarks/results/2026-11-28-cpu
out=$here/run-$(date -u +%H%M)
mkdir -p "$out"
mvn -q -B -pl benchmarks -am package dependency:build-classpath -DskipTests -Djk.skipNative=true \
    -Dmdep.outputFile="$PWD/benchmarks/target/classpath.txt"
cp="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
numpy() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@" python3 "$here/numpy_sgemm.py" 2048; }

{
  echo "date: $(date -u +%FT%TZ)"
  lscpu | grep -E '^(Model name|CPU family|Model:|CPU\(s\)|Thread|Core|Socket|L1d|L2|L3|Flags)' | sed 's/^Flags:.*\(avx512f\).*/Flags: ... avx2 fma avx512f .../'
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  java -version 2>&1 | head -2
  python3 -c 'import numpy; print("numpy", numpy.__version__)'
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.txt"

numpy > "$out/numpy-before.json"
numpy OPENBLAS_NUM_THREADS=1 > "$out/numpy-1thread.json"
java -cp "$cp" org.openjdk.jmh.Main CpuGemmBenchmark -p size=2048 -p threads=0,1 \
    -rf json -rff "$out/jmh-cpu-gemm.json" | tee "$out/jmh-cpu-gemm.txt" | tail -8
numpy > "$out/numpy-after.json"
# for reference: numpy as this machine's environment configures it (OPENBLAS_CORETYPE forced)
python3 "$here/numpy_sgemm.py" 2048 > "$out/numpy-env-coretype.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
python3 "$here/summarize.py" "$out"
