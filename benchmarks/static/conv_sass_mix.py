#!/usr/bin/env python3
"""Main-loop instruction mix of the conv kernels, from the SASS that ../shared/tools/sass.sh prints.

    python3 benchmarks/static/conv_sass_mix.py FILE.sass [kernel-substring ...]

For every kernel in the file: the ptxas figures (registers, shared memory, spills), sm_90 occupancy
(65536 registers, 228 KiB shared memory, 64 warps, 32 blocks per SM; registers allocated per warp
in units of 256), and the main loop: the innermost backward branch whose body holds the most FFMAs
(the k-tile loop). In it: FFMA share of all instructions, LDG/LDS/STS by width, integer
instructions (IADD3, IMAD*, ISETP, LEA*, LOP3, SHF, SEL, IABS, PRMT, MOV of integers is left out),
barriers, and whether every LDG precedes the first STS (all global loads of a k-tile in flight
before any shared store). Static figures only: what the compiler emitted, not a speed.
"""
import re
import sys
from collections import Counter

INT_OPS = ("IADD3", "IMAD", "ISETP", "LEA", "LOP3", "SHF", "SEL", "IABS", "IMNMX", "VIADD", "ISCADD", "IADD")


def parse(path):
    kernels, ptx, cur = {}, {}, None
    pending = None
    for line in open(path):
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            pending = m.group(1)
            ptx[pending] = {}
            continue
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and pending:
            ptx[pending]["spill_st"], ptx[pending]["spill_ld"] = int(m.group(1)), int(m.group(2))
        m = re.search(r"Used (\d+) registers", line)
        if m and pending:
            sm = re.search(r"(\d+) bytes smem", line)
            ptx[pending]["regs"], ptx[pending]["smem"] = int(m.group(1)), int(sm.group(1)) if sm else 0
        m = re.match(r"//-+ \.text\.(\w+) -+", line)
        if m:
            cur = m.group(1)
            kernels[cur] = []
            continue
        if cur is None:
            continue
        m = re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
        if m:
            kernels[cur].append((int(m.group(1), 16), m.group(2).strip()))
            continue
        m = re.match(r"\.(L_x_\d+):", line.strip())
        if m:
            kernels[cur].append((None, "LABEL " + m.group(1)))
    return kernels, ptx


def occupancy(regs, smem, threads):
    warps = (threads + 31) // 32
    regs_per_warp = ((regs * 32 + 255) // 256) * 256
    by_regs = 65536 // (regs_per_warp * warps) if regs else 32
    by_smem = (228 * 1024) // (smem + 1024) if smem else 32  # 1 KiB reserved per block on sm_90
    blocks = min(by_regs, by_smem, 64 // warps, 32)
    return blocks, blocks * warps


def main_loop(code):
    labels, addr_of = {}, {}
    last = 0
    for a, ins in code:
        if a is None:
            labels[ins.split()[1]] = last + 16
        else:
            last = a
    instrs = [(a, i) for a, i in code if a is not None]
    best = None
    for a, ins in instrs:
        m = re.search(r"BRA\s+`?\(?\.?(L_x_\d+)", ins)
        if not m:
            continue
        tgt = labels.get(m.group(1))
        if tgt is None or tgt > a:
            continue
        body = [i for b, i in instrs if tgt <= b <= a]
        ffma = sum(1 for i in body if op(i) == "FFMA")
        if best is None or ffma > best[0] or (ffma == best[0] and len(body) < len(best[1])):
            best = (ffma, body)
    return best[1] if best else []


def op(ins):
    ins = re.sub(r"^@!?U?P\w+\s+", "", ins)
    return ins.split()[0] if ins else ""


def mix(body):
    c = Counter()
    widths = Counter()
    first_sts, last_ldg = None, None
    for idx, ins in enumerate(body):
        o = op(ins)
        base = o.split(".")[0]
        c[base] += 1
        if base in ("LDG", "LDS", "STS", "STG"):
            w = "128" if ".128" in o else "64" if ".64" in o else "32"
            widths[base + "." + w] += 1
        if base == "STS" and first_sts is None:
            first_sts = idx
        if base == "LDG":
            last_ldg = idx
    ints = sum(v for k, v in c.items() if k.startswith(INT_OPS))
    total = sum(c.values())
    return c, widths, ints, total, (first_sts is None or last_ldg is None or last_ldg < first_sts)


def main():
    path, wanted = sys.argv[1], sys.argv[2:]
    kernels, ptx = parse(path)
    for name, code in kernels.items():
        if wanted and not any(w in name for w in wanted):
            continue
        p = ptx.get(name, {})
        m = re.search(r"(\d+)x(\d+)", name)
        threads = {"implicit_gemm_128x64": 256, "implicit_gemm_64x32": 128, "igemm_128x128": 256, "igemm_128x64": 128,
                   "igemm_64x64": 64, "winograd": 256, "depthwise": 256}
        t = next((v for k, v in threads.items() if k in name), 256)
        blocks, warps = occupancy(p.get("regs", 0), p.get("smem", 0), t)
        body = main_loop(code)
        c, widths, ints, total, inflight = mix(body)
        print(f"{name}: {p.get('regs')} regs, {p.get('smem')} B smem, spills {p.get('spill_st')}/{p.get('spill_ld')} B, "
              f"{t} threads -> {blocks} blocks = {warps} warps/SM")
        print(f"  main loop: {total} instrs, FFMA {c['FFMA']} ({100.0 * c['FFMA'] / max(1, total):.1f} %), int {ints}, "
              f"LDG {c['LDG']}, LDS {c['LDS']}, STS {c['STS']}, BAR {c['BAR']}, all LDG before first STS: {inflight}")
        print("  widths: " + ", ".join(f"{k} {v}" for k, v in sorted(widths.items())))
        print("  top: " + ", ".join(f"{k} {v}" for k, v in c.most_common(12)))


if __name__ == "__main__":
    main()
