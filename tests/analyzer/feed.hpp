#pragma once
// Feeds scenario spans to an analyzer as span_views, the way the pipeline hands them over.
#include <array>
#include <string>
#include <vector>

#include <tacit/analyzer.hpp>

#include "scenario.hpp"

namespace scenario {

inline tacit::span_view view_of(const gen_span& g, std::array<tacit::attribute_view, 3>& attrs) {
    tacit::span_view s;
    s.name = g.name;
    s.context.trace = {g.trace_hi, g.trace_lo};
    s.context.span = {g.id};
    s.parent = {g.parent};
    s.start_unix_ns = g.start;
    s.end_unix_ns = g.end;
    s.status = g.error ? tacit::status_code::error : tacit::status_code::ok;
    s.error_type = g.error_type;
    s.thread = g.thread;
    std::size_t n = 0;
    if (!g.tool.empty()) attrs[n++] = {"gen_ai.tool.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view{g.tool})};
    if (!g.crew.empty()) attrs[n++] = {"crew.key", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view{g.crew})};
    if (g.attempts >= 0) attrs[n++] = {"crew.attempts", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{g.attempts})};
    s.attributes = {attrs.data(), n};
    return s;
}

inline void feed(tacit::analyzer& a, const result& r) {
    for (const auto& g : r.spans) {
        std::array<tacit::attribute_view, 3> attrs{};
        a.ingest(view_of(g, attrs));
    }
}

inline tacit::analysis analyze(const options& o, tacit::analyzer_options ao = {}) {
    tacit::analyzer a{ao};
    feed(a, generate(o));
    return a.result();
}

inline std::size_t count_kind(const tacit::analysis& r, tacit::finding_kind k) {
    std::size_t n = 0;
    for (const auto& f : r.findings) n += f.kind == k;
    return n;
}

inline const tacit::finding* find_kind(const tacit::analysis& r, tacit::finding_kind k) {
    for (const auto& f : r.findings)
        if (f.kind == k) return &f;
    return nullptr;
}

}  // namespace scenario
