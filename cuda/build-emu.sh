#!/usr/bin/env bash
# Compiles every kernel file, with the emulator header, into libjkernels-emu.so (linux-x86_64):
# the CUDA kernels on the CPU, called by EmulatedLauncher through JNA. Called by src/pom.xml;
# by hand: cuda/build-emu.sh <build dir> <classes dir>
# Without g++ (or off linux-x86_64) it warns and exits 0. Skipped when the library is newer than
# every file under cuda/ (tests/ excepted); copied from the shared cache (kernel-sources.sh) when
# these exact sources were compiled before.
set -euo pipefail
CUDA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$CUDA_DIR/kernel-sources.sh"

BUILD_DIR=${1:?build dir}
RES_DIR=${2:?classes dir}/dev/jkernels/native/linux-x86_64
CXX=${CXX:-g++}
LIB=$RES_DIR/libjkernels-emu.so
WORK=$BUILD_DIR/native
mkdir -p "$WORK"

if [[ $(uname -s) != Linux || $(uname -m) != x86_64 ]]; then
    jk_warn "the emulator library is built for linux-x86_64 only; this is $(uname -s)-$(uname -m): no emulated backend"
    exit 0
fi
if ! command -v "$CXX" > /dev/null 2>&1; then
    jk_warn "$CXX not found: this build has NO emulator library (the emulated backend will be unavailable)"
    exit 0
fi
mkdir -p "$RES_DIR"
UMBRELLA=$WORK/jkernels_all.cu
jk_write_umbrella "$CUDA_DIR" "$UMBRELLA"
if jk_up_to_date "$LIB" "$CUDA_DIR"; then
    jk_info "emulator library up to date: $LIB"
    exit 0
fi
key=emu-$(jk_sources_hash "$CUDA_DIR" "$("$CXX" --version | head -1) emu")
if jk_cache_get "$key" "$RES_DIR" libjkernels-emu.so; then
    jk_info "emulator library copied from the cache $(jk_cache_dir)/$key (same sources, same compiler)"
    exit 0
fi
start=$(date +%s)
# -static-libstdc++: the library loads into any JVM on any glibc Linux without a matching libstdc++.
# -z defs: an undefined symbol is a build error here, not a dlopen failure in a test.
"$CXX" -std=c++20 -O2 -g0 -fPIC -shared -pthread -Wall -Wno-unused-function \
    -I"$CUDA_DIR/include" -I"$CUDA_DIR/emu" -include "$CUDA_DIR/emu/cuda_emu.h" \
    -x c++ "$UMBRELLA" -x none "$CUDA_DIR/emu/emu_runtime.cpp" \
    -static-libstdc++ -static-libgcc -Wl,-z,defs -o "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
# Dated to the start of the compile: a source edited while g++ ran is newer, so the next build redoes it.
touch -d "@$start" "$LIB"
[[ $key == emu-$(jk_sources_hash "$CUDA_DIR" "$("$CXX" --version | head -1) emu") ]] && jk_cache_put "$key" "$LIB"
jk_info "emulator library: $LIB ($(stat -c %s "$LIB") bytes) in $(( $(date +%s) - start )) s"
