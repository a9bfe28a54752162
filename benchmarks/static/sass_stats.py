#!/usr/bin/env python3
"""Static figures of a kernel's SASS (no GPU): the main loop's instruction mix.

    sass_stats.py FILE.sass [--json]      (FILE.sass: the output of ../shared/tools/sass.sh)

For every function in the listing it finds the loops (a branch back to an earlier label) and takes
as "main loop" the innermost loop with the most FFMA (ties: the shortest). In it, it counts every instruction
(NOPs excepted) by opcode and reports: total, FFMA and its share, global loads (LDG by width), the
global loads issued before the loop's first shared store ("in flight together": nothing forces
one of them to complete before the next is issued), shared loads and stores by width, barriers and
branches. With the ptxas lines sass.sh prints it also gives registers, shared memory and spills.
These are static counts of the code, not measurements of its speed.
"""
import json
import re
import sys
from collections import Counter

FUNC = re.compile(r"^\.text\.(\S+):")
INSN = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s+(.*?);")
LABEL = re.compile(r"^(\.L_x_\d+):")
TARGET = re.compile(r"`\((\.L_x_\d+)\)")
PTXAS_ENTRY = re.compile(r"Compiling entry function '([^']+)'")
PTXAS_SPILL = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
PTXAS_REGS = re.compile(r"Used (\d+) registers.*?(?:(\d+) bytes smem)?(?:,|$)")


def parse(path):
    funcs, ptxas = {}, {}
    cur, name = None, None
    for line in open(path, errors="replace"):
        if line.startswith("// ptxas:"):
            m = PTXAS_ENTRY.search(line)
            if m:
                name = m.group(1)
                ptxas[name] = {"regs": 0, "smem": 0, "stack": 0, "spill_st": 0, "spill_ld": 0}
                continue
            m = PTXAS_SPILL.search(line)
            if m and name:
                ptxas[name].update(stack=int(m.group(1)), spill_st=int(m.group(2)), spill_ld=int(m.group(3)))
                continue
            m = re.search(r"Used (\d+) registers", line)
            if m and name:
                ptxas[name]["regs"] = int(m.group(1))
                s = re.search(r"(\d+) bytes smem", line)
                ptxas[name]["smem"] = int(s.group(1)) if s else 0
            continue
        m = FUNC.match(line)
        if m:
            cur = {"insns": [], "labels": {}}
            funcs[m.group(1)] = cur
            continue
        if cur is None:
            continue
        m = LABEL.match(line)
        if m:
            cur["pending"] = cur.get("pending", []) + [m.group(1)]
            continue
        m = INSN.match(line)
        if m:
            addr = int(m.group(1), 16)
            text = m.group(2).strip()
            for lab in cur.pop("pending", []):
                cur["labels"][lab] = addr
            cur["insns"].append((addr, text))
    return funcs, ptxas


def opcode(text):
    t = re.sub(r"^@!?U?P[T0-9]+\s+", "", text)
    return t.split()[0] if t else ""


def loops(f):
    out = []
    for i, (addr, text) in enumerate(f["insns"]):
        if opcode(text).startswith("BRA"):
            m = TARGET.search(text)
            if m and m.group(1) in f["labels"] and f["labels"][m.group(1)] <= addr:
                out.append((f["labels"][m.group(1)], addr))
    return out


def paths(f, lo, hi, limit=4096):
    """Instruction lists of every path from the loop head lo to its back-edge branch at hi, following
    the forward branches inside (taken and not taken). Lengths in instructions (NOPs excluded)."""
    insns = [(a, t) for a, t in f["insns"] if lo <= a <= hi]
    index = {a: i for i, (a, _) in enumerate(insns)}
    out = []

    def walk(i, acc):
        if len(out) >= limit:
            return
        while i < len(insns):
            a, t = insns[i]
            o = opcode(t)
            if o != "NOP":
                acc = acc + [t]
            if a == hi:
                out.append(acc)
                return
            if o.startswith("BRA") or o.startswith("EXIT") or o.startswith("RET"):
                m = TARGET.search(t)
                tgt = f["labels"].get(m.group(1)) if m else None
                conditional = t.startswith("@")
                if o.startswith("BRA") and tgt is not None and lo <= tgt <= hi and tgt > a:
                    if conditional:
                        walk(index[tgt], acc)
                        i += 1
                        continue
                    i = index[tgt]
                    continue
                if not conditional:
                    return  # leaves the loop
            i += 1

    walk(0, [])
    return out


