#pragma once
/// The tacit report page: one self-contained HTML file (inline CSS and SVG; no scripts, fonts or
/// network) with a crew-run timeline, latency distributions, error rates per tool, throughput
/// and the analyzer's ranked findings. tacit-report is a thin command line around this.
///
///     // after pipeline.shutdown(), next to the trace file the jsonl exporter wrote:
///     auto out = tacit::write_report("crew_trace.jsonl", "crew_trace.html");
///     if (!out.ok) std::fprintf(stderr, "%s\n", out.error.c_str());
#include <algorithm>      // std::max_element, std::clamp
#include <cmath>          // log scales
#include <cstdio>         // writing the file
#include <cstdint>        // timestamps
#include <functional>     // std::hash for colours
#include <iterator>       // std::back_inserter
#include <string>         // the page
#include <string_view>    // names
#include <unordered_map>  // timeline tree
#include <utility>        // std::pair
#include <vector>         // rows

#include <fmt/format.h>  // numbers

#include "analyzer.hpp"
#include "analyzer_reader.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail::report {


using tacit::detail::format_duration;
using tacit::detail::format_percent;
using tacit::detail::ajson::html_escape;

inline std::string esc(std::string_view s) {
    std::string o;
    html_escape(o, s);
    return o;
}

// `code` spans in finding sentences become <code>.
inline std::string rich(std::string_view s) {
    std::string o;
    bool open = false;
    for (char c : s) {
        if (c == '`') { o += open ? "</code>" : "<code>"; open = !open; continue; }
        html_escape(o, std::string_view{&c, 1});
    }
    if (open) o += "</code>";
    return o;
}


inline std::string thousands(std::uint64_t v) {
    std::string s = std::to_string(v), o;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i && (s.size() - i) % 3 == 0) o += ',';
        o += s[i];
    }
    return o;
}

inline const char* kind_color(std::string_view name) {
    if (name == "crew_execution") return "#475569";
    if (name == "task_execution") return "#2563eb";
    if (name == "agent_execution") return "#0891b2";
    if (name == "llm_call") return "#7c3aed";
    if (name == "tool_usage") return "#0d9488";
    if (name.find("flow") != std::string_view::npos) return "#ca8a04";
    static const char* palette[] = {"#0284c7", "#9333ea", "#059669", "#d97706", "#4f46e5", "#db2777"};
    return palette[std::hash<std::string_view>{}(name) % 6];
}

inline const char* severity_class(double score) {
    if (score >= 70) return "high";
    if (score >= 50) return "medium";
    return "low";
}

