#pragma once
/// Chrome trace-event JSON exporter, readable by Perfetto (ui.perfetto.dev) and chrome://tracing.
///
///     pipeline.add_exporter(std::make_unique<tacit::perfetto_exporter>("trace.json"));
///
/// Writes `{"displayTimeUnit":"ns","otherData":{...},"traceEvents":[...]}`: one complete event
/// (`"ph":"X"`, `ts` and `dur` in microseconds with nanosecond decimals) per span, on
/// `pid` 1 and `tid` = the recording thread, so spans that nest in time on a thread nest in the
/// viewer; span events become thread-scoped instant events (`"ph":"i"`), and each thread gets a
/// `thread_name` metadata event. `args` hold the span's public attributes (content never leaves
/// the process through this exporter) plus its ids, status and error type.
/// Timestamps count from `origin_unix_ns` (default: the exporter's creation, to the second),
/// written in `otherData`, so they stay exact in a double; spans that started earlier get
/// negative `ts`, which the format allows. The file is valid JSON once shutdown() has run;
/// until then it lacks only the closing `]}`.
#include <chrono>       // the default origin
#include <cstdint>      // timestamps
#include <cstdio>       // FILE output
#include <stdexcept>    // std::runtime_error when the file cannot be opened
#include <string>       // buffers
#include <unordered_set>// threads already named

#include <fmt/format.h>  // numbers

#include "../config.hpp"
#include "../detail/analyzer_json.hpp"
#include "../exporter.hpp"

