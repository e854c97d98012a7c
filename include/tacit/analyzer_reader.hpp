#pragma once
/// Offline input for tacit::analyzer: reads tacit's JSON-lines trace format (one span or stats
/// object per line, as written by exporters/jsonl.hpp) with nlohmann/json's SAX parser
/// (no DOM per line). Only code that
/// includes this header needs nlohmann/json (Debian: nlohmann-json3-dev).
///
///     tacit::analyzer a{opts};
///     auto r = tacit::read_jsonl_file("trace.jsonl", a);   // throws if the file cannot be opened
///     if (r.malformed) std::fprintf(stderr, "%s\n", r.first_error.c_str());
///     auto result = a.result();
///
/// Bad lines never stop the read: a line that is not JSON, not an object, or a span without a
/// name, valid span id or integer start/end is counted in `malformed` (the first reason is kept
/// with its line number) and skipped. Objects of other "type"s are counted in `other`.
#include <array>        // per-field slots
#include <cstdint>      // counters
#include <deque>        // string pool with stable addresses
#include <fstream>      // files
#include <istream>      // streams
#include <limits>       // NaN for null numbers
#include <stdexcept>    // std::runtime_error when a file cannot be opened
#include <string>       // lines
#include <string_view>  // ids
#include <utility>      // std::pair
#include <vector>       // attribute storage

#include <fmt/format.h>        // error messages
#include <nlohmann/json.hpp>   // the real JSON parser

#include "analyzer.hpp"
#include "ids.hpp"

namespace tacit::inline TACIT_ABI {

/// What read_jsonl saw.
struct jsonl_read_result {
    std::uint64_t lines = 0;      ///< non-empty lines
    std::uint64_t spans = 0;      ///< span lines fed to the analyzer
    std::uint64_t stats = 0;      ///< stats lines fed to the analyzer
    std::uint64_t other = 0;      ///< valid objects of another type (ignored)
    std::uint64_t malformed = 0;  ///< lines skipped as invalid
    std::string first_error;      ///< "line N: why" for the first malformed line
};

namespace detail {

inline bool parse_trace_id(std::string_view s, trace_id& out) {
    return s.size() == 32 && parse_hex64(s.substr(0, 16), out.hi) && parse_hex64(s.substr(16), out.lo);
}

/// nlohmann/json SAX handler for one line of the trace format: fills a span_view (or stats)
/// without building a DOM. Strings live in a pool reused from line to line.
class jsonl_line_parser {
public:
    using json = nlohmann::json;

    // String fields first, then number fields (from `start` on).
    enum class field : std::uint8_t {
        none, type, name, trace_id, span_id, parent_span_id, status, error_type, start, end, thread, attributes,
        recorded, dropped_ring_full, dropped_shutdown, delivered, batches, exporter_exceptions, truncated_strings,
        dropped_attributes, count_
    };

    void reset() {
        used_ = 0;
        depth_ = 0;
        skip_until_ = -1;
        root_seen_ = root_object_ = unsupported_ = in_attrs_ = in_array_ = false;
        pending_ = field::none;
        for (auto& h : has_) h = false;
        for (auto& b : bad_) b = false;
        for (auto& v : str_) v = {};
        attrs_.clear();
        items_.clear();
        arrays_.clear();
    }

    // Results.
    bool root_object() const noexcept { return root_object_; }
    bool unsupported() const noexcept { return unsupported_; }
    std::string_view str(field f) const noexcept { return str_[idx(f)]; }
    bool has(field f) const noexcept { return has_[idx(f)]; }
    bool bad(field f) const noexcept { return bad_[idx(f)]; }
    std::uint64_t num(field f) const noexcept { return num_[idx(f)]; }
    std::span<const attribute_view> attributes() {
        for (const auto& [attr, begin, n] : arrays_)
            attrs_[attr].value = value_view::array(attrs_[attr].value.type(), std::span<const value_view>{items_.data() + begin, n});
        return attrs_;
    }

