#!/usr/bin/env bash
# Compiles every kernel file into one fatbin: SASS for sm_75, 80, 86, 89, 90 and PTX (compute_90)
# for newer GPUs, with the ptxas -v report kept and summarised per kernel (registers, spills,
# shared memory). Called by src/pom.xml in generate-resources; also runnable by hand:
#   cuda/build-fatbin.sh <build dir, e.g. src/target> <classes dir, e.g. src/target/classes>
# Without nvcc it warns and exits 0: the build goes on without kernels for the GPU.
# Skipped when the fatbin is newer than every file under cuda/ (tests/ excepted); copied from the
# shared cache (kernel-sources.sh) when these exact sources were compiled before by this nvcc.
set -euo pipefail
CUDA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$CUDA_DIR/kernel-sources.sh"

BUILD_DIR=${1:?build dir}
RES_DIR=${2:?classes dir}/dev/jkernels/native
NVCC=${NVCC:-nvcc}
SASS_TARGETS=(${JK_SASS_TARGETS:-75 80 86 89 90})
PTX_TARGET=90

WORK=$BUILD_DIR/native
mkdir -p "$WORK" "$RES_DIR"
FATBIN=$RES_DIR/jkernels.fatbin
SUMMARY=$RES_DIR/jkernels-ptxas.txt
PROPS=$RES_DIR/build.properties

targets_csv=$(printf 'sm_%s,' "${SASS_TARGETS[@]}"); targets_csv=${targets_csv%,}

