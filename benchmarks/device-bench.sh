#!/usr/bin/env bash
# The benchmark stage of the GPU rig (../shared/device/README.md; pack.sh copies this file to
# .device/bench.sh and run.sh runs it with a time limit, BENCH_S, default 240 s).
#
# From run.sh it gets: DEVICE_CLASSPATH (every jar), DEVICE_OUT (the folder that comes back),
# `java` on the PATH, JKERNELS_REQUIRE_GPU=1 and JDK_JAVA_OPTIONS=--enable-native-access=ALL-UNNAMED.
# It writes one file, $DEVICE_OUT/bench.json (rewritten after every workload, so a run stopped by
# the limit still leaves what it measured); everything it prints lands in bench.log.
#
# Knobs (environment): BENCH_BACKEND (default cuda), BENCH_LIMIT_S (default 220: the harness is
# stopped before run.sh's own limit so the table still prints), BENCH_ARGS (harness options; default:
# every GEMM variant beside AUTO and cuBLAS, llm.c style, so each step of the kernel is measured, and
# the conv algorithms and tiles below).
#
# Locally, to check the plumbing on the CPU:
#   DEVICE_CLASSPATH=benchmarks/target/dist/jkernels-benchmarks.jar DEVICE_OUT=/tmp/out \
#     BENCH_BACKEND=cpu BENCH_ARGS=--quick bash benchmarks/device-bench.sh
set -uo pipefail
: "${DEVICE_CLASSPATH:?DEVICE_CLASSPATH must list the project jars (run.sh sets it)}"
: "${DEVICE_OUT:?DEVICE_OUT must name the output folder (run.sh sets it)}"
mkdir -p "$DEVICE_OUT"
backend=${BENCH_BACKEND:-cuda}
limit=${BENCH_LIMIT_S:-220}
# conv2d: AUTO, the first implicit GEMM, Winograd (where it applies: the 3x3 stride-1 layers), and
# each pipelined implicit-GEMM tile forced (-Djkernels.conv.variant), so the run says which wins per
# shape. DIRECT is left out (minutes on the ResNet shapes).
BENCH_ARGS=${BENCH_ARGS-"--gemm-algorithms AUTO,NAIVE,TILED,REGISTER_BLOCKED,WARP_TILED --conv-algorithms IMPLICIT_GEMM,WINOGRAD --conv-variants igemm_128x128,igemm_128x64,igemm_64x64"}
SECONDS=0

echo "== doctor"
java -cp "$DEVICE_CLASSPATH" dev.jkernels.nativeloader.Doctor
echo

echo "== harness: --backend $backend ${BENCH_ARGS:-} (limit ${limit}s)"
# shellcheck disable=SC2086  # BENCH_ARGS is a list of options
timeout -k 5 "$limit" java -cp "$DEVICE_CLASSPATH" dev.jkernels.bench.Harness \
    --backend "$backend" --json "$DEVICE_OUT/bench.json" ${BENCH_ARGS:-} >"$DEVICE_OUT/.bench.md"
code=$?
case $code in
  0)   echo "harness: done in ${SECONDS}s" ;;
  1)   echo "harness: finished in ${SECONDS}s, but some results FAILED their spot check (see the check column)" ;;
  3)   echo "harness: the $backend backend could not be created (see above); no figures" ;;
  124|137) echo "harness: stopped by the ${limit}s limit; bench.json holds the workloads finished before it" ;;
  *)   echo "harness: exit $code after ${SECONDS}s" ;;
esac
echo
# The table last: the device tool returns only the tail of the output.
cat "$DEVICE_OUT/.bench.md" 2>/dev/null
rm -f "$DEVICE_OUT/.bench.md"
exit $code
