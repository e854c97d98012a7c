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
#include "json.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail::ajson {

/// Appends `s` as a quoted JSON string (the exporters' escaping, one implementation).
inline void json_string(std::string& out, std::string_view s) { append_json_string(out, s); }

/// Appends a JSON number; NaN and infinities are not JSON, so they become null.
inline void json_number(std::string& out, double v) { append_json_double(out, v); }

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
