#!/usr/bin/env python3
"""End-to-end test of tacit's Prometheus exporter against a real Prometheus.

  prom_e2e.py --serve PROM_SERVE --prometheus prometheus --promtool promtool --dashboard tacit.json

1. starts PROM_SERVE (records known spans through a pipeline, serves /metrics on 127.0.0.1);
2. `promtool check metrics` must accept its exposition and its textfile;
3. starts its own Prometheus on a free loopback port with a temporary storage path,
   scraping every second, and waits until a scrape happened;
4. asserts that what Prometheus stored equals what tacit counted (and recorded): up == 1, tool
   usage and error counts, tokens, escaped label values, a histogram_quantile within its bucket;
5. runs every `expr` of the Grafana dashboard: none may fail, and every metric name it names
   must be one tacit emits.
Everything is bounded in time, and both processes are killed on every path out.
Fails (exit 1) if Prometheus or promtool is missing.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DEADLINE_S = 90


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


def parse_exposition(text):
    """{(name, frozenset(labels.items())): float} and the set of family names from # TYPE."""
    samples, families = {}, set()
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            fail(f"unparsable exposition line: {line!r}")
        labels = {}
        for k, v in label_re.findall(m.group(3) or ""):
            labels[k] = v.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") \
                if "\\" in v else v
        samples[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return samples, families


def sample(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in samples:
        fail(f"tacit's exposition lacks {name}{labels}")
    return samples[key]


class Prom:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def query(self, q):
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            body = json.loads(http_get(url))
        except urllib.error.HTTPError as e:  # 4xx/5xx: a JSON error body, or "not ready yet" text
            text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                raise RuntimeError(f"query {q!r}: HTTP {e.code}: {text[:200]}")
        if body.get("status") != "success":
            raise RuntimeError(f"query {q!r} failed: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def scalar(self, q):
        res = self.query(q)["result"]
        if len(res) != 1:
            fail(f"query {q!r} returned {len(res)} series, expected 1: {res}")
        return float(res[0]["value"][1])


def stop(proc, name):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print(f"{name} ignored SIGTERM; killing it", flush=True)
        proc.kill()
        proc.wait(timeout=10)


def promtool_check(promtool, text, what):
    p = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        fail(f"promtool check metrics rejected the {what} (rc={p.returncode}):\n{out}")
    print(f"ok promtool check metrics accepts the {what}{(': ' + out.strip()) if out.strip() else ''}")


PROMQL_WORDS = {
    "sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "group",
    "count_values", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile",
    "clamp_min", "clamp_max", "clamp", "abs", "ceil", "floor", "round", "vector", "scalar", "time",
    "absent", "label_replace", "label_join", "sort", "sort_desc", "changes", "resets",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time",
    "last_over_time", "inf", "nan",
}


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (inside {} or by/without lists), strings or durations."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    e = re.sub(r'\{[^}]*\}', '', e)                        # label matchers
    e = re.sub(r'\[[^\]]*\]', '', e)                       # ranges
    e = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)', '', e)
    names = set()
    for m in re.finditer(r'[a-zA-Z_:][a-zA-Z0-9_:]*', e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word.lower() in PROMQL_WORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def dashboard_exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from dashboard_exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from dashboard_exprs(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--promtool", required=True)
    ap.add_argument("--dashboard", required=True)
    ap.add_argument("--compiled-out", action="store_true",
                    help="tacit was built with TACIT_DISABLE: no span may be counted, all else holds")
    args = ap.parse_args()
    for tool in (args.prometheus, args.promtool):
        if shutil.which(tool) is None:
            fail(f"{tool} not found: apt-get install -y --no-install-recommends prometheus")

    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="tacit_prom_e2e_")
    serve = prom = None
    try:
        textfile = os.path.join(tmp, "tacit.prom")
        serve = subprocess.Popen([args.serve, "--port", "0", "--linger", str(DEADLINE_S), "--textfile", textfile],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port, expect = None, None
        while True:
            line = serve.stdout.readline()
            if not line:
                fail(f"prom_serve exited early (rc={serve.poll()})")
            line = line.strip()
            if line.startswith("PORT "):
                port = int(line.split()[1])
            elif line.startswith("EXPECT "):
                expect = json.loads(line[len("EXPECT "):])
            elif line == "READY":
                break
        if not port or port <= 0 or expect is None:
            fail(f"prom_serve did not report a port and its plan (port={port})")

        text = http_get(f"http://127.0.0.1:{port}/metrics")
        promtool_check(args.promtool, text, "/metrics exposition")
        samples, families = parse_exposition(text)
        if not os.path.exists(textfile):
            fail("the textfile was not written at flush")
        with open(textfile, encoding="utf-8") as f:
            promtool_check(args.promtool, f.read(), "textfile")

        # What tacit counted must be what prom_serve recorded.
        checks = [
            (("tacit_tool_usages_total", {"tool": "web_search"}), expect["web_search"]),
            (("tacit_tool_usages_total", {"tool": "calculator"}), expect["calculator"]),
            (("tacit_tool_errors_total", {"tool": "web_search", "error_type": "timeout"}), expect["web_search_timeout"]),
            (("tacit_tool_errors_total", {"tool": "calculator", "error_type": "bad_input"}), expect["calculator_bad_input"]),
            (("tacit_tool_repeated_usages_total", {"tool": "web_search"}), expect["repeated_web_search"]),
            (("tacit_gen_ai_tokens_total", {"span": "llm_call", "type": "input"}), expect["input_tokens"]),
            (("tacit_gen_ai_tokens_total", {"span": "llm_call", "type": "output"}), expect["output_tokens"]),
            (("tacit_spans_total", {"span": "task_execution", "status": "unset"}), expect["tasks"]),
            (("tacit_spans_total", {"span": "crew_execution", "status": "ok"}), expect["crews"]),
            (("tacit_spans_recorded_total", {}), expect["spans"]),
            (("demo_orders_total", {"region": "eu"}), expect["orders_eu"]),
        ]
        if args.compiled_out:
            counted = [k for k in samples if k[0] in ("tacit_tool_usages_total", "tacit_spans_total", "demo_orders_total")]
            if counted:
                fail(f"compiled out, yet tacit counted spans: {counted}")
            checks = []
            print("ok compiled out: no span or user metric was counted")
        for (name, labels), want in checks:
            got = sample(samples, name, **labels)
            if got != want:
                fail(f"tacit exposes {name}{labels} = {got}, but prom_serve recorded {want}")
        print(f"ok tacit's exposition matches the {len(checks)} recorded counts")

        # Our own Prometheus, on a free loopback port, with its own storage.
        pport = free_port()
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: tacit\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{port}']\n")
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen([args.prometheus, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{pport}",
                                 f"--storage.tsdb.path={os.path.join(tmp, 'data')}"],
                                stdout=log, stderr=subprocess.STDOUT)
        p = Prom(pport)
        scraped = False
        while time.monotonic() - start < DEADLINE_S - 20:
            if prom.poll() is not None:
                log.flush()
                fail(f"prometheus exited (rc={prom.returncode}):\n" + open(log.name).read()[-3000:])
            try:
                res = p.query('up{job="tacit"}')["result"]
                # Two scrapes, so rate() over the dashboard's window has two points.
                cnt = p.query('count_over_time(up{job="tacit"}[1m])')["result"]
                if res and res[0]["value"][1] == "1" and cnt and float(cnt[0]["value"][1]) >= 3:
                    scraped = True
                    break
            except (OSError, RuntimeError):
                pass
            time.sleep(0.5)
        if not scraped:
            fail("Prometheus did not scrape tacit in time:\n" + open(log.name).read()[-3000:])
        print(f"ok Prometheus scraped tacit after {time.monotonic() - start:.1f} s")

        if p.scalar('up{job="tacit"}') != 1:
            fail("up != 1")
        for (name, labels), want in checks:
            sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
            got = p.scalar(f"{name}{{{sel}}}")
            if got != want:
                fail(f"Prometheus stored {name}{{{sel}}} = {got}, tacit counted {want}")
        print(f"ok Prometheus stored the {len(checks)} counts tacit counted")

        if not args.compiled_out:
            check_values(p, samples)
        check_dashboard(p, args.dashboard, families)
        # Prove the name check can fail.
        if metric_names('sum(rate(tacit_spans_totl{span="x"}[1m])) by (span)') - emitted_names(families) \
                != {"tacit_spans_totl"}:
            fail("the dashboard metric-name check does not catch a misspelt name")
    finally:
        if serve is not None:
            try:
                serve.stdin.close()
            except OSError:
                pass
            try:
                serve.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        stop(serve, "prom_serve")
        stop(prom, "prometheus")
        shutil.rmtree(tmp, ignore_errors=True)
    if serve.returncode != 0:
        fail(f"prom_serve exited with {serve.returncode}")
    print(f"PASS in {time.monotonic() - start:.1f} s")
    return 0


def emitted_names(families):
    emitted = set()
    for fam in families:
        emitted |= {fam, fam + "_bucket", fam + "_sum", fam + "_count"}
    return emitted


def check_values(p, samples):
    # Escaped label values arrive as the original strings (invalid UTF-8 as U+FFFD).
    stored = {r["metric"].get("region"): float(r["value"][1]) for r in p.query("demo_orders_total")["result"]}
    want_regions = {"eu": 3.0, 'say "hi"\nback\\slash': 2.0, "bad \ufffd utf8": 1.0}
    if stored != want_regions:
        fail(f"label values did not survive escaping: {stored!r} != {want_regions!r}")
    print("ok label values with quotes, newlines, backslashes and invalid UTF-8 round-trip")

    # histogram_quantile lands inside the bucket that holds the quantile's rank.
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in samples.items()
                     if k[0] == "tacit_span_duration_seconds_bucket" and dict(k[1]).get("span") == "tool_usage")
    total = buckets[-1][1]
    for q in (0.5, 0.9):
        rank = q * total
        lower = 0.0
        for le, c in buckets:
            if c >= rank:
                upper = le
                break
            lower = le
        got = p.scalar(f'histogram_quantile({q}, sum by (le) (tacit_span_duration_seconds_bucket{{span="tool_usage"}}))')
        if not (lower <= got <= upper):
            fail(f"histogram_quantile({q}) = {got}, outside its bucket [{lower}, {upper}]")
        print(f"ok histogram_quantile({q}) = {got:.4f} s lies in bucket [{lower}, {upper}]")


def check_dashboard(p, dashboard, families):
    # Every dashboard expression runs, and names only metrics tacit emits.
    emitted = emitted_names(families)
    with open(dashboard, encoding="utf-8") as f:
        dash = json.load(f)
    if dash.get("uid") != "tacit-overview" or not dash.get("title"):
        fail("the dashboard needs a uid and a title")
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource" and v.get("query") == "prometheus"
               for v in dash.get("templating", {}).get("list", [])):
        fail("the dashboard lacks a ${datasource} variable of type datasource/prometheus")
    exprs = list(dashboard_exprs(dash))
    if len(exprs) < 10:
        fail(f"only {len(exprs)} expressions found in the dashboard")
    nonempty = 0
    for expr in exprs:
        q = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "5m")
        try:
            data = p.query(q)
        except RuntimeError as e:
            fail(f"dashboard expression fails: {e}")
        names = metric_names(expr)
        if not names:
            fail(f"no metric name found in dashboard expression {expr!r}")
        unknown = names - emitted
        if unknown:
            fail(f"dashboard expression {expr!r} names metrics tacit does not emit: {sorted(unknown)}")
        nonempty += bool(data["result"])
    print(f"ok all {len(exprs)} dashboard expressions run ({nonempty} return data) and name only tacit metrics")


if __name__ == "__main__":
    sys.exit(main())