    // SAX events.
    bool null() { return scalar(value_view::of(std::numeric_limits<double>::quiet_NaN())); }  // NaN/Inf were written as null
    bool boolean(bool v) { return scalar(value_view::of(v)); }
    bool number_integer(json::number_integer_t v) {
        if (top_value()) {
            if (v < 0) bad_[idx(pending_)] = true;
            else set_num(static_cast<std::uint64_t>(v));
            return true;
        }
        return scalar(value_view::of(static_cast<std::int64_t>(v)));
    }
    bool number_unsigned(json::number_unsigned_t v) {
        if (top_value()) { set_num(v); return true; }
        return scalar(value_view::of(static_cast<std::int64_t>(v)));
    }
    bool number_float(json::number_float_t v, const json::string_t&) {
        if (top_value()) { bad_[idx(pending_)] = true; return true; }
        return scalar(value_view::of(static_cast<double>(v)));
    }
    bool string(json::string_t& v) {
        if (top_value()) {
            if (pending_ >= field::start) bad_[idx(pending_)] = true;  // a number field holding text
            else if (pending_ != field::none) {
                str_[idx(pending_)] = keep(v);
                has_[idx(pending_)] = true;
            }
            return true;
        }
        return scalar(value_view::of(keep(v)));
    }
    bool binary(json::binary_t&) { unsupported_ = true; return true; }

