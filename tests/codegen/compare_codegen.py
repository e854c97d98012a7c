#!/usr/bin/env python3
"""Compiles instrumented.cpp and plain.cpp with -O2 -DTACIT_DISABLE and fails if their machine
code differs in any way: every function in either object (static initialisers included) must
exist in both with the same instructions, once addresses and symbol offsets are normalised.

    compare_codegen.py --cxx g++ --objdump objdump -I include instrumented.cpp plain.cpp
"""
import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile

FUNC = re.compile(r"^[0-9a-f]+ <(.+)>:$")
INSN = re.compile(r"^\s*[0-9a-f]+:\s+(.*)$")
ADDR_SYM = re.compile(r"\b[0-9a-f]+ <([^>+]+)(\+0x[0-9a-f]+)?>")
HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{4,}\b")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if p.returncode != 0:
        print(f"FAIL: {shlex.join(cmd)}\n{p.stdout.decode(errors='replace')}")
        sys.exit(1)
    return p.stdout.decode(errors="replace")


EQ_CMP = re.compile(r"^(cmp[a-z]?) ([^,]+),([^,]+)$")


def canonical_equality_compares(insns):
    """`cmp a,b` followed by je/jne tests equality, which is symmetric: g++ 12 picks the operand
    order from register allocation, and a call like span.set<attempts>(i) (an argument bound to
    a reference, in the disabled build a no-op) can flip it without adding or changing any
    instruction. Only this case is normalised; --strict turns it off."""
    out = list(insns)
    for i in range(len(out) - 1):
        m = EQ_CMP.match(out[i])
        if m and out[i + 1].split(" ")[0] in ("je", "jne"):
            a, b = sorted((m.group(2), m.group(3)))
            out[i] = f"{m.group(1)} {a},{b}"
    return out


def functions(objdump, obj):
    """{function name: [normalised instructions]} for every code section."""
    out, name = {}, None
    for line in run(objdump + ["-d", "--no-show-raw-insn", "-C", obj]).splitlines():
        m = FUNC.match(line)
        if m:
            name = m.group(1)
            out[name] = []
            continue
        m = INSN.match(line)
        if m and name is not None:
            insn = re.sub(r"\s+", " ", m.group(1).split("#")[0].strip())
            insn = ADDR_SYM.sub(lambda s: f"<{s.group(1)}>", insn)
            insn = HEX.sub("ADDR", insn) if insn.startswith(("call", "jmp", "j", "b", "lea")) else insn
            if insn:
                out[name].append(insn)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("-I", dest="includes", action="append", default=[])
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--strict", action="store_true", help="do not normalise equality compares' operand order")
    ap.add_argument("--enabled-must-differ", action="store_true",
                    help="self-check: compile WITHOUT TACIT_DISABLE and pass only if the code differs "
                         "(proves the comparison can fail)")
    ap.add_argument("instrumented")
    ap.add_argument("plain")
    args = ap.parse_args(argv)

    mode = [] if args.enabled_must_differ else ["-DTACIT_DISABLE"]
    base = shlex.split(args.cxx) + ["-std=c++20", args.opt, "-DNDEBUG", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                                    "-fno-asynchronous-unwind-tables"] + mode
    base += [f"-I{d}" for d in args.includes]
    with tempfile.TemporaryDirectory() as tmp:
        objs = {}
        for label, src in (("instrumented", args.instrumented), ("plain", args.plain)):
            obj = os.path.join(tmp, label + ".o")
            run(base + ["-c", src, "-o", obj])
            objs[label] = functions(shlex.split(args.objdump), obj)
    a, b = objs["instrumented"], objs["plain"]
    if not args.strict:
        a = {k: canonical_equality_compares(v) for k, v in a.items()}
        b = {k: canonical_equality_compares(v) for k, v in b.items()}
    if not b:
        print("FAIL: no functions found in plain.cpp's object; is objdump working?")
        return 1
    if args.enabled_must_differ:
        if a == b:
            print("FAIL: the enabled build's code is identical to the plain one: the comparison cannot fail")
            return 1
        extra = sum(len(v) for v in a.values()) - sum(len(v) for v in b.values())
        print(f"ok: enabled, the instrumented code differs from the plain one ({extra:+d} instructions), "
              "so the comparison can fail")
        return 0
    bad = False
    for name in sorted(set(a) | set(b)):
        if name not in b:
            print(f"FAIL: the instrumented build emits a function the plain one does not: {name}\n  "
                  + "\n  ".join(a[name][:20]))
            bad = True
        elif name not in a:
            print(f"FAIL: the plain build emits a function the instrumented one does not: {name}")
            bad = True
        elif a[name] != b[name]:
            print(f"FAIL: {name} differs (instrumented vs plain):")
            for line in difflib.unified_diff(a[name], b[name], "instrumented", "plain", lineterm="", n=2):
                print("  " + line)
            bad = True
    if bad:
        return 1
    total = sum(len(v) for v in b.values())
    print(f"ok: compiled out, {len(b)} functions ({total} instructions) are identical: " + ", ".join(sorted(b)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