def fast_path(f, lo, hi):
    """The path through the loop body with the most 128-bit global loads and, among those, the fewest
    instructions: the aligned, in-bounds ("vectorised") path of a loop whose branches choose between
    float4 and scalar loads, or between store layouts. Dynamic programming over the forward branches."""
    insns = [(a, t) for a, t in f["insns"] if lo <= a <= hi]
    index = {a: i for i, (a, _) in enumerate(insns)}
    n = len(insns)
    best = [None] * (n + 1)  # best[i]: (score, list) from i to the back edge

    for i in range(n - 1, -1, -1):
        a, t = insns[i]
        o = opcode(t)
        here = [] if o == "NOP" else [t]
        gain = (1 if (o.startswith("LDG") and ".128" in o) else 0, -len(here))
        succ = []
        if a == hi:
            best[i] = (gain, here)
            continue
        is_branch = o.startswith("BRA")
        m = TARGET.search(t) if is_branch else None
        tgt = f["labels"].get(m.group(1)) if m else None
        conditional = t.startswith("@")
        if is_branch and tgt is not None and lo <= tgt <= hi and tgt > a:
            succ.append(index[tgt])
            if conditional:
                succ.append(i + 1)
        elif o.startswith(("EXIT", "RET")) or (is_branch and not conditional):
            succ = []  # leaves the loop
        else:
            succ.append(i + 1)
        cands = [best[j] for j in succ if j < n and best[j] is not None]
        if not cands:
            best[i] = None
            continue
        sc, lst = max(cands, key=lambda x: x[0])
        best[i] = ((sc[0] + gain[0], sc[1] + gain[1]), here + lst)
    return best[0][1] if best and best[0] else []


def path_figures(p):
    ops = Counter(opcode(t) for t in p)
    n = sum(ops.values())
    return {"insns": n, "ffma": ops.get("FFMA", 0), "ffma_share": round(ops.get("FFMA", 0) / n, 4) if n else 0,
            "lds": sum(v for k, v in ops.items() if k.startswith("LDS")),
            "sts": sum(v for k, v in ops.items() if k.startswith("STS")),
            "ldg": sum(v for k, v in ops.items() if k.startswith("LDG")),
            "other": n - ops.get("FFMA", 0) - sum(v for k, v in ops.items() if k.startswith(("LDS", "STS", "LDG")))}