// A "nice" step for axis ticks.
inline double nice_step(double range, int target) {
    const double raw = range / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

inline std::string short_duration(double ns) {
    if (ns <= 0) return "0";
    if (ns < 1e3) return fmt::format("{:.0f}ns", ns);
    if (ns < 1e6) return fmt::format("{:g}µs", ns / 1e3);
    if (ns < 1e9) return fmt::format("{:g}ms", ns / 1e6);
    return fmt::format("{:g}s", ns / 1e9);
}

// ---------------------------------------------------------------------------------------------

inline void timeline_svg(std::string& o, const tacit::analysis& a) {
    const auto& spans = a.timeline;
    if (spans.empty()) {
        o += "<p class=\"muted\">No spans to draw.</p>";
        return;
    }
    // Depth-first order: children under their parent, by start time.
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> children;
    std::unordered_map<std::uint64_t, std::size_t> by_id;
    for (std::size_t i = 0; i < spans.size(); ++i) by_id[spans[i].span_id] = i;
    std::vector<std::size_t> roots;
    for (std::size_t i = 0; i < spans.size(); ++i) {
        if (spans[i].parent_id && by_id.count(spans[i].parent_id)) children[spans[i].parent_id].push_back(i);
        else roots.push_back(i);
    }
    struct row { std::size_t i; int depth; };
    std::vector<row> rows;
    constexpr std::size_t max_rows = 160;
    std::vector<std::pair<std::size_t, int>> stack;
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, 0);
    while (!stack.empty() && rows.size() < max_rows) {
        auto [i, d] = stack.back();
        stack.pop_back();
        rows.push_back({i, d});
        auto c = children.find(spans[i].span_id);
        if (c != children.end())
            for (auto it = c->second.rbegin(); it != c->second.rend(); ++it) stack.emplace_back(*it, d + 1);
    }
    std::uint64_t t0 = UINT64_MAX, t1 = 0;
    for (const auto& r : rows) {
        t0 = std::min(t0, spans[r.i].start_unix_ns);
        t1 = std::max(t1, spans[r.i].end_unix_ns);
    }
    const double range = std::max<double>(1.0, static_cast<double>(t1 - t0));
    const int label_w = 250, plot_w = 880, row_h = 20, top = 28, width = label_w + plot_w + 30;
    const int height = top + static_cast<int>(rows.size()) * row_h + 10;
    fmt::format_to(std::back_inserter(o),
                   "<svg id=\"timeline\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Timeline of one crew run\" data-rows=\"{}\">",
                   width, height, width, height, rows.size());
    // Axis along the top with grid lines.
    const double step = nice_step(range, 8);
    for (double t = 0; t <= range + 1; t += step) {
        const double x = label_w + t / range * plot_w;
        fmt::format_to(std::back_inserter(o),
                       "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"grid\"/><text x=\"{:.1f}\" y=\"16\" "
                       "class=\"tick\" text-anchor=\"middle\">{}</text>",
                       x, top - 6, x, height - 6, x, short_duration(t));
    }
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const auto& s = spans[rows[k].i];
        const int y = top + static_cast<int>(k) * row_h;
        if (k % 2 == 0)
            fmt::format_to(std::back_inserter(o), "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"band\"/>", y,
                           width, row_h);
        const double x0 = label_w + static_cast<double>(s.start_unix_ns - t0) / range * plot_w;
        const double w = std::max(1.5, static_cast<double>(s.end_unix_ns - s.start_unix_ns) / range * plot_w);
        const std::string label = s.tool.empty() ? s.name : fmt::format("{} · {}", s.name, s.tool);
        fmt::format_to(std::back_inserter(o),
                       "<text x=\"{}\" y=\"{}\" class=\"rowlabel{}\">{}</text>", 8 + rows[k].depth * 14, y + 14,
                       s.error ? " err" : "", esc(label));
        fmt::format_to(std::back_inserter(o),
                       "<rect class=\"span{}\" data-name=\"{}\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\" "
                       "fill=\"{}\"><title>{} — {}{}</title></rect>",
                       s.error ? " error" : "", esc(s.name), x0, y + 3, w, row_h - 6,
                       s.error ? "#dc2626" : kind_color(s.name), esc(label),
                       format_duration(static_cast<double>(s.end_unix_ns - s.start_unix_ns)),
                       s.error ? fmt::format(" — error: {}", esc(s.error_type)) : std::string{});
        if (w > 70)
            fmt::format_to(std::back_inserter(o), "<text x=\"{:.1f}\" y=\"{}\" class=\"barlabel\">{}</text>", x0 + 5,
                           y + 14, format_duration(static_cast<double>(s.end_unix_ns - s.start_unix_ns)));
    }
    o += "</svg>";
    if (rows.size() < spans.size())
        fmt::format_to(std::back_inserter(o), "<p class=\"muted\">Showing the first {} of {} spans of this run.</p>",
                       rows.size(), spans.size());
}

