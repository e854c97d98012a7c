#pragma once
/// Human-readable lines, one per span, to a stream (stdout by default):
///
///     tool_usage            0.412 ms  ok     trace=4bf92f35… span=00f067aa… parent=53995c3f…  gen_ai.tool.name="web_search"
#include <cstdio>       // FILE*
#include <iterator>     // std::back_inserter
#include <string>       // line buffer

#include <fmt/format.h>  // formatting

#include "../exporter.hpp"
#include "../detail/json.hpp"

namespace tacit::inline TACIT_ABI {

class console_exporter final : public exporter {
public:
    /// Writes to `out` (not owned); stdout by default.
    explicit console_exporter(std::FILE* out = stdout) noexcept : out_(out) {}

    export_result export_spans(const export_batch& batch) override {
        for (const auto& s : batch.spans) {
            line_.clear();
            format(line_, s);
            line_.push_back('\n');
            if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) return export_result::failure();
        }
        std::fflush(out_);
        return export_result::success();
    }

    /// One span as one line (no newline).
    static void format(std::string& out, const span_view& s) {
        auto it = std::back_inserter(out);
        double ms = static_cast<double>(s.duration_ns()) / 1e6;
        std::string_view status = s.status == status_code::error ? "error" : "ok";
        fmt::format_to(it, "{:<22} {:>10.3f} ms  {:<5}", s.name, ms, status);
        if (s.status == status_code::error) fmt::format_to(it, " ({})", s.error_type);
        auto trace = s.context.trace.hex();
        auto id = s.context.span.hex();
        fmt::format_to(it, "  trace={} span={}", std::string_view(trace.data(), 8), std::string_view(id.data(), 8));
        if (s.parent.valid()) {
            auto p = s.parent.hex();
            fmt::format_to(it, " parent={}", std::string_view(p.data(), 8));
        }
        for (const auto& a : s.attributes) {
            fmt::format_to(it, "  {}=", a.key);
            detail::append_json_value(out, a.value);
        }
        for (const auto& e : s.events) {
            double at = e.time_unix_ns >= s.start_unix_ns ? static_cast<double>(e.time_unix_ns - s.start_unix_ns) / 1e6 : 0.0;
            fmt::format_to(it, "  [{} @{:.3f}ms", e.name, at);
            for (const auto& a : e.attributes) {
                fmt::format_to(it, " {}=", a.key);
                detail::append_json_value(out, a.value);
            }
            out.push_back(']');
        }
        if (s.dropped_attributes) fmt::format_to(it, "  (+{} attributes dropped)", s.dropped_attributes);
    }

private:
    std::FILE* out_;
    std::string line_;
};

}  // namespace tacit::inline TACIT_ABI