def stats(f):
    best = None
    ls = loops(f)
    # Innermost loops only (no other loop inside): the grid-stride loop around a whole kernel, or
    # a loop around the main loop, is not the main loop.
    inner = [(lo, hi) for lo, hi in ls if not any((a, b) != (lo, hi) and lo <= a and b <= hi for a, b in ls)]
    for lo, hi in inner:
        body = [t for a, t in f["insns"] if lo <= a <= hi]
        ffma = sum(1 for t in body if opcode(t) == "FFMA")
        key = (ffma, -(hi - lo))
        if best is None or key > best[0]:
            best = (key, lo, hi, body)
    if best is None or best[0][0] == 0:
        return None
    _, lo, hi, body = best
    ops = Counter(opcode(t) for t in body if opcode(t) != "NOP")
    total = sum(ops.values())
    ldg = {k: v for k, v in ops.items() if k.startswith("LDG")}
    lds = {k: v for k, v in ops.items() if k.startswith("LDS")}
    sts = {k: v for k, v in ops.items() if k.startswith("STS")}
    ps = paths(f, lo, hi)
    if len(ps) >= 64:
        ps = []  # too many branches inside (bounds checks per element) for per-path figures to mean much
    figs = sorted((path_figures(p) for p in ps), key=lambda x: x["insns"])
    fp = path_figures(fast_path(f, lo, hi))
    # Loads in flight together: the longest run of 128-bit global loads with no shared store
    # between them (a store of a loaded value must wait for its load; loads with no store in between
    # are all outstanding at once). Scalar fallback loads (tails, misalignment) are not counted.
    run = best_run = 0
    for t in body:
        o = opcode(t)
        if o.startswith("LDG") and ".128" in o:
            run += 1
            best_run = max(best_run, run)
        elif o.startswith("STS"):
            run = 0
    before_sts = 0
    for t in body:
        o = opcode(t)
        if o.startswith("STS"):
            break
        if o.startswith("LDG"):
            before_sts += 1
    return {
        "loop": [hex(lo), hex(hi)],
        "insns": total,
        "ffma": ops.get("FFMA", 0),
        "ffma_share": round(ops.get("FFMA", 0) / total, 4) if total else 0,
        "ldg": ldg,
        "ldg_before_first_sts": before_sts,
        "ldg128_in_flight": best_run,
        "lds": lds,
        "sts": sts,
        "bar": sum(v for k, v in ops.items() if k.startswith("BAR")),
        "branches": sum(v for k, v in ops.items() if k.startswith("BRA")),
        "int": sum(v for k, v in ops.items() if k.split(".")[0] in ("IADD3", "IMAD", "LEA", "LOP3", "SHF", "ISETP", "SEL", "IABS", "IMNMX", "LEA.HI", "IMAD.WIDE", "IMAD.MOV", "MOV", "PRMT", "I2F", "F2I")),
        "mix": dict(ops.most_common()),
        # What one warp executes per trip of the loop, on its shortest and longest path through the
        # branches inside (e.g. the layout-dependent stores): the static body counts both sides.
        # Only for loops with fewer than 64 paths (a main loop whose branches choose a layout).
        "fast_path": fp,
        "paths": len(ps),
        "shortest_path": figs[0] if figs else None,
        "longest_path": figs[-1] if figs else None,
    }


def main():
    path = sys.argv[1]
    funcs, ptxas = parse(path)
    res = {}
    for name, f in funcs.items():
        res[name] = {"ptxas": ptxas.get(name), "code_insns": len(f["insns"]), "main_loop": stats(f)}
    if "--json" in sys.argv:
        json.dump(res, sys.stdout, indent=1, sort_keys=True)
        print()
        return
    for name in sorted(res):
        r = res[name]
        p = r["ptxas"] or {}
        s = r["main_loop"]
        line = f"{name:44s} regs {p.get('regs', '?'):>3} smem {p.get('smem', '?'):>6} spill {p.get('spill_st', '?')}/{p.get('spill_ld', '?')} code {r['code_insns']:6d}"
        if s:
            sp, lp = s["shortest_path"], s["longest_path"]
            line += (f" | loop {s['insns']:5d} insns, FFMA {s['ffma']:5d} ({100 * s['ffma_share']:.1f} %), LDG {s['ldg']}, "
                     f"LDG.128 in flight {s['ldg128_in_flight']}, LDS {s['lds']}, STS {s['sts']}, BAR {s['bar']}")
            fp = s["fast_path"]
            line += f" | fast path {fp['insns']} insns, FFMA {100 * fp['ffma_share']:.1f} %"
            if sp:
                line += (f" | {s['paths']} paths: {sp['insns']}..{lp['insns']} insns executed per trip, "
                         f"FFMA {100 * lp['ffma_share']:.1f}..{100 * sp['ffma_share']:.1f} %")
        print(line)


if __name__ == "__main__":
    main()