    bool start_object(std::size_t) {
        open();
        if (depth_ == 1) { root_object_ = true; return true; }
        if (skipping()) return true;
        if (depth_ == 2 && pending_ == field::attributes) { in_attrs_ = true; return true; }
        if (in_attrs_) unsupported_ = true;  // an object as an attribute value
        skip_until_ = depth_ - 1;
        return true;
    }
    bool end_object() {
        close();
        if (depth_ == 1) in_attrs_ = false;
        return true;
    }
    bool start_array(std::size_t) {
        open();
        if (depth_ == 1) return true;  // a non-object root: reported by the caller
        if (skipping()) return true;
        if (in_attrs_ && depth_ == 3 && !in_array_) {
            in_array_ = true;
            array_begin_ = items_.size();
            array_type_ = value_type::string;
            array_first_ = true;
            return true;
        }
        if (in_attrs_) unsupported_ = true;  // nested arrays
        skip_until_ = depth_ - 1;          // e.g. "events": skipped
        return true;
    }
    bool end_array() {
        if (in_array_ && depth_ == 3) {
            in_array_ = false;
            value_type at = value_type::string_array;
            switch (array_type_) {
            case value_type::boolean: at = value_type::bool_array; break;
            case value_type::int64: at = value_type::int64_array; break;
            case value_type::float64: at = value_type::float64_array; break;
            default: break;
            }
            arrays_.push_back({attrs_.size(), array_begin_, items_.size() - array_begin_});
            attrs_.push_back(attribute_view{attr_key_, sensitivity::public_data, value_view::array(at, {})});
        }
        close();
        return true;
    }
    bool key(json::string_t& k) {
        if (skipping()) return true;
        if (depth_ == 1) {
            pending_ = field_of(k);
            return true;
        }
        if (in_attrs_ && depth_ == 2) attr_key_ = keep(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    static constexpr std::size_t idx(field f) noexcept { return static_cast<std::size_t>(f); }

    static field field_of(std::string_view k) noexcept {
        static constexpr std::pair<std::string_view, field> table[] = {
            {"type", field::type}, {"name", field::name}, {"trace_id", field::trace_id}, {"span_id", field::span_id},
            {"parent_span_id", field::parent_span_id}, {"status", field::status}, {"error_type", field::error_type},
            {"start_unix_ns", field::start}, {"end_unix_ns", field::end}, {"thread", field::thread},
            {"attributes", field::attributes}, {"recorded", field::recorded},
            {"dropped_ring_full", field::dropped_ring_full}, {"dropped_shutdown", field::dropped_shutdown},
            {"delivered", field::delivered}, {"batches", field::batches},
            {"exporter_exceptions", field::exporter_exceptions}, {"truncated_strings", field::truncated_strings},
            {"dropped_attributes", field::dropped_attributes},
        };
        for (const auto& [name, f] : table)
            if (name == k) return f;
        return field::none;
    }

    void open() {
        if (depth_ == 0) root_seen_ = true;
        ++depth_;
    }
    void close() {
        --depth_;
        if (skip_until_ >= 0 && depth_ <= skip_until_) skip_until_ = -1;
    }
    bool skipping() const noexcept { return skip_until_ >= 0; }
    // A scalar directly under the root object.
    bool top_value() const noexcept { return depth_ == 1 && !skipping(); }

    void set_num(std::uint64_t v) {
        if (pending_ == field::none) return;
        num_[idx(pending_)] = v;
        has_[idx(pending_)] = true;
    }

    bool scalar(value_view v) {
        if (depth_ == 0) return true;  // a bare scalar line: not an object, reported by the caller
        if (skipping() || !in_attrs_) return true;
        if (in_array_ && depth_ == 3) {
            if (array_first_) array_type_ = v.type();
            array_first_ = false;
            items_.push_back(v);
        } else if (depth_ == 2) {
            attrs_.push_back(attribute_view{attr_key_, sensitivity::public_data, v});
        }
        return true;
    }

    std::string_view keep(const std::string& s) {
        if (used_ == pool_.size()) pool_.emplace_back();
        auto& slot = pool_[used_++];  // a deque never moves its elements, so views stay valid
        slot.assign(s);
        return slot;
    }

    struct array_ref { std::size_t attr, begin, count; };

    std::deque<std::string> pool_;
    std::size_t used_ = 0;
    int depth_ = 0;
    int skip_until_ = -1;
    bool root_seen_ = false, root_object_ = false, unsupported_ = false, in_attrs_ = false, in_array_ = false;
    bool array_first_ = true;
    value_type array_type_ = value_type::string;
    std::size_t array_begin_ = 0;
    field pending_ = field::none;
    std::string_view attr_key_;
    std::array<std::string_view, static_cast<std::size_t>(field::count_)> str_{};
    std::array<std::uint64_t, static_cast<std::size_t>(field::count_)> num_{};
    std::array<bool, static_cast<std::size_t>(field::count_)> has_{}, bad_{};
    std::vector<attribute_view> attrs_;
    std::vector<value_view> items_;
    std::vector<array_ref> arrays_;
};

}  // namespace detail

/// Reads JSON lines from `in` into `a` until end of input.
inline jsonl_read_result read_jsonl(std::istream& in, analyzer& a) {
    using field = detail::jsonl_line_parser::field;
    jsonl_read_result r;
    std::string line;
    std::uint64_t line_no = 0;
    detail::jsonl_line_parser p;
    auto bad = [&](const char* why) {
        ++r.malformed;
        if (r.first_error.empty()) r.first_error = fmt::format("line {}: {}", line_no, why);
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ++r.lines;
        p.reset();
        if (!nlohmann::json::sax_parse(line, &p)) { bad("not valid JSON"); continue; }
        if (!p.root_object()) { bad("not a JSON object"); continue; }
        const std::string_view type = p.str(field::type);
        if (type == "stats") {
            pipeline_stats st{};
            st.recorded = p.num(field::recorded);
            st.dropped_ring_full = p.num(field::dropped_ring_full);
            st.dropped_shutdown = p.num(field::dropped_shutdown);
            st.delivered = p.num(field::delivered);
            st.batches = p.num(field::batches);
            st.exporter_exceptions = p.num(field::exporter_exceptions);
            st.truncated_strings = p.num(field::truncated_strings);
            st.dropped_attributes = p.num(field::dropped_attributes);
            a.ingest(st);
            ++r.stats;
            continue;
        }
        if (type != "span") { ++r.other; continue; }

        span_view s;
        s.name = p.str(field::name);
        if (s.name.empty()) { bad("span without a \"name\""); continue; }
        if (!p.has(field::start) || !p.has(field::end) || p.bad(field::start) || p.bad(field::end)) {
            bad("span without integer \"start_unix_ns\" and \"end_unix_ns\"");
            continue;
        }
        s.start_unix_ns = p.num(field::start);
        s.end_unix_ns = p.num(field::end);
        if (!detail::parse_hex64(p.str(field::span_id), s.context.span.value)) {
            bad("span without a 16-hex-digit \"span_id\"");
            continue;
        }
        detail::parse_trace_id(p.str(field::trace_id), s.context.trace);
        if (const auto pid = p.str(field::parent_span_id); !pid.empty() && !detail::parse_hex64(pid, s.parent.value)) {
            bad("span with an invalid \"parent_span_id\"");
            continue;
        }
        if (p.unsupported()) { bad("attribute value of an unsupported type"); continue; }
        const std::string_view status = p.str(field::status);
        s.status = status == "error" ? status_code::error : status == "ok" ? status_code::ok : status_code::unset;
        s.error_type = p.str(field::error_type);
        s.thread = static_cast<std::uint32_t>(p.num(field::thread));
        s.attributes = p.attributes();
        a.ingest(s);
        ++r.spans;
    }
    return r;
}

/// Reads a JSON-lines trace file; throws std::runtime_error if it cannot be opened.
inline jsonl_read_result read_jsonl_file(const std::string& path, analyzer& a) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("tacit: cannot open trace file '{}'", path));
    return read_jsonl(in, a);
}

}  // namespace tacit::inline TACIT_ABI
