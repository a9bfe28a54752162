#!/usr/bin/env python3
"""The static GEMM table (no GPU): per kernel configuration, before and after, from the SASS listings
sass.sh printed for sm_90 (ptxas figures and the main loop's instruction mix, sass_stats.py), the
shared-memory conflict model (bank_conflicts.py) and the sm_90 occupancy rules (the CUDA occupancy
calculator's: 64 K registers allocated per warp in units of 256, 2048 threads, 32 blocks, 228 KiB of
shared memory with 1 KiB reserved per block). Static figures: not speed measurements.

    static_report.py BEFORE_DIR AFTER_DIR OUT_DIR

BEFORE_DIR / AFTER_DIR hold <file>.sass listings; OUT_DIR receives counts-before.json,
counts-after.json, conflicts.json and the Markdown table (printed to stdout as well).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bank_conflicts  # noqa: E402
import sass_stats  # noqa: E402

# (name in the new build, name in the old one, threads, BM, BN, BK, k-tiles per main-loop trip)
GEMM = [
    ("jk_gemm_naive", "jk_gemm_naive_identity", 256, 8, 32, 1, None),
    ("jk_gemm_tiled", "jk_gemm_tiled_identity", 256, 16, 16, 16, 1),
    ("jk_gemm_register_blocked_128x128", "jk_gemm_register_blocked_128x128_identity", 256, 128, 128, 8, 1),
    ("jk_gemm_register_blocked_64x64", "jk_gemm_register_blocked_64x64_identity", 256, 64, 64, 16, 1),
    ("jk_gemm_warp_tiled_128x128", "jk_gemm_warp_tiled_128x128_identity", 128, 128, 128, 16, 1),
    ("jk_gemm_warp_tiled_128x64", "jk_gemm_warp_tiled_128x64_identity", 128, 128, 64, 16, 1),
    ("jk_gemm_warp_tiled_64x64", "jk_gemm_warp_tiled_64x64_identity", 128, 64, 64, 16, 1),
    ("jk_gemm_pipelined_128x128", None, 128, 128, 128, 16, 2),
    ("jk_gemm_pipelined_128x64", None, 128, 128, 64, 16, 2),
    ("jk_gemm_pipelined_64x64", None, 128, 64, 64, 16, 2),
]
FILES = ["gemm_naive", "gemm_tiled", "gemm_register_blocked", "gemm_warp_tiled", "gemm_pipelined"]


def blocks_per_sm(threads, regs, smem):
    warps = (threads + 31) // 32
    by_threads = 2048 // (warps * 32)
    rpw = ((regs * 32 + 255) // 256) * 256 if regs else 0
    by_regs = (65536 // rpw) // warps if rpw else 10 ** 9
    by_smem = (228 * 1024) // (smem + 1024)
    return min(32, by_threads, by_regs, by_smem)


def load(d):
    out = {}
    for f in FILES:
        p = os.path.join(d, f + ".sass")
        if not os.path.exists(p) or os.path.getsize(p) == 0:
            continue
        funcs, ptxas = sass_stats.parse(p)
        for name, fn in funcs.items():
            out[name] = {"ptxas": ptxas.get(name), "code_insns": len(fn["insns"]), "main_loop": sass_stats.stats(fn)}
    return out


def widths(d):
    return ", ".join(f"{v}×{k.split('.')[1] if '.' in k and k.split('.')[1].isdigit() else '32'}"
                     for k, v in sorted(d.items()))


def row(label, r, threads, bm, bn, bk, trips, conf):
    p = r["ptxas"] or {}
    s = r["main_loop"]
    bps = blocks_per_sm(threads, p.get("regs", 0), p.get("smem", 0))
    cells = [label, str(p.get("regs", "?")), str(p.get("smem", "?")), f"{p.get('spill_st', '?')}/{p.get('spill_ld', '?')}",
             f"{bps} ({bps * threads // 32} warps)"]
    if s is None:
        return "| " + " | ".join(cells + ["-"] * 7) + " |"
    per = trips or 1
    fp = s["fast_path"]
    paths = ""
    if s.get("shortest_path"):
        paths = f" (all {s['paths']} paths: {100 * s['longest_path']['ffma_share']:.1f}–{100 * s['shortest_path']['ffma_share']:.1f} %)"
    ldg128 = sum(v for k, v in s["ldg"].items() if ".128" in k) // per
    ldg_scalar = sum(v for k, v in s["ldg"].items() if ".128" not in k) // per
    lds = {k: v // per for k, v in s["lds"].items()}
    sts = {k: v // per for k, v in s["sts"].items()}
    cells += [f"{s['insns']} / {per}", f"{100 * s['ffma_share']:.1f} %", f"{100 * fp['ffma_share']:.1f} %{paths}",
              f"{ldg128} LDG.128" + (f" (+{ldg_scalar} scalar, fallback)" if ldg_scalar else ""),
              str(s["ldg128_in_flight"]), widths(lds) + " / " + widths(sts), conf]
    return "| " + " | ".join(cells) + " |"


def main():
    before_dir, after_dir, out_dir = sys.argv[1:4]
    before, after = load(before_dir), load(after_dir)
    conflicts = bank_conflicts.analyse()
    os.makedirs(out_dir, exist_ok=True)
    for name, data in (("counts-before.json", before), ("counts-after.json", after), ("conflicts.json", conflicts)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
    head = ("| kernel | regs | smem B | spill st/ld B | blocks/SM on sm_90 | main loop: insns / k-tiles | FFMA share (body) "
            "| FFMA share (vectorised path) | global loads per k-tile | LDG.128 in flight | LDS / STS per k-tile (count×bits) "
            "| conflicts: A st (trans/plain), B st (trans/plain), A rd, B rd |")
    lines = [head, "|" + "---|" * 12]
    for new, old, threads, bm, bn, bk, trips in GEMM:
        cfg = new.replace("jk_gemm_", "")
        c = conflicts.get(cfg)
        conf = "-" if c is None else ", ".join(
            str(c[k]["degree"]) for k in ("A store, k-contiguous (transposed store)", "A store, row-contiguous",
                                          "B store, k-contiguous (transposed store)", "B store, row-contiguous",
                                          "A fragment read", "B fragment read"))
        if old and old in before:
            lines.append(row(f"{cfg} (before)", before[old], threads, bm, bn, bk, trips, conf))
        if new in after:
            lines.append(row(f"**{cfg}**" if "pipelined" in cfg else f"{cfg} (after)", after[new], threads, bm, bn, bk, trips, conf))
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