write_properties() {  # $1 = nvcc version or empty
    {
        echo "# Written by cuda/build-fatbin.sh"
        echo "nvcc.version=$1"
        if [[ -n $1 ]]; then
            echo "cuda.targets=$targets_csv"
            echo "cuda.ptx=compute_$PTX_TARGET"
        else
            echo "cuda.targets="
            echo "cuda.ptx="
        fi
        echo "built.at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$PROPS"
}

if ! command -v "$NVCC" > /dev/null 2>&1; then
    jk_warn "nvcc not found on PATH: this build has NO CUDA kernels (no jkernels.fatbin)."
    jk_warn "The CPU and emulated backends work; the CUDA backend will report that the build has no kernels."
    rm -f "$FATBIN" "$SUMMARY"
    write_properties ""
    exit 0
fi

UMBRELLA=$WORK/jkernels_all.cu
jk_write_umbrella "$CUDA_DIR" "$UMBRELLA"
if jk_up_to_date "$FATBIN" "$CUDA_DIR" emu && [[ -f $SUMMARY && -f $PROPS ]]; then
    jk_info "fatbin up to date: $FATBIN"
    exit 0
fi

version=$("$NVCC" --version | sed -n 's/.*release \([0-9][0-9.]*\),.*/\1/p')
LOG=$WORK/ptxas-full.log
key=fatbin-$(jk_sources_hash "$CUDA_DIR" "$("$NVCC" --version | tail -1) ${SASS_TARGETS[*]} $PTX_TARGET ${JK_NVCC_LINEINFO:-0}" emu)
if jk_cache_get "$key" "$RES_DIR" jkernels.fatbin jkernels-ptxas.txt; then
    cp "$(jk_cache_dir)/$key/ptxas-full.log" "$LOG" 2> /dev/null || true
    write_properties "$version"
    jk_info "fatbin copied from the cache $(jk_cache_dir)/$key (same sources, same nvcc)"
    exit 0
fi

gencode=()
for t in "${SASS_TARGETS[@]}"; do gencode+=(-gencode "arch=compute_$t,code=sm_$t"); done
gencode+=(-gencode "arch=compute_$PTX_TARGET,code=compute_$PTX_TARGET")

jk_info "nvcc $version: compiling $(jk_kernel_sources "$CUDA_DIR" | wc -l) kernel file(s) for $targets_csv + compute_$PTX_TARGET"
start=$(date +%s)
# --compress-mode=size: zstd at its strongest for the SASS images and the PTX (9.0 → 5.8 MB with every
# GEMM/conv variant), which keeps the jar, and the device pack (60 MiB in all), small; the driver
# decompresses once at cuModuleLoadData, and the tests read the images with a zstd decoder.
# No -lineinfo by default: it embeds the PTX text into every ELF image (~30 MB per target with every
# GEMM/conv variant); JK_NVCC_LINEINFO=1 adds it for profiling.
lineinfo=()
[[ ${JK_NVCC_LINEINFO:-0} == 1 ]] && lineinfo=(-lineinfo)
if ! "$NVCC" -fatbin --compress-mode=size --threads 2 -std=c++17 "${lineinfo[@]}" -I"$CUDA_DIR/include" "${gencode[@]}" \
        -Xptxas -v -o "$FATBIN.tmp" "$UMBRELLA" > "$LOG" 2>&1; then
    grep -v '^ptxas info\|^    [0-9]* bytes stack' "$LOG" >&2 || true
    echo "[jkernels] ERROR: nvcc failed (full log: $LOG)" >&2
    rm -f "$FATBIN.tmp"
    exit 1
fi
mv "$FATBIN.tmp" "$FATBIN"
# Dated to the start of the compile: a source edited while nvcc ran is newer, so the next build redoes it.
touch -d "@$start" "$FATBIN"

# ptxas -v prints, per kernel and target:
#   ptxas info    : Compiling entry function 'NAME' for 'sm_90'
#   ptxas info    : Function properties for NAME
#       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
#   ptxas info    : Used 30 registers, used 0 barriers, 1024 bytes smem, 384 bytes cmem[0]
awk -v version="$version" '
    /Compiling entry function/ { match($0, /function .[^ ]+. for .[a-z_0-9]+./); s = substr($0, RSTART, RLENGTH)
                                 split(s, p, "\047"); name = p[2]; arch = p[4]; next }
    /bytes stack frame/        { stack = $1; spillS = $5; spillL = $9; next }
    /Used [0-9]+ registers/    { if (name == "") next
                                 regs = $0; sub(/.*Used /, "", regs); sub(/ registers.*/, "", regs)
                                 smem = 0; if (match($0, /[0-9]+ bytes smem/)) { smem = substr($0, RSTART, RLENGTH); sub(/ bytes smem/, "", smem) }
                                 flag = (spillS + spillL > 0) ? "SPILL" : ""
                                 if (flag != "") spills++
                                 rows[++n] = sprintf("%-44s %-6s %5d %7d %8d %8d %8d  %s", name, arch, regs, smem, stack, spillS, spillL, flag)
                                 name = ""; stack = 0; spillS = 0; spillL = 0 }
    END {
        printf "# ptxas -v summary, nvcc %s: one line per kernel and target. Full log: target/native/ptxas-full.log\n", version
        printf "# kernels with spills: %d\n", spills + 0
        printf "%-44s %-6s %5s %7s %8s %8s %8s\n", "# kernel", "arch", "regs", "smem_B", "stack_B", "spill_st", "spill_ld"
        for (i = 1; i <= n; i++) print rows[i]
    }' "$LOG" | { read -r l1; read -r l2; read -r l3; echo "$l1"; echo "$l2"; echo "$l3"; LC_ALL=C sort; } > "$SUMMARY"
write_properties "$version"
# Cache only what was built from the sources hashed before the compile (none edited meanwhile).
if [[ $key == fatbin-$(jk_sources_hash "$CUDA_DIR" "$("$NVCC" --version | tail -1) ${SASS_TARGETS[*]} $PTX_TARGET ${JK_NVCC_LINEINFO:-0}" emu) ]]; then
    jk_cache_put "$key" "$FATBIN" "$SUMMARY" "$LOG"
fi
spills=$(sed -n 's/^# kernels with spills: //p' "$SUMMARY")
jk_info "fatbin: $FATBIN ($(stat -c %s "$FATBIN") bytes) in $(( $(date +%s) - start )) s; ptxas summary: $SUMMARY"
if [[ $spills != 0 ]]; then
    jk_warn "$spills kernel/target pair(s) spill registers:"
    grep 'SPILL$' "$SUMMARY" >&2
fi
