#!/usr/bin/env bash
# The sanitizer suite: every kernel of the library, through the emulator, under
#   ASan+UBSan  in fibers mode (with the fiber-switch annotations) and in serial mode,
#   TSan        in threads mode (one OS thread per CUDA thread: a missing barrier is a real race),
# checked against plain C++ references (harness.cpp), plus the planted bugs of planted_bugs.cu:
#   an out-of-bounds write  -> ASan must report a heap-buffer-overflow,
#   a tiled kernel missing __syncthreads -> TSan must report a data race,
#   a wmma fragment loaded with the wrong leading dimension -> ASan must report a heap-buffer-overflow
#   in the planted kernel,
#   a barrier skipped by one thread, a trap in one thread -> the emulator must fail the launch
#   naming kernel, block and thread (never hang).
# Exit 0 only when the real kernels give 0 findings and every planted bug is reported.
# Usage: cuda/tests/run-sanitizers.sh [build dir]   (default: src/target/sanitizers)
# Needs g++ with libasan8, libubsan1, libtsan2 (see install-sanitizer-deps.sh).
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CUDA_DIR=$(dirname "$TESTS_DIR")
REPO=$(dirname "$CUDA_DIR")
source "$CUDA_DIR/kernel-sources.sh"
BUILD=${1:-$REPO/src/target/sanitizers}
CXX=${CXX:-g++}
mkdir -p "$BUILD"
start=$(date +%s)

# ---- toolchain -------------------------------------------------------------------------------------
probe() {  # $1 = sanitizer flags
    echo 'int main(){return 0;}' > "$BUILD/probe.cpp"
    "$CXX" $1 "$BUILD/probe.cpp" -o "$BUILD/probe" > "$BUILD/probe.log" 2>&1 && "$BUILD/probe" >> "$BUILD/probe.log" 2>&1
}
for flags in "-fsanitize=address,undefined" "-fsanitize=thread"; do
    if ! probe "$flags"; then
        echo "[sanitizers] ERROR: $CXX cannot build and run with $flags:" >&2
        cat "$BUILD/probe.log" >&2
        echo "[sanitizers] install the runtimes (as root): apt-get install -y libasan8 libtsan2 libubsan1" >&2
        echo "[sanitizers]   or run cuda/tests/install-sanitizer-deps.sh" >&2
        exit 2
    fi
done

# ---- build -------------------------------------------------------------------------------------------
UMBRELLA=$BUILD/jkernels_all.cu
jk_write_umbrella "$CUDA_DIR" "$UMBRELLA"
COMMON=(-std=c++20 -O1 -g -fno-omit-frame-pointer -pthread -I"$CUDA_DIR/include" -I"$CUDA_DIR/emu"
        -include "$CUDA_DIR/emu/cuda_emu.h")
build() {  # $1 = output, rest = sanitizer flags
    local out=$1; shift
    "$CXX" "${COMMON[@]}" "$@" -x c++ "$UMBRELLA" "$TESTS_DIR/planted_bugs.cu" -x none \
        "$CUDA_DIR/emu/emu_runtime.cpp" "$TESTS_DIR/harness.cpp" -o "$out"
}
echo "[sanitizers] building the harness with ASan+UBSan and with TSan ($(jk_kernel_sources "$CUDA_DIR" | wc -l) kernel file(s))"
build "$BUILD/harness-asan" -fsanitize=address,undefined -fno-sanitize-recover=undefined &
pid_asan=$!
build "$BUILD/harness-tsan" -fsanitize=thread &
pid_tsan=$!
wait $pid_asan || { echo "[sanitizers] ERROR: the ASan build failed" >&2; exit 1; }
wait $pid_tsan || { echo "[sanitizers] ERROR: the TSan build failed" >&2; exit 1; }
echo "[sanitizers] built in $(( $(date +%s) - start )) s"

# ---- runs --------------------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:report_signal_unsafe=0}
failures=0
summary=()

# $1 = name, $2 = binary, $3 = mode, $4 = suite; sets $rc and $log
run() {
    log=$BUILD/$1.log
    local t0=$(date +%s)
    timeout 600 "$BUILD/$2" "$3" "$4" > "$log" 2>&1
    rc=$?
    findings=$(grep -c -E 'ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer|ERROR: LeakSanitizer' "$log")
    echo "[sanitizers] $1: exit $rc, $findings sanitizer finding(s), $(( $(date +%s) - t0 )) s  (log: $log)"
}
expect_clean() {
    run "$@"
    if [[ $rc -ne 0 || $findings -ne 0 ]]; then
        echo "[sanitizers] FAIL: $1 must run clean" >&2
        grep -E -A12 'ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer|FAIL:' "$log" | head -60 >&2
        failures=$((failures + 1)); summary+=("FAIL $1")
    else
        summary+=("ok   $1: $(tail -1 "$log")")
    fi
}
expect_report() {  # $5 = the pattern the report must contain
    run "$1" "$2" "$3" "$4"
    if [[ $rc -eq 0 ]] || ! grep -q -E "$5" "$log"; then
        echo "[sanitizers] FAIL: $1: the planted bug went unreported (expected /$5/, exit $rc)" >&2
        tail -20 "$log" >&2
        failures=$((failures + 1)); summary+=("FAIL $1 (planted bug not reported)")
    else
        summary+=("ok   $1: reported: $(grep -m1 -E "$5" "$log" | sed 's/^[=0-9]* *//')")
    fi
}

expect_clean  asan-fibers-real       harness-asan fibers  real
expect_clean  asan-serial-real       harness-asan serial  real
expect_clean  asan-fibers-selfcheck  harness-asan fibers  selfcheck
expect_clean  asan-serial-selfcheck  harness-asan serial  selfcheck
expect_clean  tsan-threads-real      harness-tsan threads real
expect_clean  tsan-threads-selfcheck harness-tsan threads selfcheck
expect_report asan-fibers-oob        harness-asan fibers  oob  'ERROR: AddressSanitizer: heap-buffer-overflow'
expect_report tsan-threads-race      harness-tsan threads race 'WARNING: ThreadSanitizer: data race'
expect_report asan-fibers-wmma-ldm   harness-asan fibers  wmma_ldm 'ERROR: AddressSanitizer: heap-buffer-overflow'
if [[ $rc -ne 0 ]] && ! grep -q 'jk_test_wmma_wrong_ldm' "$log"; then  # the report must be the planted kernel's
    echo "[sanitizers] FAIL: asan-fibers-wmma-ldm: the overflow was not reported in jk_test_wmma_wrong_ldm" >&2
    failures=$((failures + 1)); summary+=("FAIL asan-fibers-wmma-ldm (report outside the planted kernel)")
fi

echo "[sanitizers] ---- summary ($(( $(date +%s) - start )) s) ----"
printf '[sanitizers] %s\n' "${summary[@]}"
if [[ $failures -ne 0 ]]; then
    echo "[sanitizers] $failures check(s) FAILED"
    exit 1
fi
echo "[sanitizers] all clean: 0 findings on the real kernels, every planted bug reported"
