#!/usr/bin/env bash
# Builds the emulator library with AddressSanitizer + UBSan, plus the planted bugs of planted_bugs.cu:
# what the property tests' long mode loads into a child JVM (-Djkernels.emulator.library=...,
# LD_PRELOAD=libasan), so that a kernel's out-of-bounds access is a test failure naming the kernel
# instead of a dead JVM. Prints the library's path on its last line.
# Usage: cuda/tests/build-emu-asan.sh [out dir]   (default: src/target/emu-asan)
# Cached by content, like the other native outputs (kernel-sources.sh).
set -euo pipefail
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CUDA_DIR=$(dirname "$TESTS_DIR")
REPO=$(dirname "$CUDA_DIR")
source "$CUDA_DIR/kernel-sources.sh"
OUT=${1:-$REPO/src/target/emu-asan}
CXX=${CXX:-g++}
LIB=$OUT/libjkernels-emu-asan.so
mkdir -p "$OUT"
UMBRELLA=$OUT/jkernels_all.cu
jk_write_umbrella "$CUDA_DIR" "$UMBRELLA"
# The key covers the planted bugs too (tests/ is outside jk_sources_hash).
key=emu-asan-$(jk_sources_hash "$CUDA_DIR" "$("$CXX" --version | head -1) asan $(sha256sum "$TESTS_DIR/planted_bugs.cu" "$0" | cut -c1-64 | tr '\n' ' ')")
if jk_cache_get "$key" "$OUT" libjkernels-emu-asan.so; then
    jk_info "ASan emulator library copied from the cache $(jk_cache_dir)/$key" >&2
    echo "$LIB"
    exit 0
fi
start=$(date +%s)
# -O1 -g: line numbers in reports; -fno-sanitize-recover: the first UB finding aborts, naming its place.
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fPIC -shared -pthread -Wall -Wno-unused-function \
    -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$CUDA_DIR/include" -I"$CUDA_DIR/emu" -include "$CUDA_DIR/emu/cuda_emu.h" \
    -x c++ "$UMBRELLA" "$TESTS_DIR/planted_bugs.cu" -x none "$CUDA_DIR/emu/emu_runtime.cpp" -o "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
jk_cache_put "$key" "$LIB"
jk_info "ASan emulator library: $LIB in $(( $(date +%s) - start )) s" >&2
echo "$LIB"
