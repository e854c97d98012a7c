#pragma once
/// JSON text for exporters: escaping and values. Strings reaching here are valid UTF-8.
#include <cmath>        // std::isfinite
#include <iterator>     // std::back_inserter
#include <string>       // output buffer
#include <string_view>  // input

#include <fmt/format.h>  // shortest round-trip doubles, integers

#include "../config.hpp"
#include "../value.hpp"

namespace tacit::inline TACIT_ABI::detail {

inline void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c == 0x7F) fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
            else out.push_back(ch);
        }
    }
    out.push_back('"');
}

/// A finite double in shortest round-trip form; NaN and infinities become null (JSON has none).
inline void append_json_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    fmt::format_to(std::back_inserter(out), "{}", d);
}

inline void append_json_value(std::string& out, const value_view& v) {
    switch (v.type()) {
    case value_type::boolean: out += v.as_bool() ? "true" : "false"; return;
    case value_type::int64: fmt::format_to(std::back_inserter(out), "{}", v.as_int()); return;
    case value_type::float64: append_json_double(out, v.as_double()); return;
    case value_type::string: append_json_string(out, v.as_string()); return;
    default: {
        out.push_back('[');
        bool first = true;
        for (const auto& item : v.items()) {
            if (!first) out.push_back(',');
            first = false;
            append_json_value(out, item);
        }
        out.push_back(']');
    }
    }
}

}  // namespace tacit::inline TACIT_ABI::detail