inline void latency_svg(std::string& o, const std::vector<tacit::group_summary>& groups, const char* id) {
    if (groups.empty()) return;
    double lo = 1e300, hi = 0;
    for (const auto& g : groups) {
        if (!g.count) continue;
        lo = std::min(lo, std::max(1.0, g.latency_ns.min()));
        hi = std::max(hi, std::max(1.0, g.latency_ns.max()));
    }
    if (hi <= 0) return;
    double llo = std::floor(std::log10(lo)), lhi = std::ceil(std::log10(hi));
    if (lhi <= llo) lhi = llo + 1;
    const int label_w = 190, plot_w = 640, stat_w = 300, row_h = 46, top = 30;
    const int width = label_w + plot_w + stat_w, height = top + static_cast<int>(groups.size()) * row_h + 8;
    auto xof = [&](double ns) { return label_w + (std::log10(std::max(ns, 1.0)) - llo) / (lhi - llo) * plot_w; };
    fmt::format_to(std::back_inserter(o),
                   "<svg id=\"{}\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Latency distribution per group, log scale\">",
                   id, width, height, width, height);
    for (double e = llo; e <= lhi; e += 1) {
        const double x = xof(std::pow(10.0, e));
        fmt::format_to(std::back_inserter(o),
                       "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"grid\"/><text x=\"{:.1f}\" y=\"18\" "
                       "class=\"tick\" text-anchor=\"middle\">{}</text>",
                       x, top - 4, x, height - 4, x, short_duration(std::pow(10.0, e)));
    }
    fmt::format_to(std::back_inserter(o), "<text x=\"{}\" y=\"18\" class=\"tick head\">p50 · p90 · p99 · max</text>",
                   label_w + plot_w + 16);
    for (std::size_t k = 0; k < groups.size(); ++k) {
        const auto& g = groups[k];
        const int y = top + static_cast<int>(k) * row_h;
        const double p50 = g.latency_ns.quantile(0.5), p90 = g.latency_ns.quantile(0.9),
                     p99 = g.latency_ns.quantile(0.99), mx = g.latency_ns.max();
        fmt::format_to(std::back_inserter(o),
                       "<g class=\"dist\" data-name=\"{}\" data-count=\"{}\" data-p50-ns=\"{:.0f}\" data-p90-ns=\"{:.0f}\" "
                       "data-p99-ns=\"{:.0f}\" data-max-ns=\"{:.0f}\">",
                       esc(g.name), g.count, p50, p90, p99, mx);
        fmt::format_to(std::back_inserter(o), "<text x=\"8\" y=\"{}\" class=\"rowlabel\">{}</text>", y + 20, esc(g.name));
        fmt::format_to(std::back_inserter(o), "<text x=\"8\" y=\"{}\" class=\"sub\">{} calls</text>", y + 36,
                       thousands(g.count));
        // Histogram from the sketch's buckets, merged into ~2 px columns, height by share of the peak.
        const int cols = plot_w / 3;
        std::vector<double> h(static_cast<std::size_t>(cols), 0);
        g.latency_ns.for_each_bucket([&](double blo, double bhi, std::uint64_t n) {
            const double mid = blo <= 0 ? 1.0 : std::sqrt(blo * bhi);
            int c = static_cast<int>((xof(mid) - label_w) / 3);
            c = std::clamp(c, 0, cols - 1);
            h[static_cast<std::size_t>(c)] += static_cast<double>(n);
        });
        const double peak = *std::max_element(h.begin(), h.end());
        const char* color = g.is_tool ? "#0d9488" : kind_color(g.name);
        for (int c = 0; c < cols; ++c) {
            if (h[static_cast<std::size_t>(c)] <= 0) continue;
            const double bh = std::max(1.5, h[static_cast<std::size_t>(c)] / peak * 30);
            fmt::format_to(std::back_inserter(o),
                           "<rect x=\"{}\" y=\"{:.1f}\" width=\"2.6\" height=\"{:.1f}\" fill=\"{}\" opacity=\"0.55\"/>",
                           label_w + c * 3, y + 36 - bh, bh, color);
        }
        fmt::format_to(std::back_inserter(o), "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"baseline\"/>", label_w,
                       y + 36, label_w + plot_w, y + 36);
        const std::pair<double, const char*> marks[] = {{p50, "m50"}, {p90, "m90"}, {p99, "m99"}, {mx, "mmax"}};
        for (auto [v, cls] : marks)
            fmt::format_to(std::back_inserter(o), "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"{}\"/>",
                           xof(v), y + 4, xof(v), y + 40, cls);
        fmt::format_to(std::back_inserter(o),
                       "<text x=\"{}\" y=\"{}\" class=\"stat\"><tspan class=\"s50\">{}</tspan> · <tspan>{}</tspan> · "
                       "<tspan class=\"s99\">{}</tspan> · <tspan class=\"smax\">{}</tspan></text>",
                       label_w + plot_w + 16, y + 26, format_duration(p50), format_duration(p90), format_duration(p99),
                       format_duration(mx));
        o += "</g>";
    }
    o += "</svg>";
}

