#pragma once
/// JSON lines to a file: one `{"type":"span",...}` object per span and, at every flush and at
/// shutdown, a `{"type":"stats",...}` line with the pipeline's accounting. The format is
/// documented in the README; tacit-report and the analyzer read it.
#include <cstdio>       // FILE*
#include <iterator>     // std::back_inserter
#include <string>       // path, buffer
#include <string_view>  // keys

#include <fmt/format.h>  // numbers

#include "../detail/json.hpp"
#include "../exporter.hpp"

namespace tacit::inline TACIT_ABI {

class jsonl_exporter final : public exporter {
public:
    /// Opens (truncates, or appends if `append`) the file. If it cannot be opened, every
    /// export fails and is counted; ok() says so.
    explicit jsonl_exporter(const std::string& path, bool append = false)
        : file_(std::fopen(path.c_str(), append ? "ab" : "wb")) {
        // Unbuffered: each batch goes out in one write, built whole in memory first, so a
        // process killed right after a flush (SIGTERM, exit) never leaves half a line.
        if (file_) std::setvbuf(file_, nullptr, _IONBF, 0);
    }
    ~jsonl_exporter() override {
        if (file_) std::fclose(file_);
    }
    jsonl_exporter(const jsonl_exporter&) = delete;
    jsonl_exporter& operator=(const jsonl_exporter&) = delete;

    bool ok() const noexcept { return file_ != nullptr; }

    export_result export_spans(const export_batch& batch) override {
        if (!file_) return export_result::failure();
        buf_.clear();
        for (const auto& s : batch.spans) {
            append_span(buf_, s);
            buf_.push_back('\n');
        }
        last_ = batch.stats;
        if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) return export_result::failure();
        return export_result::success();
    }

    void on_tick(const pipeline_stats& stats) override { last_ = stats; }

    bool force_flush(std::chrono::milliseconds) override {
        if (!file_) return false;
        write_stats();
        return std::fflush(file_) == 0;
    }

    void shutdown(std::chrono::milliseconds) override {
        if (!file_) return;
        write_stats();
        std::fclose(file_);
        file_ = nullptr;
    }

    /// One span as one JSON object (no newline).
    static void append_span(std::string& out, const span_view& s) {
        auto it = std::back_inserter(out);
        out += "{\"type\":\"span\",\"name\":";
        detail::append_json_string(out, s.name);
        fmt::format_to(it, ",\"kind\":\"{}\"", to_string(s.role));
        auto trace = s.context.trace.hex();
        auto id = s.context.span.hex();
        fmt::format_to(it, ",\"trace_id\":\"{}\",\"span_id\":\"{}\"", std::string_view(trace.data(), 32), std::string_view(id.data(), 16));
        if (s.parent.valid()) {
            auto p = s.parent.hex();
            fmt::format_to(it, ",\"parent_span_id\":\"{}\"", std::string_view(p.data(), 16));
        } else {
            out += ",\"parent_span_id\":\"\"";
        }
        fmt::format_to(it, ",\"start_unix_ns\":{},\"end_unix_ns\":{},\"duration_ns\":{}", s.start_unix_ns, s.end_unix_ns, s.duration_ns());
        fmt::format_to(it, ",\"status\":\"{}\",\"error_type\":", to_string(s.status));
        detail::append_json_string(out, s.error_type);
        fmt::format_to(it, ",\"thread\":{},\"attributes\":", s.thread);
        append_attributes(out, s.attributes);
        out += ",\"events\":[";
        bool first = true;
        for (const auto& e : s.events) {
            if (!first) out.push_back(',');
            first = false;
            out += "{\"name\":";
            detail::append_json_string(out, e.name);
            fmt::format_to(it, ",\"time_unix_ns\":{},\"attributes\":", e.time_unix_ns);
            append_attributes(out, e.attributes);
            out.push_back('}');
        }
        fmt::format_to(it, "],\"dropped_attributes\":{}}}", s.dropped_attributes);
    }

    static void append_stats(std::string& out, const pipeline_stats& st) {
        fmt::format_to(std::back_inserter(out),
            "{{\"type\":\"stats\",\"recorded\":{},\"dropped_ring_full\":{},\"dropped_disabled\":{},\"dropped_shutdown\":{},"
            "\"delivered\":{},\"export_failed\":{},\"export_rejected\":{},\"batches\":{},\"exporter_exceptions\":{},\"truncated_strings\":{},\"dropped_attributes\":{},"
            "\"threads\":{},\"ring_bytes_used\":{},\"ring_bytes_capacity\":{}}}",
            st.recorded, st.dropped_ring_full, st.dropped_disabled, st.dropped_shutdown, st.delivered, st.export_failed,
            st.export_rejected, st.batches,
            st.exporter_exceptions, st.truncated_strings, st.dropped_attributes, st.threads, st.ring_bytes_used,
            st.ring_bytes_capacity);
    }

private:
    static void append_attributes(std::string& out, std::span<const attribute_view> attrs) {
        out.push_back('{');
        bool first = true;
        for (const auto& a : attrs) {
            if (!first) out.push_back(',');
            first = false;
            detail::append_json_string(out, a.key);
            out.push_back(':');
            detail::append_json_value(out, a.value);
        }
        out.push_back('}');
    }

    void write_stats() {
        buf_.clear();
        append_stats(buf_, last_);
        buf_.push_back('\n');
        std::fwrite(buf_.data(), 1, buf_.size(), file_);
    }

    std::FILE* file_;
    std::string buf_;
    pipeline_stats last_{};
};

}  // namespace tacit::inline TACIT_ABI
