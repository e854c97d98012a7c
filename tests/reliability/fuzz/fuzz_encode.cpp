// Hostile strings through every encoder: fuzzed bytes are sanitised by detail::copy_utf8 (as
// span.set does) into a fuzzed limit, checked to be valid UTF-8 within the limit, and put with
// fuzzed numbers (NaN, infinities, extremes) into spans that every encoder this build has must
// turn into output that parses back: JSON lines, OTLP/JSON and Elasticsearch bulk through
// nlohmann/json with the strings compared, OTLP/protobuf through a generic wire-format decoder
// that descends the message tree, and Prometheus label escaping through an unescaper.
#include <tacit/tacit.hpp>
#include <tacit/detail/otlp_json.hpp>
#include <tacit/detail/otlp_proto.hpp>
#include <tacit/detail/utf8.hpp>
#include <tacit/exporters/jsonl.hpp>
#define TACIT_PROMETHEUS_NO_SERVER 1
#include <tacit/exporters/prometheus.hpp>
#if TACIT_FUZZ_ELASTIC
#include <tacit/exporters/elastic.hpp>
#endif

#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "input.hpp"

namespace {

/// A sanitised copy, as a span record would hold it.
std::string sanitise(std::string_view raw, std::size_t limit) {
    std::string buf(limit + 8, '\0');
    auto r = tacit::detail::copy_utf8(buf.data(), limit, raw.data(), raw.size());
    FUZZ_CHECK(r.size <= limit, raw);
    buf.resize(r.size);
    FUZZ_CHECK(fuzz::valid_utf8(buf), raw);
    if (!r.truncated && !r.replaced) FUZZ_CHECK(buf == raw, raw);
    if (r.truncated) FUZZ_CHECK(buf.size() >= 3 && buf.compare(buf.size() - 3, 3, "\xE2\x80\xA6") == 0, raw);
    if (fuzz::valid_utf8(raw) && raw.size() <= limit) FUZZ_CHECK(buf == raw, raw);
    return buf;
}

// --- protobuf wire format, decoded generically ---------------------------------------------
struct pb_field {
    std::uint32_t number;
    int wire;
    std::uint64_t varint;
    std::string_view bytes;
};

bool read_varint(std::string_view& s, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (s.empty()) return false;
        auto b = static_cast<unsigned char>(s.front());
        s.remove_prefix(1);
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

/// Splits a message into fields; false if the bytes are not a valid message.
bool fields(std::string_view s, std::vector<pb_field>& out) {
    while (!s.empty()) {
        std::uint64_t key;
        if (!read_varint(s, key)) return false;
        pb_field f{static_cast<std::uint32_t>(key >> 3), static_cast<int>(key & 7), 0, {}};
        if (f.number == 0) return false;
        switch (f.wire) {
        case 0: if (!read_varint(s, f.varint)) return false; break;
        case 1: if (s.size() < 8) return false; f.bytes = s.substr(0, 8); s.remove_prefix(8); break;
        case 5: if (s.size() < 4) return false; f.bytes = s.substr(0, 4); s.remove_prefix(4); break;
        case 2: {
            std::uint64_t len;
            if (!read_varint(s, len) || len > s.size()) return false;
            f.bytes = s.substr(0, static_cast<std::size_t>(len));
            s.remove_prefix(static_cast<std::size_t>(len));
            break;
        }
        default: return false;
        }
        out.push_back(f);
    }
    return true;
}

std::vector<pb_field> message(std::string_view s, const char* what) {
    std::vector<pb_field> f;
    FUZZ_CHECK(fields(s, f), what);
    return f;
}

/// AnyValue: string 1, bool 2, int 3, double 4, array 5 (ArrayValue: values 1).
void check_any_value(std::string_view s, std::vector<std::string>& strings, int depth = 0) {
    for (const auto& f : message(s, "AnyValue")) {
        if (f.number == 1) {
            FUZZ_CHECK(f.wire == 2 && fuzz::valid_utf8(f.bytes), "AnyValue.string_value");
            strings.emplace_back(f.bytes);
        } else if (f.number == 5) {
            FUZZ_CHECK(f.wire == 2 && depth == 0, "AnyValue.array_value");
            for (const auto& v : message(f.bytes, "ArrayValue")) {
                FUZZ_CHECK(v.number == 1 && v.wire == 2, "ArrayValue.values");
                check_any_value(v.bytes, strings, depth + 1);
            }
        } else {
            FUZZ_CHECK((f.number == 2 || f.number == 3) ? f.wire == 0 : (f.number == 4 && f.wire == 1), "AnyValue field");
        }
    }
}

/// KeyValue: key 1 (string), value 2 (AnyValue).
void check_key_values(const std::vector<pb_field>& fs, std::uint32_t number, std::vector<std::string>& strings) {
    for (const auto& f : fs) {
        if (f.number != number) continue;
        FUZZ_CHECK(f.wire == 2, "KeyValue wire type");
        for (const auto& kv : message(f.bytes, "KeyValue")) {
            FUZZ_CHECK(kv.wire == 2, "KeyValue field");
            if (kv.number == 1) FUZZ_CHECK(fuzz::valid_utf8(kv.bytes), "KeyValue.key");
            else if (kv.number == 2) check_any_value(kv.bytes, strings);
        }
    }
}

/// ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span > KeyValue/Event/Status.
std::size_t check_protobuf(std::string_view body, std::vector<std::string>& strings) {
    std::size_t spans = 0;
    for (const auto& rs : message(body, "ExportTraceServiceRequest")) {
        FUZZ_CHECK(rs.number == 1 && rs.wire == 2, "resource_spans");
        for (const auto& f : message(rs.bytes, "ResourceSpans")) {
            if (f.number == 1) check_key_values(message(f.bytes, "Resource"), 1, strings);
            if (f.number != 2) continue;
            for (const auto& ss : message(f.bytes, "ScopeSpans")) {
                if (ss.number != 2) continue;
                ++spans;
                auto span = message(ss.bytes, "Span");
                for (const auto& sf : span) {
                    if (sf.number == 1) FUZZ_CHECK(sf.bytes.size() == 16, "trace_id");
                    if (sf.number == 2) FUZZ_CHECK(sf.bytes.size() == 8, "span_id");
                    if (sf.number == 5) FUZZ_CHECK(fuzz::valid_utf8(sf.bytes), "name");
                    if (sf.number == 11)
                        for (const auto& ef : message(sf.bytes, "Event")) {
                            if (ef.number == 2) FUZZ_CHECK(fuzz::valid_utf8(ef.bytes), "Event.name");
                            if (ef.number == 3) check_key_values({ef}, 3, strings);
                        }
                    if (sf.number == 15)
                        for (const auto& st : message(sf.bytes, "Status"))
                            if (st.number == 2) FUZZ_CHECK(fuzz::valid_utf8(st.bytes), "Status.message");
                }
                check_key_values(span, 9, strings);
            }
        }
    }
    return spans;
}

// --- Prometheus label values ---------------------------------------------------------------
std::string unescape_label(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        FUZZ_CHECK(c != '\n' && c != '"', s);
        if (c != '\\') {
            out += c;
            continue;
        }
        FUZZ_CHECK(i + 1 < s.size(), s);
        char e = s[++i];
        FUZZ_CHECK(e == '\\' || e == 'n' || e == '"', s);
        out += e == 'n' ? '\n' : e;
    }
    return out;
}

/// Replaces each invalid byte by U+FFFD, independently of tacit.
std::string replace_invalid(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        for (std::size_t n = 1; n <= 4 && i + n <= s.size(); ++n)
            if (fuzz::valid_utf8(s.substr(i, n))) {
                len = n;
                break;
            }
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

const nlohmann::json* find_attr_otlp(const nlohmann::json& attrs, std::string_view key) {
    for (const auto& a : attrs)
        if (a.at("key").get<std::string>() == key) return &a.at("value");
    return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    const std::size_t limit = 3 + in.byte() % 200;

    // Strings: values, an event name, an error type, a service name.
    std::string s[6];
    for (auto& x : s) x = sanitise(in.bytes(), limit);

    // Prometheus label escaping takes raw bytes (label values come from span names and types).
    {
        std::string_view raw = in.bytes();
        std::string out;
        tacit::prometheus::detail::append_escaped(out, raw, true);
        FUZZ_CHECK(fuzz::valid_utf8(out), raw);
        FUZZ_CHECK(unescape_label(out) == replace_invalid(raw), raw);
    }

    const std::int64_t i1 = static_cast<std::int64_t>(in.u64());
    const double d1 = in.f64(), d2 = in.f64();
    const bool b1 = in.byte() & 1;
    tacit::value_view ints[] = {tacit::value_view::of(i1), tacit::value_view::of(std::int64_t{-1}),
                                tacit::value_view::of(static_cast<std::int64_t>(in.u64()))};
    tacit::value_view dbls[] = {tacit::value_view::of(d1), tacit::value_view::of(d2)};
    tacit::value_view strs[] = {tacit::value_view::of(std::string_view(s[2])), tacit::value_view::of(std::string_view(s[3]))};
    tacit::value_view bools[] = {tacit::value_view::of(true), tacit::value_view::of(b1)};
    tacit::attribute_view attrs[] = {
        {"gen_ai.tool.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s[0]))},
        {"crew.tool.attempts", tacit::sensitivity::public_data, tacit::value_view::of(i1)},
        {"crew.tool.score", tacit::sensitivity::public_data, tacit::value_view::of(d1)},
        {"crew.tool.cached", tacit::sensitivity::public_data, tacit::value_view::of(b1)},
        {"crew.sizes", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::int64_array, ints)},
        {"crew.weights", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::float64_array, dbls)},
        {"crew.tool_names", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, strs)},
        {"crew.flags", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::bool_array, bools)},
    };
    const std::size_t n_attrs = in.byte() % (std::size(attrs) + 1);
    tacit::attribute_view event_attrs[] = {{"crew.tool.attempts", tacit::sensitivity::public_data, tacit::value_view::of(i1)},
                                           {"gen_ai.tool.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s[1]))}};
    tacit::event_view events[] = {{s[4], in.u64(), event_attrs}};
    tacit::span_view span;
    span.name = s[5];
    span.role = static_cast<tacit::span_role>(in.byte() % 5);
    span.context.trace = {in.u64(), in.u64()};
    span.context.span = tacit::span_id{in.u64()};
    span.context.flags = in.byte();
    span.parent = tacit::span_id{in.u64()};
    span.parent_remote = in.byte() & 1;
    span.start_unix_ns = in.u64();
    span.end_unix_ns = in.u64();
    span.status = static_cast<tacit::status_code>(in.byte() % 3);
    span.error_type = s[1];
    span.attributes = std::span<const tacit::attribute_view>(attrs, n_attrs);
    span.events = (in.byte() & 1) ? std::span<const tacit::event_view>(events) : std::span<const tacit::event_view>();
    span.dropped_attributes = static_cast<std::uint32_t>(in.u64());
    span.thread = static_cast<std::uint32_t>(in.u64());

    // JSON lines: one strict JSON object whose strings and numbers read back as written.
    {
        std::string line;
        tacit::jsonl_exporter::append_span(line, span);
        FUZZ_CHECK(line.find('\n') == std::string::npos, line);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            fuzz::fail(e.what(), line);
        }
        FUZZ_CHECK(j.at("type") == "span", line);
        FUZZ_CHECK(j.at("name").get<std::string>() == s[5], line);
        FUZZ_CHECK(j.at("error_type").get<std::string>() == s[1], line);
        FUZZ_CHECK(j.at("trace_id").get<std::string>().size() == 32, line);
        FUZZ_CHECK(j.at("span_id").get<std::string>().size() == 16, line);
        FUZZ_CHECK(j.at("start_unix_ns").get<std::uint64_t>() == span.start_unix_ns, line);
        FUZZ_CHECK(j.at("duration_ns").get<std::uint64_t>() == span.duration_ns(), line);
        const auto& a = j.at("attributes");
        FUZZ_CHECK(a.size() == n_attrs, line);
        if (n_attrs > 0) FUZZ_CHECK(a.at("gen_ai.tool.name").get<std::string>() == s[0], line);
        if (n_attrs > 1) FUZZ_CHECK(a.at("crew.tool.attempts").get<std::int64_t>() == i1, line);
        if (n_attrs > 2) {
            if (std::isfinite(d1)) FUZZ_CHECK(a.at("crew.tool.score").get<double>() == d1, line);
            else FUZZ_CHECK(a.at("crew.tool.score").is_null(), line);
        }
        if (n_attrs > 6) FUZZ_CHECK(a.at("crew.tool_names").at(1).get<std::string>() == s[3], line);
        FUZZ_CHECK(j.at("events").size() == span.events.size(), line);
        if (!span.events.empty()) FUZZ_CHECK(j.at("events").at(0).at("name").get<std::string>() == s[4], line);
    }

    // OTLP/JSON and OTLP/protobuf.
    tacit::attribute_view resource[] = {{"service.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s[2]))}};
    tacit::detail::otlp_payload payload{resource, "tacit", "0", std::span<const tacit::span_view>(&span, 1)};
    {
        tacit::detail::byte_buffer buf;
        tacit::detail::encode_json(payload, buf);
        std::string body(buf.view());
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(body);
        } catch (const std::exception& e) {
            fuzz::fail(e.what(), body);
        }
        const auto& js = j.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
        FUZZ_CHECK(js.at("name").get<std::string>() == s[5], body);
        if (n_attrs > 0) {
            const auto* v = find_attr_otlp(js.at("attributes"), "gen_ai.tool.name");
            FUZZ_CHECK(v && v->at("stringValue").get<std::string>() == s[0], body);
        }
        if (n_attrs > 1) {
            const auto* v = find_attr_otlp(js.at("attributes"), "crew.tool.attempts");
            FUZZ_CHECK(v && v->at("intValue").get<std::string>() == std::to_string(i1), body);
        }
    }
    {
        tacit::detail::byte_buffer buf;
        tacit::detail::encode_protobuf(payload, buf);
        std::vector<std::string> strings;
        FUZZ_CHECK(check_protobuf(buf.view(), strings) == 1, "one span");
        if (n_attrs > 0) {
            bool found = false;
            for (const auto& x : strings) found = found || x == s[0];
            FUZZ_CHECK(found, s[0]);
        }
    }

#if TACIT_FUZZ_ELASTIC
    // Elasticsearch bulk: an action line and a document line, both strict JSON.
    {
        std::string out;
        tacit::append_elastic_bulk(out, span, "tacit-spans", s[2]);
        FUZZ_CHECK(!out.empty() && out.back() == '\n', out);
        std::size_t lines = 0;
        for (std::size_t at = 0; at < out.size();) {
            std::size_t nl = out.find('\n', at);
            FUZZ_CHECK(nl != std::string::npos, out);
            try {
                auto doc = nlohmann::json::parse(out.substr(at, nl - at));
                FUZZ_CHECK(doc.is_object(), out);
            } catch (const std::exception& e) {
                fuzz::fail(e.what(), out);
            }
            ++lines;
            at = nl + 1;
        }
        FUZZ_CHECK(lines == 2, out);
    }
#endif
    return 0;
}
