#!/usr/bin/env bash
# Issue 10's side-by-side measurement, in one session on one machine, same threads for everyone:
#   jkernels CPU backend (the harness, --backend cpu) before (BEFORE_JAR: main before issue 10) and
#   after (AFTER_JAR: this branch), PyTorch CPU and numpy/OpenBLAS (benchmarks/cpu-anchors.py), on
#   benchmarks/cpu-workloads.json, with 2 threads (both cores) and with 1 thread (steadier on a shared
#   machine, once), then ReLU over 64 M floats against the copy bandwidth. The 2-thread configuration
#   runs REPEAT times, alternating tools, so drifting load shows up as spread rather than as a bias.
# Run it holding /tmp/jk-full.lock (no full test suite at the same time); it records uptime and the
# busiest processes before and after each step.
# Usage: AFTER_JAR=... BEFORE_JAR=... bash run-side-by-side.sh OUTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:?usage: run-side-by-side.sh OUTDIR}
mkdir -p "$out"
REPEAT=${REPEAT:-2}
WORKLOADS=${WORKLOADS:-$repo/benchmarks/cpu-workloads.json}
java=(java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx6g)
load() { echo "$(date -u +%T) $1: load $(cut -d' ' -f1-3 /proc/loadavg); top: $(top -bn1 -o %CPU | sed -n '8,11p' | awk '{printf "%s(%s%%) ", $12, $9}')" >> "$out/load.txt"; }
{
  echo "date: $(date -u +%FT%TZ)"
  lscpu | grep -E '^(Model name|CPU family|Model:|CPU\(s\)|Thread|Core|Socket|L1d|L2|L3)'
  grep -o -w 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  java -version 2>&1 | head -2
  /usr/bin/python3 -c 'import torch; print("torch", torch.__version__); print(torch.__config__.show())' 2>&1 | grep -E 'torch|MKL-DNN|CPU capability|BLAS_INFO' | cut -c1-160
  python3 -c 'import numpy; print("numpy (OpenBLAS SGEMM)", numpy.__version__)'
} > "$out/machine.txt"
for rep in $(seq 1 "$REPEAT"); do
  threads="2"; [ "$rep" = 1 ] && threads="2 1"   # 1 thread once: it is the steadier pair, 2 threads the target
  for t in $threads; do
    load "rep $rep, $t thread(s): anchors"
    /usr/bin/python3 "$repo/benchmarks/cpu-anchors.py" --threads $t --workloads "$WORKLOADS" \
        --out "$out/anchors-${t}t-r$rep.json" 2> "$out/anchors-${t}t-r$rep.log"
    for which in after before; do
      jar=$AFTER_JAR; [ $which = before ] && jar=${BEFORE_JAR:-}
      [ -f "$jar" ] || continue
      load "rep $rep, $t thread(s): jkernels $which"
      "${java[@]}" -XX:ActiveProcessorCount=$t -jar "$jar" --backend cpu --workloads "$WORKLOADS" \
          --anchors "$out/anchors-${t}t-r$rep.json" --json "$out/bench-$which-${t}t-r$rep.json" \
          > "$out/report-$which-${t}t-r$rep.md" 2> "$out/bench-$which-${t}t-r$rep.log"
    done
  done
done
# The fallback a JVM without jdk.incubator.vector gets (what the backend's warning quantifies).
load "fallback: jkernels after without the Vector API module"
java --enable-native-access=ALL-UNNAMED -Xmx6g -jar "$AFTER_JAR" --backend cpu --workloads "$WORKLOADS" \
    --anchors "$out/anchors-2t-r1.json" --json "$out/bench-fallback-2t.json" > "$out/report-fallback-2t.md" \
    2> "$out/bench-fallback-2t.log"
load "relu 64M: anchors"
/usr/bin/python3 "$repo/benchmarks/cpu-anchors.py" --threads 2 --workloads "$repo/benchmarks/cpu-workloads-relu64m.json" \
    --only activation,copy --out "$out/anchors-relu64m.json" 2> "$out/anchors-relu64m.log"
for which in after before; do
  jar=$AFTER_JAR; extra=(--max-elements 67108864)
  [ $which = before ] && jar=${BEFORE_JAR:-} && extra=(${BEFORE_EXTRA:-})   # (the option is new; before, the CPU cap is 16 M)
  [ -f "$jar" ] || continue
  load "relu 64M: jkernels $which"
  "${java[@]}" -jar "$jar" --backend cpu --workloads "$repo/benchmarks/cpu-workloads-relu64m.json" --only activation "${extra[@]}" \
      --anchors "$out/anchors-relu64m.json" --json "$out/bench-$which-relu64m.json" > "$out/report-$which-relu64m.md" \
      2> "$out/bench-$which-relu64m.log"
done
load "end"
