#!/usr/bin/env python3
"""Static figures of the tensor-core kernels (wmma), from the SASS that ../shared/tools/sass.sh prints.

    python3 benchmarks/static/tensor_core_sass_mix.py FILE.sass sm_90|sm_80 [--markdown]

Per kernel: the ptxas figures (registers, static shared memory, spills), the resident blocks and
warps per SM they allow (sm_90: 228 KiB of shared memory per SM, sm_80: 164 KiB; both 65 536
registers allocated per warp in units of 256, 64 warps and 32 blocks per SM, 1 KiB of shared memory
reserved per block), and the main loop: the innermost loop with the most HMMA (the k-tile loop). In
it (every path of the loop body, e.g. both the float4 and the scalar NHWC gather; build with
-DJK_SASS_NHWC_VEC_ONLY for the float4 path alone): HMMA count and share of all instructions (NOPs excluded), fragment loads (generic LD: nvcc emits
wmma.load without the .shared qualifier), shared stores, global loads, barriers, TF32 conversions
(the integer/float sequence nvcc emits for cvt.rna.tf32.f32 is counted under "other").
Static counts of the code, not a speed.
"""
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sass_stats import parse, opcode, loops  # noqa: E402

SMEM_PER_SM = {"sm_90": 233472, "sm_80": 167936}


def occupancy(regs, smem, threads, arch):
    warps = (threads + 31) // 32
    per_warp = ((regs * 32 + 255) // 256) * 256
    by_regs = 65536 // (warps * per_warp) if regs else 32
    by_smem = SMEM_PER_SM[arch] // (smem + 1024)
    blocks = min(32, 64 // warps, by_regs, by_smem)
    return blocks, blocks * warps


def threads_of(name):
    return 256 if "_128x128_" in name else 128


def main_loop(f):
    """The smallest loop holding the most HMMA (a loop around the k-tile loop holds as many but is
    larger; a non-unrolled loop inside it, e.g. of the scalar gather, does not make it lose)."""
    best = None
    for lo, hi in loops(f):
        body = [t for a, t in f["insns"] if lo <= a <= hi and opcode(t) != "NOP"]
        h = sum(1 for t in body if opcode(t).startswith("HMMA"))
        key = (h, -len(body))
        if best is None or key > best[0]:
            best = (key, body)
    return best[1] if best and best[0][0] else []


def main():
    path, arch = sys.argv[1], sys.argv[2]
    md = "--markdown" in sys.argv
    funcs, ptxas = parse(path)
    rows = []
    for name in sorted(funcs):
        p = ptxas.get(name, {})
        body = main_loop(funcs[name])
        ops = Counter(opcode(t) for t in body)
        n = sum(ops.values())
        hmma = sum(v for k, v in ops.items() if k.startswith("HMMA"))
        cnt = lambda *pre: sum(v for k, v in ops.items() if k.startswith(pre))
        ld = sum(v for k, v in ops.items() if k.split(".")[0] == "LD")
        blocks, warps = occupancy(p.get("regs", 0), p.get("smem", 0), threads_of(name), arch)
        rows.append((name, p.get("regs", 0), p.get("smem", 0), p.get("spill_st", 0), p.get("spill_ld", 0), blocks,
                     warps, n, hmma, (hmma / n) if n else 0, ld, cnt("LDS"), cnt("STS"), cnt("LDG"), cnt("BAR")))
    if md:
        print(f"| kernel ({arch}) | regs | smem B | spills st/ld B | blocks/SM | warps/SM | loop instrs | HMMA | HMMA share "
              "| frag LD (generic) | LDS | STS | LDG | BAR |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            loop = (f"{r[7]} | {r[8]} | {100 * r[9]:.1f} % | {r[10]} | {r[11]} | {r[12]} | {r[13]} | {r[14]}" if r[7]
                    else "n/a (no loop with HMMA found) | | | | | | | ")
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]}/{r[4]} | {r[5]} | {r[6]} | {loop} |")
    else:
        for r in rows:
            print(*r)


if __name__ == "__main__":
    main()