inline void error_rate_svg(std::string& o, const std::vector<tacit::group_summary>& tools) {
    if (tools.empty()) {
        o += "<p class=\"muted\">No tool calls in this trace.</p>";
        return;
    }
    double worst = 0;
    for (const auto& g : tools) worst = std::max(worst, g.error_rate());
    const double full = std::max(0.1, std::ceil(worst * 10) / 10);  // axis to the next 10 %
    const int label_w = 190, plot_w = 700, row_h = 30, top = 28, width = label_w + plot_w + 250;
    const int height = top + static_cast<int>(tools.size()) * row_h + 8;
    fmt::format_to(std::back_inserter(o),
                   "<svg id=\"error-rates\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Error rate per tool\">",
                   width, height, width, height);
    for (int t = 0; t <= 5; ++t) {
        const double v = full * t / 5;
        const double x = label_w + v / full * plot_w;
        fmt::format_to(std::back_inserter(o),
                       "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"grid\"/><text x=\"{:.1f}\" y=\"16\" "
                       "class=\"tick\" text-anchor=\"middle\">{:.0f} %</text>",
                       x, top - 4, x, height - 4, x, v * 100);
    }
    for (std::size_t k = 0; k < tools.size(); ++k) {
        const auto& g = tools[k];
        const int y = top + static_cast<int>(k) * row_h;
        const double w = g.error_rate() / full * plot_w;
        const char* color = g.error_rate() >= 0.05 ? "#dc2626" : g.error_rate() > 0 ? "#f59e0b" : "#16a34a";
        fmt::format_to(std::back_inserter(o),
                       "<g class=\"erate\" data-name=\"{}\" data-errors=\"{}\" data-calls=\"{}\" data-rate=\"{:.6f}\">"
                       "<text x=\"8\" y=\"{}\" class=\"rowlabel\">{}</text>"
                       "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"track\" rx=\"3\"/>"
                       "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" rx=\"3\"/>"
                       "<text x=\"{}\" y=\"{}\" class=\"stat\"><tspan class=\"pct\">{}</tspan>  {} of {} calls</text></g>",
                       esc(g.name), g.errors, g.count, g.error_rate(), y + 19, esc(g.name), label_w, y + 6, plot_w,
                       row_h - 12, label_w, y + 6, std::max(w, g.errors ? 2.0 : 0.0), row_h - 12, color,
                       label_w + plot_w + 16, y + 19, format_percent(g.error_rate()), thousands(g.errors),
                       thousands(g.count));
    }
    o += "</svg>";
}

inline void throughput_svg(std::string& o, const tacit::throughput_series& t) {
    if (t.spans.empty()) return;
    const int left = 70, plot_w = 1040, plot_h = 150, top = 14, width = left + plot_w + 30, height = top + plot_h + 40;
    const double peak = static_cast<double>(std::max<std::uint64_t>(1, *std::max_element(t.spans.begin(), t.spans.end())));
    const double bw = static_cast<double>(plot_w) / static_cast<double>(t.spans.size());
    const double per_s = 1e9 / static_cast<double>(t.window_ns);
    fmt::format_to(std::back_inserter(o),
                   "<svg id=\"throughput\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
                   "aria-label=\"Spans per window\" data-window-ns=\"{}\" data-windows=\"{}\">",
                   width, height, width, height, t.window_ns, t.spans.size());
    const double ystep = nice_step(peak * per_s, 4);
    for (double v = 0; v <= peak * per_s + 1e-9; v += ystep) {
        const double y = top + plot_h - v / (peak * per_s) * plot_h;
        fmt::format_to(std::back_inserter(o),
                       "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" class=\"grid\"/><text x=\"{}\" y=\"{:.1f}\" "
                       "class=\"tick\" text-anchor=\"end\">{:g}/s</text>",
                       left, y, left + plot_w, y, left - 6, y + 4, v);
    }
    for (std::size_t i = 0; i < t.spans.size(); ++i) {
        const double h = static_cast<double>(t.spans[i]) / peak * plot_h;
        const double he = static_cast<double>(t.errors[i]) / peak * plot_h;
        const double x = left + static_cast<double>(i) * bw;
        if (h > 0)
            fmt::format_to(std::back_inserter(o), "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"#3b82f6\"/>",
                           x, top + plot_h - h, std::max(bw - 0.5, 0.6), h);
        if (he > 0)
            fmt::format_to(std::back_inserter(o), "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"#dc2626\"/>",
                           x, top + plot_h - he, std::max(bw - 0.5, 0.6), std::max(he, 1.0));
    }
    const double total = static_cast<double>(t.window_ns) * static_cast<double>(t.spans.size());
    const double xs = nice_step(total, 8);
    for (double v = 0; v <= total + 1; v += xs) {
        const double x = left + v / total * plot_w;
        fmt::format_to(std::back_inserter(o),
                       "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"axis\"/><text x=\"{:.1f}\" y=\"{}\" "
                       "class=\"tick\" text-anchor=\"middle\">{}</text>",
                       x, top + plot_h, x, top + plot_h + 5, x, top + plot_h + 20, short_duration(v));
    }
    fmt::format_to(std::back_inserter(o),
                   "<text x=\"{}\" y=\"{}\" class=\"sub\" text-anchor=\"end\">window {} · blue: spans/s · red: "
                   "errors/s</text></svg>",
                   left + plot_w, top + plot_h + 36, format_duration(static_cast<double>(t.window_ns)));
}

