#!/usr/bin/env python3
"""tacit-report on a 1 M-span trace: wall time (target < 10 s) and peak memory (bounded)."""
import argparse, os, resource, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--report", required=True)
ap.add_argument("--gen", required=True)
ap.add_argument("--runs", type=int, default=62500)  # ~16 spans per crew run -> ~1 M spans
args = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="tacit-report-perf-")
trace = os.path.join(tmp, "big.jsonl")
try:
    g = subprocess.run([args.gen, trace, str(args.runs), "anomalies"], check=True, capture_output=True, text=True)
    spans = int(g.stdout.split()[0])
    size = os.path.getsize(trace)
    t0 = time.monotonic()
    r = subprocess.run([args.report, trace, "-o", os.path.join(tmp, "big.html")], capture_output=True, text=True)
    wall = time.monotonic() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("tacit-report: %d spans (%.0f MB) in %.2f s = %.0f spans/s; peak RSS of any child %.1f MB"
          % (spans, size / 1e6, wall, spans / wall, rss_mb))
    ok = r.returncode == 0 and spans >= 1_000_000 and wall < 10.0 and rss_mb < 256
    if not ok:
        print("FAIL: exit %d, %s" % (r.returncode, r.stderr), file=sys.stderr)
    sys.exit(0 if ok else 1)
finally:
    for f in os.listdir(tmp):
        os.remove(os.path.join(tmp, f))
    os.rmdir(tmp)
