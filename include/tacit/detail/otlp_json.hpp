#pragma once
/// OTLP/JSON: the protobuf JSON mapping with OTLP's exceptions (lowerCamelCase keys, trace and
/// span ids as lowercase hex, enums as integers, 64-bit integers as decimal strings), and a
/// reader for the response's partialSuccess.
#include <array>        // hex ids
#include <charconv>     // std::to_chars, std::from_chars
#include <cmath>        // std::isnan, std::isinf
#include <cstdint>      // integers
#include <optional>     // response parsing
#include <string>       // error messages
#include <string_view>  // text
#include <system_error> // std::errc
#include <utility>      // std::move

#include "otlp_common.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail {

class json_writer {
public:
    explicit json_writer(byte_buffer& b) noexcept : b_(b) {}
    void raw(std::string_view s) { b_.put(s); }
    void raw(char c) { b_.put(c); }
    void string(std::string_view s) {
        char* p = b_.grow(s.size() * 6 + 2);
        std::size_t n = 0;
        p[n++] = '"';
        for (char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == '"' || c == '\\') {
                p[n++] = '\\';
                p[n++] = static_cast<char>(c);
            } else if (c < 0x20) {
                p[n++] = '\\';
                switch (c) {
                case '\n': p[n++] = 'n'; break;
                case '\r': p[n++] = 'r'; break;
                case '\t': p[n++] = 't'; break;
                case '\b': p[n++] = 'b'; break;
                case '\f': p[n++] = 'f'; break;
                default:
                    p[n++] = 'u';
                    p[n++] = '0';
                    p[n++] = '0';
                    p[n++] = hex_digits[c >> 4];
                    p[n++] = hex_digits[c & 0xF];
                }
            } else {
                p[n++] = static_cast<char>(c);
            }
        }
        p[n++] = '"';
        b_.commit(n);
    }
    template <class Int>
    void integer(Int v) {
        char* p = b_.grow(24);
        b_.commit(static_cast<std::size_t>(std::to_chars(p, p + 24, v).ptr - p));
    }
    /// 64-bit integers are JSON strings in OTLP/JSON, so no reader loses precision.
    template <class Int>
    void quoted_integer(Int v) {
        raw('"');
        integer(v);
        raw('"');
    }
    void number(double v) {
        // Proto3 JSON spells the non-finite doubles as strings.
        if (std::isnan(v)) return raw("\"NaN\"");
        if (std::isinf(v)) return raw(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        char* p = b_.grow(32);
        b_.commit(static_cast<std::size_t>(std::to_chars(p, p + 32, v).ptr - p));
    }
    template <std::size_t N>
    void hex(const std::array<char, N>& h) {
        raw('"');
        raw(std::string_view(h.data(), N));
        raw('"');
    }

private:
    byte_buffer& b_;
};

/// Writes `one(item)` for each item, separated by commas.
template <class Range, class Fn>
void json_each(json_writer& w, const Range& items, Fn&& one) {
    bool first = true;
    for (const auto& item : items) {
        if (!first) w.raw(',');
        first = false;
        one(item);
    }
}

inline void json_any_value(json_writer& w, const value_view& v) {
    switch (v.type()) {
    case value_type::string: w.raw("{\"stringValue\":"); w.string(v.as_string()); break;
    case value_type::boolean: w.raw(v.as_bool() ? "{\"boolValue\":true" : "{\"boolValue\":false"); break;
    case value_type::int64: w.raw("{\"intValue\":"); w.quoted_integer(v.as_int()); break;
    case value_type::float64: w.raw("{\"doubleValue\":"); w.number(v.as_double()); break;
    default: {
        w.raw("{\"arrayValue\":{\"values\":[");
        json_each(w, v.items(), [&](const value_view& item) { json_any_value(w, item); });
        w.raw("]}");
    }
    }
    w.raw('}');
}

inline void json_key_value(json_writer& w, std::string_view key, const value_view& v) {
    w.raw("{\"key\":");
    w.string(key);
    w.raw(",\"value\":");
    json_any_value(w, v);
    w.raw('}');
}

inline void json_attributes(json_writer& w, std::span<const attribute_view> attrs, bool& first) {
    for (const auto& a : attrs) {
        if (!first) w.raw(',');
        first = false;
        json_key_value(w, a.key, a.value);
    }
}

