#pragma once
/// Minimal JSON and HTML writing helpers for the analyzer, tacit-report and the Chrome trace
/// exporter (kept in their own namespace so they never clash with other exporters' helpers).
#include <cmath>        // std::isfinite
#include <cstdint>      // integers
#include <iterator>     // std::back_inserter
#include <string>       // output buffer
#include <string_view>  // input text

#include <fmt/format.h>  // shortest round-trip doubles

#include "../config.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail::ajson {

/// Appends `s` as a quoted JSON string; control characters become \u escapes.
inline void json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

/// Appends a JSON number; NaN and infinities are not JSON, so they become null.
inline void json_number(std::string& out, double v) {
    if (!std::isfinite(v)) { out += "null"; return; }
    fmt::format_to(std::back_inserter(out), "{}", v);
}

inline void json_number(std::string& out, std::uint64_t v) { fmt::format_to(std::back_inserter(out), "{}", v); }
inline void json_number(std::string& out, std::int64_t v) { fmt::format_to(std::back_inserter(out), "{}", v); }

/// Escapes text for HTML element content and attribute values.
inline void html_escape(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
        }
    }
}

}  // namespace detail::ajson
}  // namespace tacit::inline TACIT_ABI
