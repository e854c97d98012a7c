#!/usr/bin/env python3
"""Proves a public header is self-contained: a translation unit that includes only it (twice,
so #pragma once is exercised too) must compile with warnings as errors.

    check_header.py --cxx g++ -I include tacit/span.hpp        compile one header
    check_header.py --list include                            list headers and what they need

--list prints one line per header under include/tacit: its include path, a space, and the
optional libraries it needs (comma-separated: curl, zlib, httplib, nlohmann_json) or '-'.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

NEEDS = [
    (re.compile(r"#\s*include\s*<curl/"), "curl"),
    (re.compile(r"#\s*include\s*<zlib\.h>"), "zlib"),
    (re.compile(r"#\s*include\s*<httplib\.h>"), "httplib"),
    (re.compile(r"#\s*include\s*<nlohmann/"), "nlohmann_json"),
]
QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def needs_of(path, seen=None):
    """The optional libraries a header needs, following its quoted includes."""
    seen = set() if seen is None else seen
    path = os.path.normpath(path)
    if path in seen or not os.path.isfile(path):
        return set()
    seen.add(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {name for rx, name in NEEDS if rx.search(text)}
    for inc in QUOTED.findall(text):
        out |= needs_of(os.path.join(os.path.dirname(path), inc), seen)
    return out


def list_headers(include_dir):
    for dirpath, _, files in sorted(os.walk(os.path.join(include_dir, "tacit"))):
        for name in sorted(files):
            if name.endswith(".hpp"):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, include_dir).replace(os.sep, "/")
                print(rel, ",".join(sorted(needs_of(full))) or "-")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", metavar="INCLUDE_DIR")
    ap.add_argument("--cxx")
    ap.add_argument("-I", dest="includes", action="append", default=[])
    ap.add_argument("-D", dest="defines", action="append", default=[])
    ap.add_argument("header", nargs="?")
    args = ap.parse_args(argv)
    if args.list:
        list_headers(args.list)
        return 0
    if not args.cxx or not args.header:
        ap.error("--cxx and a header are required")
    tu = f"#include <{args.header}>\n#include <{args.header}>\nint main() {{ return 0; }}\n"
    cmd = shlex.split(args.cxx) + ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    cmd += [f"-I{d}" for d in args.includes] + [f"-D{d}" for d in args.defines] + ["-x", "c++", "-"]
    p = subprocess.run(cmd, input=tu.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if p.returncode != 0:
        print(f"FAIL {args.header} does not compile on its own:\n  {shlex.join(cmd)}\n{p.stdout.decode(errors='replace')}")
        return 1
    print(f"ok {args.header} compiles on its own")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