/// traceId, spanId and (when set) traceState: the same in Span and Span.Link.
inline void json_ids(json_writer& w, const span_context& c, std::string_view trace_state) {
    w.raw("{\"traceId\":");
    w.hex(c.trace.hex());
    w.raw(",\"spanId\":");
    w.hex(c.span.hex());
    if (!trace_state.empty()) {
        w.raw(",\"traceState\":");
        w.string(trace_state);
    }
}

inline void json_link(json_writer& w, const link_view& l) {
    json_ids(w, l.context, l.trace_state);
    if (!l.attributes.empty()) {
        w.raw(",\"attributes\":[");
        bool first = true;
        json_attributes(w, l.attributes, first);
        w.raw(']');
    }
    w.raw(",\"flags\":");
    w.integer(otlp_flags(l));
    w.raw('}');
}

inline void json_span(json_writer& w, const span_view& s) {
    json_ids(w, s.context, s.trace_state);
    if (s.parent.valid()) {
        w.raw(",\"parentSpanId\":");
        w.hex(s.parent.hex());
    }
    w.raw(",\"flags\":");
    w.integer(otlp_flags(s));
    w.raw(",\"name\":");
    w.string(s.name);
    w.raw(",\"kind\":");
    w.integer(otlp_kind(s.role));
    w.raw(",\"startTimeUnixNano\":");
    w.quoted_integer(s.start_unix_ns);
    w.raw(",\"endTimeUnixNano\":");
    w.quoted_integer(s.end_unix_ns);
    w.raw(",\"attributes\":[");
    bool first = true;
    json_attributes(w, s.attributes, first);
    if (needs_error_type(s)) {
        if (!first) w.raw(',');
        json_key_value(w, error_type_key, value_view::of(s.error_type));
    }
    w.raw(']');
    if (s.dropped_attributes) {
        w.raw(",\"droppedAttributesCount\":");
        w.integer(s.dropped_attributes);
    }
    if (!s.events.empty()) {
        w.raw(",\"events\":[");
        json_each(w, s.events, [&](const event_view& e) {
            w.raw("{\"timeUnixNano\":");
            w.quoted_integer(e.time_unix_ns);
            w.raw(",\"name\":");
            w.string(e.name);
            w.raw(",\"attributes\":[");
            bool first_attr = true;
            json_attributes(w, e.attributes, first_attr);
            w.raw("]}");
        });
        w.raw(']');
    }
    if (s.dropped_events) {
        w.raw(",\"droppedEventsCount\":");
        w.integer(s.dropped_events);
    }
    if (!s.links.empty()) {
        w.raw(",\"links\":[");
        json_each(w, s.links, [&](const link_view& l) { json_link(w, l); });
        w.raw(']');
    }
    if (s.dropped_links) {
        w.raw(",\"droppedLinksCount\":");
        w.integer(s.dropped_links);
    }
    if (s.status != status_code::unset) {
        w.raw(",\"status\":{");
        if (s.status == status_code::error && !s.error_type.empty()) {
            w.raw("\"message\":");
            w.string(s.error_type);
            w.raw(',');
        }
        w.raw("\"code\":");
        w.integer(otlp_status(s.status));
        w.raw('}');
    }
    w.raw('}');
}

