#!/usr/bin/env python3
"""Checks that a compile-error case is rejected, and rejected for the right reason.

    tools/check_compile_fail.py --cxx clang++ --expect 'is a secret' --expect 'api_key' \\
        tests/compile_fail/secret_attribute_on_span.cpp

The source is compiled twice with `-std=c++20 -fsyntax-only -I include`:
  1. with -DTACIT_EXPECT_OK: the twin, which must compile (so a typo, a missing include or a
     renamed API cannot pass as "rejected");
  2. without it: which must fail, and whose diagnostics must match every --expect regex
     (Python syntax, searched across the whole compiler output).
It passes only if all three hold. Extra -D/-I/-std flags are passed through (e.g. -DTACIT_DISABLE
to check that the compiled-out build rejects the same code).

With --pch-dir DIR, <tacit/span.hpp> (which every case includes, through common.hpp) is
precompiled once per compiler, flags and contents of the include directories (so it is never
stale), kept in DIR and shared by the cases: each compile then parses only the case, about a
fifth of the time. If it cannot be precompiled, the cases are compiled from source as before.
"""
import argparse
import fcntl
import hashlib
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_S = 120


def compile_once(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    except FileNotFoundError:
        print(f"check_compile_fail.py: error: compiler not found: {cmd[0]}", file=sys.stderr)
        sys.exit(2)
    except subprocess.TimeoutExpired:
        print(f"check_compile_fail.py: error: compiler ran past {TIMEOUT_S} s: {shlex.join(cmd)}", file=sys.stderr)
        sys.exit(2)
    return p.returncode, p.stdout.decode("utf-8", errors="replace")


def precompiled(base, includes, pch_dir):
    """Flags that make a compile use a precompiled <tacit/span.hpp> for these flags, built into
    pch_dir on first use (under a lock, so cases run in parallel build it once); [] if it
    cannot be built."""
    key = hashlib.sha256(shlex.join(base).encode())
    for d in includes:
        for root, dirs, files in os.walk(d):
            dirs.sort()
            for f in sorted(files):
                path = os.path.join(root, f)
                key.update(path.encode())
                with open(path, "rb") as fh:
                    key.update(fh.read())
    version = compile_once(base[:1] + ["--version"])[1]
    clang = "clang" in version
    where = os.path.join(pch_dir, key.hexdigest()[:16])
    header = os.path.join(where, "tacit_pch.hpp")
    pch = header + (".pch" if clang else ".gch")
    use = ["-include-pch", pch] if clang else ["-include", header]
    if os.path.isfile(pch):
        return use
    os.makedirs(where, exist_ok=True)
    with open(os.path.join(where, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(pch):
            with open(header, "w") as fh:
                fh.write("#include <tacit/span.hpp>\n")
            flags = [f for f in base if f != "-fsyntax-only"]
            rc, out = compile_once(flags + ["-x", "c++-header", header, "-o", pch + ".tmp"])
            if rc != 0:
                print(f"check_compile_fail.py: note: could not precompile <tacit/span.hpp>; compiling from source\n{out}")
                return []
            os.replace(pch + ".tmp", pch)
    return use


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", required=True, help="the C++ compiler to run (g++, clang++, or a path)")
    ap.add_argument("--expect", action="append", required=True, metavar="REGEX",
                    help="must match the failing compile's diagnostics; may be repeated (all must match)")
    ap.add_argument("-D", dest="defines", action="append", default=[], metavar="MACRO", help="passed to both compiles")
    ap.add_argument("-I", dest="includes", action="append", default=[], metavar="DIR",
                    help="include directory (default: the repository's include/)")
    ap.add_argument("--std", default="c++20")
    ap.add_argument("--pch-dir", metavar="DIR", help="precompile <tacit/span.hpp> into DIR, shared by the cases")
    ap.add_argument("-v", "--verbose", action="store_true", help="print both compilers' output")
    ap.add_argument("source")
    args = ap.parse_args(argv)

    try:
        patterns = [re.compile(e, re.S) for e in args.expect]
    except re.error as e:
        print(f"check_compile_fail.py: error: bad --expect regex: {e}", file=sys.stderr)
        return 2
    if not os.path.isfile(args.source):
        print(f"check_compile_fail.py: error: no such source: {args.source}", file=sys.stderr)
        return 2

    includes = args.includes or [os.path.join(ROOT, "include")]
    base = shlex.split(args.cxx) + [f"-std={args.std}", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    base += [f"-I{d}" for d in includes] + [f"-D{d}" for d in args.defines]
    name = os.path.basename(args.source)
    if args.pch_dir:
        base += precompiled(base, includes, args.pch_dir)

    ok_cmd = base + ["-DTACIT_EXPECT_OK", args.source]
    rc, out = compile_once(ok_cmd)
    if args.verbose:
        print(f"== twin (-DTACIT_EXPECT_OK): rc={rc}\n{out}")
    if rc != 0:
        print(f"FAIL {name}: the twin built with -DTACIT_EXPECT_OK must compile, but it did not.\n"
              f"  command: {shlex.join(ok_cmd)}\n{out}")
        return 1

    bad_cmd = base + [args.source]
    rc, out = compile_once(bad_cmd)
    if args.verbose:
        print(f"== case: rc={rc}\n{out}")
    if rc == 0:
        print(f"FAIL {name}: expected a compile error, but it compiled.\n  command: {shlex.join(bad_cmd)}")
        return 1
    missing = [p.pattern for p in patterns if not p.search(out)]
    if missing:
        print(f"FAIL {name}: it was rejected, but not for the expected reason; no match for "
              + ", ".join(repr(m) for m in missing) + f"\n  command: {shlex.join(bad_cmd)}\n{out}")
        return 1
    print(f"ok {name}: twin compiles; case rejected with " + ", ".join(repr(p.pattern) for p in patterns))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
