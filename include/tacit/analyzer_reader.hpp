#pragma once
/// Offline input for tacit::analyzer: reads tacit's JSON-lines trace format (one span or stats
/// object per line, as written by exporters/jsonl.hpp) with nlohmann/json. Only code that
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
#include <cstdint>      // counters
#include <fstream>      // files
#include <istream>      // streams
#include <limits>       // NaN for null numbers
#include <stdexcept>    // std::runtime_error when a file cannot be opened
#include <string>       // lines
#include <string_view>  // ids
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

// Storage for one line's attribute views; reused from line to line.
struct jsonl_line_scratch {
    std::vector<attribute_view> attrs;
    std::vector<value_view> items;
};

inline bool jsonl_value(const nlohmann::json& j, value_view& out, std::vector<value_view>& items,
                        std::vector<std::pair<std::size_t, std::size_t>>& arrays) {
    using vt = nlohmann::json::value_t;
    switch (j.type()) {
    case vt::boolean: out = value_view::of(j.get<bool>()); return true;
    case vt::number_integer: out = value_view::of(static_cast<std::int64_t>(j.get<std::int64_t>())); return true;
    case vt::number_unsigned: out = value_view::of(static_cast<std::int64_t>(j.get<std::uint64_t>())); return true;
    case vt::number_float: out = value_view::of(j.get<double>()); return true;
    case vt::null: out = value_view::of(std::numeric_limits<double>::quiet_NaN()); return true;  // NaN/Inf were written as null
    case vt::string: out = value_view::of(std::string_view{j.get_ref<const std::string&>()}); return true;
    case vt::array: {
        // Arrays are resolved after all items are stored (the vector may move while filling).
        const std::size_t begin = items.size();
        value_type et = value_type::string;
        bool first = true;
        for (const auto& e : j) {
            value_view v;
            std::vector<std::pair<std::size_t, std::size_t>> nested;
            if (e.is_array() || e.is_object() || !jsonl_value(e, v, items, nested)) return false;
            if (first) et = v.type();
            first = false;
            items.push_back(v);
        }
        value_type at = value_type::string_array;
        switch (et) {
        case value_type::boolean: at = value_type::bool_array; break;
        case value_type::int64: at = value_type::int64_array; break;
        case value_type::float64: at = value_type::float64_array; break;
        default: break;
        }
        out = value_view::array(at, {});
        arrays.emplace_back(begin, items.size() - begin);
        return true;
    }
    default: return false;
    }
}

inline bool jsonl_u64(const nlohmann::json& obj, const char* key, std::uint64_t& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    if (it->is_number_unsigned()) { out = it->get<std::uint64_t>(); return true; }
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0) { out = static_cast<std::uint64_t>(it->get<std::int64_t>()); return true; }
    return false;
}

inline std::string_view jsonl_str(const nlohmann::json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return {};
    return it->get_ref<const std::string&>();
}

// Fills `attrs` from a JSON object of attributes; returns false on a value it cannot hold.
inline bool jsonl_attributes(const nlohmann::json& obj, std::vector<attribute_view>& attrs,
                             std::vector<value_view>& items) {
    std::vector<std::pair<std::size_t, std::size_t>> arrays;
    std::vector<std::size_t> array_attr;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        value_view v;
        const std::size_t before = arrays.size();
        if (!jsonl_value(it.value(), v, items, arrays)) return false;
        if (arrays.size() != before) array_attr.push_back(attrs.size());
        attrs.push_back(attribute_view{it.key(), sensitivity::public_data, v});
    }
    for (std::size_t i = 0; i < array_attr.size(); ++i) {
        auto& a = attrs[array_attr[i]];
        a.value = value_view::array(a.value.type(), std::span<const value_view>{items.data() + arrays[i].first, arrays[i].second});
    }
    return true;
}

inline bool parse_trace_id(std::string_view s, trace_id& out) {
    return s.size() == 32 && parse_hex64(s.substr(0, 16), out.hi) && parse_hex64(s.substr(16), out.lo);
}

}  // namespace detail

/// Reads JSON lines from `in` into `a` until end of input.
inline jsonl_read_result read_jsonl(std::istream& in, analyzer& a) {
    jsonl_read_result r;
    std::string line;
    std::uint64_t line_no = 0;
    detail::jsonl_line_scratch sc;
    auto bad = [&](std::string why) {
        ++r.malformed;
        if (r.first_error.empty()) r.first_error = fmt::format("line {}: {}", line_no, why);
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ++r.lines;
        nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) { bad("not valid JSON"); continue; }
        if (!j.is_object()) { bad("not a JSON object"); continue; }
        const std::string_view type = detail::jsonl_str(j, "type");
        if (type == "stats") {
            pipeline_stats st{};
            detail::jsonl_u64(j, "recorded", st.recorded);
            detail::jsonl_u64(j, "dropped_ring_full", st.dropped_ring_full);
            detail::jsonl_u64(j, "dropped_shutdown", st.dropped_shutdown);
            detail::jsonl_u64(j, "delivered", st.delivered);
            detail::jsonl_u64(j, "batches", st.batches);
            detail::jsonl_u64(j, "exporter_exceptions", st.exporter_exceptions);
            detail::jsonl_u64(j, "truncated_strings", st.truncated_strings);
            detail::jsonl_u64(j, "dropped_attributes", st.dropped_attributes);
            a.ingest(st);
            ++r.stats;
            continue;
        }
        if (type != "span") { ++r.other; continue; }

        span_view s;
        s.name = detail::jsonl_str(j, "name");
        if (s.name.empty()) { bad("span without a \"name\""); continue; }
        if (!detail::jsonl_u64(j, "start_unix_ns", s.start_unix_ns) || !detail::jsonl_u64(j, "end_unix_ns", s.end_unix_ns)) {
            bad("span without integer \"start_unix_ns\" and \"end_unix_ns\"");
            continue;
        }
        if (!detail::parse_hex64(detail::jsonl_str(j, "span_id"), s.context.span.value)) {
            bad("span without a 16-hex-digit \"span_id\"");
            continue;
        }
        detail::parse_trace_id(detail::jsonl_str(j, "trace_id"), s.context.trace);
        if (const auto p = detail::jsonl_str(j, "parent_span_id"); !p.empty() && !detail::parse_hex64(p, s.parent.value)) {
            bad("span with an invalid \"parent_span_id\"");
            continue;
        }
        const std::string_view status = detail::jsonl_str(j, "status");
        s.status = status == "error" ? status_code::error : status == "ok" ? status_code::ok : status_code::unset;
        s.error_type = detail::jsonl_str(j, "error_type");
        std::uint64_t thread = 0;
        if (detail::jsonl_u64(j, "thread", thread)) s.thread = static_cast<std::uint32_t>(thread);

        sc.attrs.clear();
        sc.items.clear();
        if (auto it = j.find("attributes"); it != j.end() && it->is_object()) {
            sc.items.reserve(64);
            if (!detail::jsonl_attributes(*it, sc.attrs, sc.items)) { bad("attribute value of an unsupported type"); continue; }
        }
        s.attributes = sc.attrs;
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