/// Encodes the payload as an OTLP/JSON ExportTraceServiceRequest into `out` (cleared first).
inline void encode_json(const otlp_payload& p, byte_buffer& out) {
    out.clear();
    json_writer w(out);
    w.raw("{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    bool first = true;
    json_attributes(w, p.resource, first);
    w.raw("]},\"scopeSpans\":[{\"scope\":{\"name\":");
    w.string(p.scope_name);
    w.raw(",\"version\":");
    w.string(p.scope_version);
    w.raw("},\"spans\":[");
    json_each(w, p.spans, [&](const span_view& s) { json_span(w, s); });
    w.raw("]}]}]}");
}

/// A minimal, strict JSON reader: enough to find partialSuccess in a response and to skip
/// everything else. Depth is bounded so hostile input cannot overflow the stack.
class json_reader {
public:
    explicit json_reader(std::string_view s) noexcept : s_(s) {}
    bool ok() const noexcept { return ok_; }

    void ws() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool eat(char c) noexcept {
        ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    char peek() noexcept {
        ws();
        return i_ < s_.size() ? s_[i_] : '\0';
    }
    bool at_end() noexcept {
        ws();
        return i_ == s_.size();
    }
    /// A string's content with escapes decoded (\uXXXX outside ASCII becomes UTF-8).
    std::optional<std::string> string() {
        if (!eat('"')) return fail();
        std::string out;
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return fail();
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) return fail();
            const char e = s_[i_++];
            switch (e) {
            case '"': case '\\': case '/': out += e; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                if (s_.size() - i_ < 4) return fail();
                unsigned cp = 0;
                for (int k = 0; k < 4; ++k) {
                    const char h = s_[i_++];
                    cp <<= 4;
                    if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
                    else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
                    else return fail();
                }
                if (cp < 0x80) out += static_cast<char>(cp);
                else if (cp < 0x800) {
                    out += static_cast<char>(0xC0 | (cp >> 6));
                    out += static_cast<char>(0x80 | (cp & 0x3F));
                } else {  // surrogates are kept as-is (encoded individually): only messages use this
                    out += static_cast<char>(0xE0 | (cp >> 12));
                    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                    out += static_cast<char>(0x80 | (cp & 0x3F));
                }
                break;
            }
            default: return fail();
            }
        }
        return fail();
    }
    /// A JSON number's text (validated loosely: sign, digits, fraction, exponent).
    std::optional<std::string_view> number() noexcept {
        ws();
        const auto start = i_;
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        const auto digits = i_;
        while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '.' || s_[i_] == 'e' ||
                                  s_[i_] == 'E' || s_[i_] == '+' || s_[i_] == '-'))
            ++i_;
        if (i_ == digits) {
            ok_ = false;
            return std::nullopt;
        }
        return s_.substr(start, i_ - start);
    }
    bool literal(std::string_view w) noexcept {
        ws();
        if (s_.substr(i_, w.size()) != w) return ok_ = false;
        i_ += w.size();
        return true;
    }
    /// Skips any value.
    bool skip(int depth = 0) {
        if (depth > 64) return ok_ = false;
        switch (peek()) {
        case '{':
            eat('{');
            if (eat('}')) return true;
            do {
                if (!string() || !eat(':') || !skip(depth + 1)) return ok_ = false;
            } while (eat(','));
            return eat('}') || (ok_ = false);
        case '[':
            eat('[');
            if (eat(']')) return true;
            do {
                if (!skip(depth + 1)) return ok_ = false;
            } while (eat(','));
            return eat(']') || (ok_ = false);
        case '"': return string().has_value();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number().has_value();
        }
    }

private:
    std::nullopt_t fail() noexcept {
        ok_ = false;
        return std::nullopt;
    }
    std::string_view s_;
    std::size_t i_ = 0;
    bool ok_ = true;
};

/// Parses an OTLP/JSON ExportTraceServiceResponse; nullopt if it is not valid JSON.
/// rejectedSpans may be a string (the OTLP/JSON form of int64) or a number; the
/// snake_case field names some receivers send are accepted too. Empty body: full success.
inline std::optional<partial_success> decode_json_response(std::string_view body) {
    partial_success out;
    json_reader r(body);
    if (r.at_end()) return out;
    if (!r.eat('{')) return std::nullopt;
    auto read_int = [&](json_reader& jr) -> std::optional<std::uint64_t> {
        std::string text;
        if (jr.peek() == '"') {
            auto s = jr.string();
            if (!s) return std::nullopt;
            text = *s;
        } else {
            auto n = jr.number();
            if (!n) return std::nullopt;
            text = std::string(*n);
        }
        std::int64_t v = 0;
        const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
        if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) return std::nullopt;
        return v > 0 ? static_cast<std::uint64_t>(v) : 0;
    };
    if (!r.eat('}')) {
        do {
            auto key = r.string();
            if (!key || !r.eat(':')) return std::nullopt;
            if ((*key == "partialSuccess" || *key == "partial_success") && r.peek() == '{') {
                r.eat('{');
                if (!r.eat('}')) {
                    do {
                        auto k = r.string();
                        if (!k || !r.eat(':')) return std::nullopt;
                        if (*k == "rejectedSpans" || *k == "rejected_spans") {
                            auto v = read_int(r);
                            if (!v) return std::nullopt;
                            out.rejected_spans = *v;
                        } else if ((*k == "errorMessage" || *k == "error_message") && r.peek() == '"') {
                            auto m = r.string();
                            if (!m) return std::nullopt;
                            out.error_message = std::move(*m);
                        } else if (!r.skip()) {
                            return std::nullopt;
                        }
                    } while (r.eat(','));
                    if (!r.eat('}')) return std::nullopt;
                }
            } else if (!r.skip()) {
                return std::nullopt;
            }
        } while (r.eat(','));
        if (!r.eat('}')) return std::nullopt;
    }
    if (!r.ok() || !r.at_end()) return std::nullopt;
    return out;
}

}  // namespace detail
}  // namespace tacit::inline TACIT_ABI
