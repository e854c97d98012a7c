#!/usr/bin/env python3
"""The compile-fail checker must be able to fail: a case that compiles, a twin that does not,
and a rejection for another reason than the expected one are each reported as FAIL."""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
checker = os.path.join(here, "..", "..", "tools", "check_compile_fail.py")
cxx = sys.argv[1] if len(sys.argv) > 1 else "g++"

scenarios = [
    ("selftest/compiles_both_ways.cpp", "is a secret", "expected a compile error, but it compiled"),
    ("selftest/broken_twin.cpp", "is a secret", "the twin built with -DTACIT_EXPECT_OK must compile"),
    ("secret_attribute_on_span.cpp", "does not opt in to content", "not for the expected reason"),
]
bad = 0
for src, regex, want in scenarios:
    p = subprocess.run([sys.executable, checker, "--cxx", cxx, "--expect", regex, os.path.join(here, src)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode(errors="replace")
    if p.returncode == 1 and want in out:
        print(f"ok {src}: the checker failed it ({want})")
    else:
        print(f"FAIL {src}: expected exit 1 with '{want}', got exit {p.returncode}:\n{out}")
        bad += 1
sys.exit(1 if bad else 0)
