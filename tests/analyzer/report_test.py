#!/usr/bin/env python3
"""tacit-report end to end: generate traces, write the page, render it in headless Chromium,
check the DOM against the analyzer's JSON and check the screenshot is a real picture.
Needs Debian's chromium and python3 only; fails (never skips) when Chromium is missing."""
import argparse, html.parser, json, os, re, shutil, struct, subprocess, sys, tempfile, zlib

failures = []
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("FAIL: headless Chromium not found (Debian: apt-get install -y --no-install-recommends chromium)")


def chromium(binary, tmp, url, *extra):
    profile = tempfile.mkdtemp(dir=tmp, prefix="profile-")
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--user-data-dir=" + profile, *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


class dom(html.parser.HTMLParser):
    """Collects elements (tag, attrs) and the text under ids we care about."""

    def __init__(self):
        super().__init__()
        self.elements, self.stack, self.text, self.script = [], [], {}, None
        self.li_text, self.in_li = [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a, list(self.stack)))
        if tag not in VOID:
            self.stack.append((tag, a.get("id"), a.get("class")))
        if tag == "script" and a.get("id") == "tacit-analysis":
            self.script = ""
        if tag == "li":
            self.in_li = True
            self.li_text.append("")

    def handle_endtag(self, tag):
        if not any(t[0] == tag for t in self.stack):
            return
        while self.stack:
            t = self.stack.pop()
            if t[0] == tag:
                break
        if tag == "li":
            self.in_li = False

    def handle_data(self, data):
        if self.script is not None and self.stack and self.stack[-1][1] == "tacit-analysis":
            self.script += data
        if self.in_li:
            self.li_text[-1] += data
        for t in self.stack:
            if t[1]:
                self.text[t[1]] = self.text.get(t[1], "") + data

    def find(self, tag=None, cls=None, inside=None):
        out = []
        for t, a, parents in self.elements:
            if tag and t != tag:
                continue
            if cls and cls not in (a.get("class") or "").split():
                continue
            if inside and not any(p[1] == inside for p in parents):
                continue
            out.append(a)
        return out


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG with zlib; returns (w, h, channels, rows)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG layout"
            ch = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(ch, stride):
                line[i] = (line[i] + line[i - ch]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - ch] if i >= ch else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - ch] if i >= ch else 0
                b = prev[i]
                c = prev[i - ch] if i >= ch else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows


def run_report(args, trace, out_html, out_json):
    r = subprocess.run([args.report, trace, "-o", out_html, "--json", out_json, "--text"],
                       capture_output=True, text=True, timeout=120)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--gen", required=True)
    args = ap.parse_args()
    binary = chromium_binary()
    tmp = tempfile.mkdtemp(prefix="tacit-report-test-")
    try:
        # ---- a trace with every anomaly ----
        trace = os.path.join(tmp, "anomalies.jsonl")
        subprocess.run([args.gen, trace, "30", "anomalies"], check=True, capture_output=True, timeout=60)
        page, js = os.path.join(tmp, "anomalies.html"), os.path.join(tmp, "anomalies.json")
        r = run_report(args, trace, page, js)
        check(r.returncode == 0, "tacit-report exit status %d: %s" % (r.returncode, r.stderr))
        analysis = json.load(open(js))
        source = open(page, encoding="utf-8").read()
        # Self-contained: nothing is fetched from anywhere.
        for pat in (r"https?://", r"<link\b", r"<script\b[^>]*\bsrc=", r"@import", r"url\(", r"<img\b", r"@font-face"):
            check(not re.search(pat, source), "page refers to something outside itself: " + pat)
        check(re.search(r"<script\b(?![^>]*application/json)", source) is None, "page has executable script")

        out = chromium(binary, tmp, "file://" + page, "--dump-dom", "--window-size=1280,2000")
        check(out.returncode == 0, "chromium --dump-dom failed: " + out.stderr[-500:])
        d = dom()
        d.feed(out.stdout)
        embedded = json.loads(d.script or "{}")
        check(embedded == analysis, "embedded analysis differs from --json output")

        # Timeline: one bar per row, some bars red, nested names present.
        tl = d.find("svg")
        tl = [a for a in tl if a.get("id") == "timeline"]
        check(len(tl) == 1, "no timeline svg")
        bars = d.find("rect", "span", inside="timeline")
        check(len(bars) >= 10 and str(len(bars)) == tl[0].get("data-rows"), "timeline bars %d vs rows %s" % (len(bars), tl and tl[0].get("data-rows")))
        names = {b.get("data-name") for b in bars}
        check({"crew_execution", "task_execution", "tool_usage"} <= names, "timeline lacks kinds: %s" % names)
        check(any("error" in (b.get("class") or "") and b.get("fill") == "#dc2626" for b in bars), "no red error bar")

        # Latency distributions: one group per kind/tool, quantiles equal to the analyzer's.
        for sid, key in (("latency-kinds", "kinds"), ("latency-tools", "tools")):
            groups = {g["data-name"]: g for g in d.find("g", "dist", inside=sid)}
            check(set(groups) == {k["name"] for k in analysis[key]}, sid + " rows differ from analysis")
            for k in analysis[key]:
                g = groups.get(k["name"])
                if not g:
                    continue
                check(int(g["data-count"]) == k["count"], "%s count" % k["name"])
                for q in ("p50_ns", "p90_ns", "p99_ns", "max_ns"):
                    check(abs(float(g["data-" + q.replace("_", "-")]) - k[q]) <= 0.5, "%s %s" % (k["name"], q))
            check(len(d.find("rect", inside=sid)) > 10, sid + " has no histogram bars")

        # Error rates per tool match.
        rates = {g["data-name"]: g for g in d.find("g", "erate", inside="error-rates")}
        check(set(rates) == {t["name"] for t in analysis["tools"]}, "error-rate rows differ")
        for t in analysis["tools"]:
            g = rates.get(t["name"])
            if g:
                check(int(g["data-errors"]) == t["errors"] and int(g["data-calls"]) == t["count"], "error counts of " + t["name"])
                check(abs(float(g["data-rate"]) - t["error_rate"]) < 1e-6, "error rate of " + t["name"])
        ws = next((t for t in analysis["tools"] if t["name"] == "web_search"), None)
        check(ws is not None and ws["error_rate"] > 0.1, "web_search failure rate not reflected")

        # Findings: same count, same order, same sentences.
        items = d.find("li", inside="findings")
        check(len(items) == len(analysis["findings"]) and len(items) >= 7, "findings %d vs %d" % (len(items), len(analysis["findings"])))
        check([i.get("data-kind") for i in items] == [f["kind"] for f in analysis["findings"]], "finding order differs")
        for text, f in zip(d.li_text, analysis["findings"]):
            check(f["message"].replace("`", "") in text, "finding text missing: " + f["message"])
        kinds = {f["kind"] for f in analysis["findings"]}
        for k in ("dropped_spans", "unfinished_spans", "error_burst", "error_rate", "repeated_tool_calls", "slow_crew", "latency_spike"):
            check(k in kinds, "finding kind missing: " + k)

        # Summary cards show the analyzer's totals.
        check(d.text.get("card-spans", "").startswith("{:,}".format(analysis["spans"])), "spans card: " + d.text.get("card-spans", ""))
        check(d.text.get("card-dropped", "").startswith(str(analysis["pipeline"]["dropped_ring_full"] + analysis["pipeline"]["dropped_shutdown"])), "dropped card")
        thr = [a for a in d.find("svg") if a.get("id") == "throughput"]
        check(len(thr) == 1 and int(thr[0]["data-windows"]) == len(analysis["throughput"]["spans"]), "throughput chart")

        # Screenshot: a real, colourful picture with red error marks in it.
        shot = os.path.join(tmp, "shot.png")
        out = chromium(binary, tmp, "file://" + page, "--screenshot=" + shot, "--window-size=1280,2000", "--hide-scrollbars")
        check(out.returncode == 0 and os.path.exists(shot), "screenshot failed: " + out.stderr[-500:])
        if os.path.exists(shot):
            w, h, ch, rows = png_pixels(shot)
            check((w, h) == (1280, 2000), "screenshot size %dx%d" % (w, h))
            colours, non_bg, red = set(), 0, 0
            for y in range(0, h, 2):
                row = rows[y]
                for x in range(0, w * ch, ch * 2):
                    px = row[x:x + 3]
                    colours.add(px)
                    if px not in (b"\xf8\xfa\xfc", b"\xff\xff\xff"):
                        non_bg += 1
                    if px[0] > 200 and px[1] < 60 and px[2] < 60:
                        red += 1
            total = (h // 2) * (w // 2)
            print("screenshot: %d colours, %.1f %% non-background, %d red samples" % (len(colours), 100.0 * non_bg / total, red))
            check(len(colours) > 50, "screenshot has only %d colours" % len(colours))
            check(non_bg > total * 0.03, "screenshot is nearly blank")
            check(red > 20, "no red error marks visible")
            if os.environ.get("TACIT_REPORT_KEEP"):
                shutil.copy(shot, os.environ["TACIT_REPORT_KEEP"])

        # ---- a clean trace: no findings, and the page says so ----
        clean = os.path.join(tmp, "clean.jsonl")
        subprocess.run([args.gen, clean, "20", "clean"], check=True, capture_output=True, timeout=60)
        r = run_report(args, clean, os.path.join(tmp, "clean.html"), os.path.join(tmp, "clean.json"))
        check(r.returncode == 0, "clean report failed")
        check(json.load(open(os.path.join(tmp, "clean.json")))["findings"] == [], "clean trace has findings")
        out = chromium(binary, tmp, "file://" + os.path.join(tmp, "clean.html"), "--dump-dom")
        check("No anomalies found." in out.stdout, "clean page does not say no anomalies")

        # ---- bad input: clear errors ----
        r = subprocess.run([args.report, os.path.join(tmp, "missing.jsonl")], capture_output=True, text=True)
        check(r.returncode == 1 and "cannot open" in r.stderr, "missing file: %d %s" % (r.returncode, r.stderr))
        junk = os.path.join(tmp, "junk.jsonl")
        open(junk, "w").write("not json\n{\"type\":\"span\"}\n")
        r = subprocess.run([args.report, junk], capture_output=True, text=True)
        check(r.returncode == 1 and "no spans" in r.stderr and "line 1: not valid JSON" in r.stderr, "junk file: " + r.stderr)
        mixed = os.path.join(tmp, "mixed.jsonl")
        open(mixed, "w").write(open(clean).read() + "garbage line\n")
        r = subprocess.run([args.report, mixed, "-o", os.path.join(tmp, "mixed.html")], capture_output=True, text=True)
        check(r.returncode == 0 and "skipped 1 malformed" in r.stderr, "mixed file: " + r.stderr)
        check("1 malformed lines skipped" in open(os.path.join(tmp, "mixed.html")).read(), "page does not mention malformed lines")
        r = subprocess.run([args.report], capture_output=True, text=True)
        check(r.returncode == 2 and "usage" in r.stderr, "no arguments")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("report_chromium: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