namespace tacit::inline TACIT_ABI {

struct perfetto_options {
    /// Timestamps are written relative to this; 0 = the exporter's creation time, in whole seconds.
    std::uint64_t origin_unix_ns = 0;
    /// The `pid` of every event, and the process name shown for it.
    std::uint32_t pid = 1;
    std::string process_name = "tacit";
};

class perfetto_exporter final : public exporter {
public:
    explicit perfetto_exporter(const std::string& path, perfetto_options options = {}) : opt_(std::move(options)) {
        file_ = std::fopen(path.c_str(), "wb");
        if (!file_) throw std::runtime_error(fmt::format("tacit::perfetto_exporter: cannot open '{}' for writing", path));
        if (opt_.origin_unix_ns == 0) {
            const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
            opt_.origin_unix_ns = static_cast<std::uint64_t>(now) / 1'000'000'000 * 1'000'000'000;
        }
        std::string head = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"origin_unix_ns\":\"";
        head += fmt::format("{}", opt_.origin_unix_ns);
        head += "\",\"exporter\":\"tacit ";
        head += TACIT_VERSION_STRING;
        head += "\"},\"traceEvents\":[";
        head += fmt::format("{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":", opt_.pid);
        detail::ajson::json_string(head, opt_.process_name);
        head += "}}";
        write(head);
    }
    ~perfetto_exporter() override { close(); }
    perfetto_exporter(const perfetto_exporter&) = delete;
    perfetto_exporter& operator=(const perfetto_exporter&) = delete;

    export_result export_spans(const export_batch& batch) override {
        if (!file_) return export_result::failure();
        buf_.clear();
        for (const auto& s : batch.spans) append(s);
        if (!write(buf_)) return export_result::failure();
        events_ += batch.spans.size();
        return export_result::success();
    }
    bool force_flush(std::chrono::milliseconds) override { return file_ && std::fflush(file_) == 0; }
    void shutdown(std::chrono::milliseconds) override { close(); }

    /// Spans written so far.
    std::uint64_t spans_written() const noexcept { return events_; }
    std::uint64_t origin_unix_ns() const noexcept { return opt_.origin_unix_ns; }

private:
    // Microseconds from the origin with three decimals, exact for any nanosecond count.
    void put_us(std::int64_t ns) {
        const bool neg = ns < 0;
        const std::uint64_t a = neg ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
        fmt::format_to(std::back_inserter(buf_), "{}{}.{:03}", neg ? "-" : "", a / 1000, a % 1000);
    }
    std::int64_t rel(std::uint64_t t) const noexcept {
        return t >= opt_.origin_unix_ns ? static_cast<std::int64_t>(t - opt_.origin_unix_ns)
                                        : -static_cast<std::int64_t>(opt_.origin_unix_ns - t);
    }

    void append_value(const value_view& v) {
        using detail::ajson::json_number;
        switch (v.type()) {
        case value_type::boolean: buf_ += v.as_bool() ? "true" : "false"; break;
        case value_type::int64: json_number(buf_, v.as_int()); break;
        case value_type::float64: json_number(buf_, v.as_double()); break;
        case value_type::string: detail::ajson::json_string(buf_, v.as_string()); break;
        default: {
            buf_ += '[';
            bool first = true;
            for (const auto& e : v.items()) {
                if (!first) buf_ += ',';
                first = false;
                append_value(e);
            }
            buf_ += ']';
        }
        }
    }

    void append(const span_view& s) {
        using detail::ajson::json_string;
        if (named_threads_.insert(s.thread).second) {
            buf_ += fmt::format(",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":\"tacit thread {}\"}}}}",
                                opt_.pid, s.thread, s.thread);
        }
        buf_ += ",\n{\"name\":";
        json_string(buf_, s.name);
        buf_ += ",\"cat\":\"";
        buf_ += to_string(s.role);
        buf_ += "\",\"ph\":\"X\",\"ts\":";
        put_us(rel(s.start_unix_ns));
        buf_ += ",\"dur\":";
        put_us(static_cast<std::int64_t>(s.duration_ns()));
        fmt::format_to(std::back_inserter(buf_), ",\"pid\":{},\"tid\":{},\"args\":{{", opt_.pid, s.thread);
        const auto sid = s.context.span.hex();
        const auto tid = s.context.trace.hex();
        buf_ += "\"span_id\":\"";
        buf_.append(sid.data(), sid.size());
        buf_ += "\",\"trace_id\":\"";
        buf_.append(tid.data(), tid.size());
        buf_ += "\",\"parent_span_id\":\"";
        if (s.parent.valid()) {
            const auto pid = s.parent.hex();
            buf_.append(pid.data(), pid.size());
        }
        buf_ += "\",\"status\":\"";
        buf_ += to_string(s.status);
        buf_ += '"';
        if (s.status == status_code::error) {
            buf_ += ",\"error_type\":";
            json_string(buf_, s.error_type);
        }
        for (const auto& a : s.attributes) {
            if (a.sensitivity != sensitivity::public_data) continue;  // content stays home
            buf_ += ',';
            json_string(buf_, a.key);
            buf_ += ':';
            append_value(a.value);
        }
        buf_ += "}}";
        for (const auto& e : s.events) {
            buf_ += ",\n{\"name\":";
            json_string(buf_, e.name);
            buf_ += ",\"ph\":\"i\",\"s\":\"t\",\"ts\":";
            put_us(rel(e.time_unix_ns));
            fmt::format_to(std::back_inserter(buf_), ",\"pid\":{},\"tid\":{},\"args\":{{", opt_.pid, s.thread);
            bool first = true;
            for (const auto& a : e.attributes) {
                if (a.sensitivity != sensitivity::public_data) continue;
                if (!first) buf_ += ',';
                first = false;
                json_string(buf_, a.key);
                buf_ += ':';
                append_value(a.value);
            }
            buf_ += "}}";
        }
    }

    bool write(const std::string& s) { return std::fwrite(s.data(), 1, s.size(), file_) == s.size(); }

    void close() {
        if (!file_) return;
        write("\n]}\n");
        std::fclose(file_);
        file_ = nullptr;
    }

    perfetto_options opt_;
    std::FILE* file_ = nullptr;
    std::string buf_;
    std::unordered_set<std::uint32_t> named_threads_;
    std::uint64_t events_ = 0;
};

}  // namespace tacit::inline TACIT_ABI