inline void stats_table(std::string& o, const std::vector<tacit::group_summary>& gs, const char* id) {
    fmt::format_to(std::back_inserter(o),
                   "<table id=\"{}\"><thead><tr><th>name</th><th>calls</th><th>errors</th><th>error rate</th><th>p50</th>"
                   "<th>p90</th><th>p99</th><th>max</th><th>top error</th></tr></thead><tbody>",
                   id);
    for (const auto& g : gs)
        fmt::format_to(std::back_inserter(o),
                       "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td><td>{}</td></tr>",
                       esc(g.name), thousands(g.count), thousands(g.errors), format_percent(g.error_rate()),
                       format_duration(g.latency_ns.quantile(0.5)), format_duration(g.latency_ns.quantile(0.9)),
                       format_duration(g.latency_ns.quantile(0.99)), format_duration(g.latency_ns.max()),
                       g.error_types.empty() ? std::string{"—"} : esc(g.error_types.front().first));
    o += "</tbody></table>";
}

inline constexpr const char* css = R"(
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1220px;margin:0 auto;padding:28px 24px 60px}
header h1{font-size:26px;margin:0 0 2px;letter-spacing:-.01em}
header .muted{margin:0}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin:22px 0 6px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}
.card.bad .v{color:#dc2626}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin-top:20px}
section h2{font-size:17px;margin:0 0 4px}
section p.lead{margin:0 0 12px;color:var(--muted);font-size:13px}
.muted{color:var(--muted)}
ol.findings{list-style:none;padding:0;margin:0}
ol.findings li{display:flex;gap:12px;align-items:baseline;padding:9px 0;border-top:1px solid var(--line)}
ol.findings li:first-child{border-top:0}
.pill{flex:none;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;padding:2px 8px;border-radius:999px;min-width:172px;text-align:center;white-space:nowrap}
.pill.high{background:#fee2e2;color:#991b1b}.pill.medium{background:#fef3c7;color:#92400e}.pill.low{background:#e0f2fe;color:#075985}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;border-radius:4px;padding:1px 4px}
.none{color:#15803d;font-weight:600}
svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .axis{stroke:#94a3b8}
svg .tick{font-size:11px;fill:#64748b;font-variant-numeric:tabular-nums}
svg .tick.head{font-weight:600}
svg .band{fill:#f8fafc}
svg .rowlabel{font-size:12.5px;fill:#0f172a}
svg .rowlabel.err{fill:#b91c1c;font-weight:600}
svg .barlabel{font-size:11px;fill:#fff;pointer-events:none}
svg .sub{font-size:11px;fill:#64748b}
svg .stat{font-size:12.5px;fill:#334155;font-variant-numeric:tabular-nums}
svg .s50{font-weight:600}svg .s99{fill:#c2410c;font-weight:600}svg .smax{fill:#b91c1c}
svg .pct{font-weight:650}
svg .track{fill:#f1f5f9}
svg .baseline{stroke:#cbd5e1}
svg .m50{stroke:#0f172a;stroke-width:2}svg .m90{stroke:#475569;stroke-width:1.5;stroke-dasharray:3 2}
svg .m99{stroke:#ea580c;stroke-width:2}svg .mmax{stroke:#dc2626;stroke-width:1;stroke-dasharray:2 2}
.legend{display:flex;gap:16px;flex-wrap:wrap;font-size:12.5px;color:#334155;margin:0 0 10px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{text-align:right;padding:6px 8px;border-bottom:1px solid var(--line)}
th:first-child,td:first-child,th:last-child,td:last-child{text-align:left}
th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
footer{margin-top:24px;font-size:12px;color:var(--muted)}
)";

inline std::string render(const tacit::analysis& a, const std::string& source, const tacit::jsonl_read_result& rd,
                   const std::string& json) {
    std::string o;
    o.reserve(1 << 20);
    o += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width,initial-scale=1\"><title>tacit report — ";
    o += esc(source);
    o += "</title><style>";
    o += css;
    o += "</style></head><body><main><header><h1>tacit trace report</h1><p class=\"muted\">";
    o += esc(source);
    fmt::format_to(std::back_inserter(o), " · {} lines read", thousands(rd.lines));
    if (rd.malformed)
        fmt::format_to(std::back_inserter(o), " · <b>{} malformed lines skipped</b> (first: {})", thousands(rd.malformed),
                       esc(rd.first_error));
    o += "</p></header>";

    const double wall = a.last_end_unix_ns > a.first_start_unix_ns
                            ? static_cast<double>(a.last_end_unix_ns - a.first_start_unix_ns) : 0.0;
    const double err_rate = a.spans ? static_cast<double>(a.errors) / static_cast<double>(a.spans) : 0.0;
    const auto* crew = a.kind("crew_execution");
    const std::uint64_t dropped = a.pipeline.dropped_ring_full + a.pipeline.dropped_shutdown;
    o += "<div class=\"cards\">";
    auto card = [&](const char* id, const std::string& v, const char* k, bool bad) {
        fmt::format_to(std::back_inserter(o), "<div class=\"card{}\" id=\"{}\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
                       bad ? " bad" : "", id, v, k);
    };
    card("card-spans", thousands(a.spans), "spans", false);
    card("card-errors", fmt::format("{} <small>({})</small>", thousands(a.errors), format_percent(err_rate)), "errors",
         err_rate >= 0.05);
    card("card-crews", thousands(crew ? crew->count : 0), "crew runs", false);
    card("card-wall", wall > 0 ? format_duration(wall) : std::string{"—"}, "time covered", false);
    card("card-rate", wall > 0 ? fmt::format("{:.1f}/s", static_cast<double>(a.spans) / (wall / 1e9)) : std::string{"—"},
         "spans per second", false);
    card("card-dropped", a.has_pipeline_stats ? thousands(dropped) : std::string{"—"}, "dropped by pipeline", dropped > 0);
    o += "</div>";

    o += "<section id=\"findings\"><h2>Findings</h2><p class=\"lead\">Ranked, most urgent first. Thresholds are the "
         "analyzer's defaults (docs/analyzer.md).</p>";
    if (a.findings.empty()) {
        o += "<p class=\"none\">No anomalies found.</p>";
    } else {
        o += "<ol class=\"findings\">";
        for (const auto& f : a.findings)
            fmt::format_to(std::back_inserter(o), "<li data-kind=\"{}\" data-score=\"{:.1f}\"><span class=\"pill {}\">{}</span><span>{}</span></li>",
                           tacit::to_string(f.kind), f.score, severity_class(f.score), tacit::to_string(f.kind), rich(f.message));
        o += "</ol>";
    }
    o += "</section>";

    o += "<section><h2>Crew run timeline</h2><p class=\"lead\">One run, tasks and tool calls nested under their "
         "parents; time from the run's start. Failed spans in red; hover a bar for details.</p>";
    o += "<div class=\"legend\">";
    std::vector<std::string> seen;
    for (const auto& s : a.timeline)
        if (std::find(seen.begin(), seen.end(), s.name) == seen.end()) seen.push_back(s.name);
    for (const auto& n : seen)
        fmt::format_to(std::back_inserter(o), "<span><i style=\"background:{}\"></i>{}</span>", kind_color(n), esc(n));
    o += "<span><i style=\"background:#dc2626\"></i>error</span></div>";
    timeline_svg(o, a);
    o += "</section>";

    fmt::format_to(std::back_inserter(o),
                   "<section><h2>Latency by span kind</h2><p class=\"lead\">Distribution on a log scale from the "
                   "analyzer's sketches (relative error ≤ {:g} %); markers: p50 (black), p90 (dashed), p99 (orange), "
                   "max (red dashed).</p>",
                   a.relative_accuracy * 100);
    latency_svg(o, a.kinds, "latency-kinds");
    o += "</section>";
    if (!a.tools.empty()) {
        o += "<section><h2>Latency by tool</h2><p class=\"lead\">Same scale rules, one row per tool "
             "(<code>gen_ai.tool.name</code>).</p>";
        latency_svg(o, a.tools, "latency-tools");
        o += "</section>";
    }
    o += "<section><h2>Error rate by tool</h2><p class=\"lead\">Share of calls that ended in error; red at 5 % or "
         "more.</p>";
    error_rate_svg(o, a.tools);
    o += "</section>";
    o += "<section><h2>Throughput</h2><p class=\"lead\">Spans ending per second over the trace.</p>";
    throughput_svg(o, a.throughput);
    o += "</section>";
    o += "<section><h2>Span kinds</h2>";
    stats_table(o, a.kinds, "table-kinds");
    o += "</section>";
    if (!a.tools.empty()) {
        o += "<section><h2>Tools</h2>";
        stats_table(o, a.tools, "table-tools");
        o += "</section>";
    }
    fmt::format_to(std::back_inserter(o), "<footer>Generated by tacit-report {} from tacit's JSON-lines trace format.</footer>",
                   tacit::version);
    // The analysis itself, for tools and tests; inert data, not a script. "</" cannot occur
    // in it unescaped: JSON strings here never hold '<' followed by '/', but escape to be sure.
    std::string safe;
    safe.reserve(json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
        if (json[i] == '<') safe += "\\u003c";
        else safe += json[i];
    }
    o += "<script type=\"application/json\" id=\"tacit-analysis\">";
    o += safe;
    o += "</script></main></body></html>\n";
    return o;
}


}  // namespace detail::report

/// Renders the page for an analysis. `source` names the trace in the header; `read` (may be
/// null) adds the line counts and any malformed-line warning.
inline std::string render_html_report(const analysis& a, std::string_view source, const jsonl_read_result* read = nullptr) {
    const jsonl_read_result none{};
    return detail::report::render(a, std::string{source}, read ? *read : none, a.to_json());
}

/// The analyzer options tacit-report uses: a timeline of up to 4 000 spans and 240 throughput bars.
inline analyzer_options report_analyzer_options() {
    analyzer_options o;
    o.timeline_spans = 4000;
    o.max_windows = 240;
    return o;
}

/// What write_report did.
struct report_outcome {
    bool ok = false;
    std::string error;         ///< why not, when !ok
    jsonl_read_result read;    ///< lines, spans, malformed lines of the trace
    analysis result;           ///< the analysis the page shows
};

/// Reads a JSON-lines trace and writes the HTML page. Fails (ok = false, error says why) if the
/// trace cannot be opened, holds no span, or the page cannot be written; malformed lines are
/// skipped and reported on the page.
inline report_outcome write_report(const std::string& trace_path, const std::string& html_path,
                                   analyzer_options options = report_analyzer_options()) {
    report_outcome out;
    analyzer an{std::move(options)};
    try {
        out.read = read_jsonl_file(trace_path, an);
    } catch (const std::exception& e) {
        out.error = e.what();
        return out;
    }
    if (out.read.spans == 0) {
        out.error = fmt::format("tacit: no spans in '{}' ({} lines, {} malformed{}{})", trace_path, out.read.lines,
                                out.read.malformed, out.read.first_error.empty() ? "" : "; ", out.read.first_error);
        return out;
    }
    out.result = an.result(/*end_of_input=*/true);
    const std::string page = render_html_report(out.result, trace_path, &out.read);
    std::FILE* f = std::fopen(html_path.c_str(), "wb");
    const bool written = f && std::fwrite(page.data(), 1, page.size(), f) == page.size();
    if (f && std::fclose(f) != 0) out.error = fmt::format("tacit: cannot write '{}'", html_path);
    if (!written) out.error = fmt::format("tacit: cannot write '{}'", html_path);
    out.ok = out.error.empty();
    return out;
}

}  // namespace tacit::inline TACIT_ABI
