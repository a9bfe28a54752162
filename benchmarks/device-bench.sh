#!/usr/bin/env bash
# The benchmark stage of the GPU rig (../shared/device/README.md; pack.sh copies this file to
# .device/bench.sh and run.sh runs it with a time limit, BENCH_S, default 240 s).
#
# From run.sh it gets: DEVICE_CLASSPATH (every jar), DEVICE_OUT (the folder that comes back),
# `java` on the PATH, JKERNELS_REQUIRE_GPU=1 and JDK_JAVA_OPTIONS=--enable-native-access=ALL-UNNAMED.
# It writes $DEVICE_OUT/sweep.json and $DEVICE_OUT/bench.json (each rewritten after every workload, so
# a run stopped by the limit still leaves what it measured); everything it prints lands in bench.log.
#
# Two steps, in this order:
#   1. the sweep (dev.jkernels.bench.Sweep): every GEMM configuration and split-K factor and every
#      conv configuration on each public workload, kernel time by CUDA events, and which wins per
#      shape. Its "winners" are what the selection reads: copy sweep.json to
#      src/main/resources/dev/jkernels/gemm-winners-<family>.json (family e.g. sm_90) and commit it.
#      Limited to BENCH_SWEEP_S (default 130 s; it stops cleanly and keeps what it measured).
#   2. the harness: the public workloads through the API (AUTO and the named variants), checked, timed.
#
# Knobs (environment): BENCH_BACKEND (default cuda), BENCH_SWEEP_S (default 130; 0 skips the sweep),
# BENCH_SWEEP_ARGS (extra sweep options, e.g. "--only gemm"), BENCH_LIMIT_S (default 220 for both
# steps together: stopped before run.sh's own limit so the tables still print), BENCH_ARGS (harness
# options; default: every GEMM variant beside AUTO and cuBLAS, llm.c style, so each step of the kernel
# is measured, and every precision: FP32, TF32, FP32_3XTF32).
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
if [[ -z ${BENCH_ARGS+set} ]]; then
    # conv2d in the harness: AUTO and Winograd (where it applies: the 3x3 stride-1 layers); the sweep times
    # every conv kernel configuration (first and pipelined implicit GEMM tiles, Winograd, depthwise).
    # Every precision: TF32 rows beside cuBLAS in TF32 tensor-op math and cuDNN with allow_tf32 (anchors.py's
    # tf32 part), FP32_3XTF32 rows beside cuBLAS SGEMM and cuDNN FP32.
    BENCH_ARGS="--gemm-algorithms AUTO,NAIVE,TILED,REGISTER_BLOCKED,WARP_TILED,PIPELINED --conv-algorithms WINOGRAD --precisions FP32,TF32,FP32_3XTF32"
    # A rehearsal on the emulated CUDA driver (run.sh with REHEARSAL_DRIVER_DIR): the small list, so
    # that GEMM (every variant beside cuBLAS), conv and fused conv all run on the CPU emulator in time.
    # The harness labels everything measured there as not a GPU figure.
    [[ -n ${REHEARSAL_DRIVER_DIR:-} ]] && BENCH_ARGS="--quick --reps 3 --warmup 1 $BENCH_ARGS"
fi
sweep_s=${BENCH_SWEEP_S:-130}
# A rehearsal skips the sweep unless BENCH_SWEEP_S asks for it: its workloads are GPU-sized (one
# 1024^3 GEMM takes seconds on the emulator), and its sweep.json would name no sm_ family anyway.
if [[ -n ${REHEARSAL_DRIVER_DIR:-} && -z ${BENCH_SWEEP_S:-} ]]; then
    sweep_s=0
    echo "== sweep: skipped in a rehearsal on the emulated driver (GPU-sized workloads; BENCH_SWEEP_S=N runs it)"
fi
SECONDS=0

echo "== doctor"
java -cp "$DEVICE_CLASSPATH" dev.jkernels.nativeloader.Doctor
echo

if [[ $sweep_s != 0 ]]; then
    echo "== sweep: every GEMM/conv configuration per workload (limit ${sweep_s}s)"
    # The sweep's own --limit-s stops it between candidates; timeout is the backstop.
    # shellcheck disable=SC2086
    timeout -k 5 $(( sweep_s + 20 )) java -cp "$DEVICE_CLASSPATH" dev.jkernels.bench.Sweep --backend "$backend" \
        --json "$DEVICE_OUT/sweep.json" --limit-s "$sweep_s" ${BENCH_SWEEP_ARGS:-} > "$DEVICE_OUT/.sweep.md"
    echo "sweep: exit $? after ${SECONDS}s"
    limit=$(( limit - SECONDS ))
    (( limit < 30 )) && limit=30
    echo
fi

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
# The tables last: the device tool returns only the tail of the output.
cat "$DEVICE_OUT/.bench.md" 2>/dev/null
echo
echo "== sweep winners (copy sweep.json to src/main/resources/dev/jkernels/gemm-winners-<family>.json to use them)"
cat "$DEVICE_OUT/.sweep.md" 2>/dev/null
rm -f "$DEVICE_OUT/.bench.md" "$DEVICE_OUT/.sweep.md"
exit $code
