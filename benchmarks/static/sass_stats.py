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
        "lds": lds,
        "sts": sts,
        "bar": sum(v for k, v in ops.items() if k.startswith("BAR")),
        "branches": sum(v for k, v in ops.items() if k.startswith("BRA")),
        "int": sum(v for k, v in ops.items() if k.split(".")[0] in ("IADD3", "IMAD", "LEA", "LOP3", "SHF", "ISETP", "SEL", "IABS", "IMNMX", "LEA.HI", "IMAD.WIDE", "IMAD.MOV", "MOV", "PRMT", "I2F", "F2I")),
        "mix": dict(ops.most_common()),
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
            line += (f" | loop {s['insns']:5d} insns, FFMA {s['ffma']:5d} ({100 * s['ffma_share']:.1f} %), LDG {s['ldg']}, "
                     f"LDG before 1st STS {s['ldg_before_first_sts']}, LDS {s['lds']}, STS {s['sts']}, BAR {s['bar']}")
        print(line)


if __name__ == "__main__":
    main()
