#!/usr/bin/env python3
"""Shared-memory bank conflicts of the GEMM kernels' tile stores and fragment reads, from the index
formulas of the .cu files (no GPU): for one warp of each access instruction, the lanes' addresses,
and the conflict degree as the hardware serves them (32 banks of 4 bytes; a 32-bit access is one
wavefront when no two lanes touch different words of one bank; a 128-bit access is served a quarter
warp (8 lanes) at a time, each phase conflict-free when its lanes' 16-byte chunks hit distinct bank
quads or the same chunk). Degree 1 = conflict-free; n = the slowest phase needs n wavefronts.

    bank_conflicts.py [--json]

The formulas mirror gemm_common.cuh (load_tile_kmajor), gemm_register_blocked.cu,
gemm_warp_tiled.cu and gemm_pipelined.cu (TileStage, swizzle, the fragment bases).
"""
import json
import sys


def degree(addrs, width):
    """addrs: word address per lane (32 lanes); width: 1 (32-bit) or 4 (128-bit)."""
    if width == 1:
        banks = {}
        for a in addrs:
            banks.setdefault(a % 32, set()).add(a)
        return max(len(v) for v in banks.values())
    worst = 0
    for ph in range(4):
        lanes = addrs[ph * 8:(ph + 1) * 8]
        banks = {}
        for a in lanes:
            for w in range(4):
                banks.setdefault((a + w) % 32, set()).add(a)
        worst = max(worst, max(len(v) for v in banks.values()))
    return worst


def swz(k, x):
    return x ^ (((k >> 2) & 3) << 3)


# ---- the pre-existing loader (gemm_common.cuh load_tile_kmajor), S[k * LDS + r], no swizzle ----
def old_store(rows, bk, threads, k_contiguous, warp=0, group=0):
    """Returns [(addrs, width)] for one warp's stores of one float4 group."""
    out = []
    lanes = [warp * 32 + l + group * threads for l in range(32)]
    if k_contiguous:
        kg = bk // 4
        for j in range(4):
            out.append(([((e % kg) * 4 + j) * rows + e // kg for e in lanes], 1))
    else:
        rg = rows // 4
        # four scalar stores s[0..3] (the compiler merges them into one STS.128 when aligned)
        out.append(([(e // rg) * rows + (e % rg) * 4 for e in lanes], 4))
    return out


def new_store(rows, bk, threads, k_contiguous, warp=0, group=0):
    out = []
    lanes = [warp * 32 + l + group * threads for l in range(32)]
    if k_contiguous:
        kg = bk // 4
        for j in range(4):
            out.append(([((e % kg) * 4 + j) * rows + swz((e % kg) * 4, e // kg) for e in lanes], 1))
    else:
        rg = rows // 4
        out.append(([(e // rg) * rows + swz(e // rg, (e % rg) * 4) for e in lanes], 4))
    return out


def warp_tiled_reads(bm, bn, wm, wn, wniter, tm, tn, threads, swizzled, kk=0, warp=0):
    """Fragment reads of one k: A (regM) and B (regN) as LDS.128 groups."""
    wmiter = (wm * wn) // (32 * tm * tn * wniter)
    wsubm, wsubn = wm // wmiter, wn // wniter
    warp_row, warp_col = warp // (bn // wn), warp % (bn // wn)
    a, b = [], []
    for ws in range(wmiter):
        for i in range(0, tm, 4):
            addrs = []
            for lane in range(32):
                row_in_warp = lane // (wsubn // tn)
                x = warp_row * wm + row_in_warp * tm + ws * wsubm + i
                addrs.append(kk * bm + (swz(kk, x) if swizzled else x))
            a.append((addrs, 4))
    for ws in range(wniter):
        for j in range(0, tn, 4):
            addrs = []
            for lane in range(32):
                col_in_warp = lane % (wsubn // tn)
                x = warp_col * wn + col_in_warp * tn + ws * wsubn + j
                addrs.append(kk * bn + (swz(kk, x) if swizzled else x))
            b.append((addrs, 4))
    return a, b


def register_blocked_reads(bm, bn, tm, tn, kk=0):
    a, b = [], []
    for i in range(0, tm, 4):
        a.append(([kk * bm + ((l // (bn // tn)) * tm) + i for l in range(32)], 4))
    for j in range(0, tn, 4):
        b.append(([kk * bn + ((l % (bn // tn)) * tn) + j for l in range(32)], 4))
    return a, b


def worst(accesses):
    return max(degree(a, w) for a, w in accesses)


CONFIGS = [
    # name, kind, BM, BN, BK, threads, (WM, WN, WNITER, TM, TN) or (TM, TN)
    ("register_blocked_128x128", "rb", 128, 128, 8, 256, (8, 8)),
    ("register_blocked_64x64", "rb", 64, 64, 16, 256, (4, 4)),
    ("warp_tiled_128x128", "wt", 128, 128, 16, 128, (64, 64, 4, 8, 4)),
    ("warp_tiled_128x64", "wt", 128, 64, 16, 128, (64, 32, 2, 8, 4)),
    ("warp_tiled_64x64", "wt", 64, 64, 16, 128, (32, 32, 2, 4, 4)),
    ("pipelined_128x128", "pl", 128, 128, 16, 128, (64, 64, 2, 8, 8)),
    ("pipelined_128x64", "pl", 128, 64, 16, 128, (64, 32, 1, 8, 8)),
    ("pipelined_64x64", "pl", 64, 64, 16, 128, (32, 32, 1, 4, 8)),
]


def analyse():
    res = {}
    for name, kind, bm, bn, bk, threads, p in CONFIGS:
        store = new_store if kind == "pl" else old_store
        r = {}
        for operand, rows in (("A", bm), ("B", bn)):
            groups = rows * bk // 4 // threads
            for kc, label in ((True, "k-contiguous (transposed store)"), (False, "row-contiguous")):
                acc = []
                for w in range(threads // 32):
                    for g in range(groups):
                        acc += store(rows, bk, threads, kc, warp=w, group=g)
                r[f"{operand} store, {label}"] = {"width": 32 * acc[0][1], "degree": worst(acc)}
        # in the kernels op(A) is k-contiguous when transA = 0, op(B) when transB = 1
        reads_a, reads_b = [], []
        for kk in range(bk):
            for w in range(threads // 32):
                if kind == "rb":
                    a, b = register_blocked_reads(bm, bn, p[0], p[1], kk)
                else:
                    a, b = warp_tiled_reads(bm, bn, *p, threads, kind == "pl", kk, w)
                reads_a += a
                reads_b += b
        r["A fragment read"] = {"width": 128, "degree": worst(reads_a)}
        r["B fragment read"] = {"width": 128, "degree": worst(reads_b)}
        res[name] = r
    return res


def main():
    res = analyse()
    if "--json" in sys.argv:
        json.dump(res, sys.stdout, indent=1)
        print()
        return
    for name, r in res.items():
        print(name)
        for k, v in r.items():
            print(f"  {k:42s} {v['width']:3d}-bit  conflict degree {v['degree']}")


if __name__ == "__main__":
    main()
