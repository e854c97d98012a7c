#pragma once
/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and
/// `tracestate` headers, injected from and extracted into a tacit::span_context.
///
///     std::string h = tacit::inject_traceparent(span.context());   // "00-<trace>-<span>-01"
///     if (auto ctx = tacit::extract_traceparent(h)) { /* ctx->remote == true */ }
///
/// Parsing is strict: anything the specification calls invalid is rejected as a whole,
/// never half-accepted.
#include <array>        // fixed-size header buffers
#include <cstddef>      // std::size_t
#include <optional>     // extract results
#include <string>       // owned headers
#include <string_view>  // header input
#include <utility>      // std::pair
#include <vector>       // tracestate members

#include "config.hpp"
#include "ids.hpp"

namespace tacit::inline TACIT_ABI {

/// Length of a version-00 traceparent: "00-" + 32 + "-" + 16 + "-" + 2.
inline constexpr std::size_t traceparent_size = 55;

/// The traceparent of a context without allocating; all zero bytes ('\0') if `ctx` is invalid.
constexpr std::array<char, traceparent_size> traceparent_chars(const span_context& ctx) noexcept {
    std::array<char, traceparent_size> out{};
    if (!ctx.valid()) return out;
    auto put = [&](std::size_t at, std::uint64_t v, std::size_t digits) {
        for (std::size_t i = 0; i < digits; ++i) out[at + digits - 1 - i] = detail::hex_digits[(v >> (4 * i)) & 0xF];
    };
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    put(3, ctx.trace.hi, 16);
    put(19, ctx.trace.lo, 16);
    out[35] = '-';
    put(36, ctx.span.value, 16);
    out[52] = '-';
    put(53, ctx.flags, 2);
    return out;
}

/// "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>", or "" for an invalid context
/// (an invalid context must not be propagated).
inline std::string inject_traceparent(const span_context& ctx) {
    if (!ctx.valid()) return {};
    auto chars = traceparent_chars(ctx);
    return std::string(chars.data(), chars.size());
}

namespace detail {
constexpr bool parse_hex8(std::string_view s, std::uint8_t& out) noexcept {
    if (s.size() != 2) return false;
    unsigned v = 0;
    for (char c : s) {
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else return false;
        v = (v << 4) | d;
    }
    out = static_cast<std::uint8_t>(v);
    return true;
}
}  // namespace detail

/// Parses a traceparent header value. Rules (W3C Trace Context level 1, section 3.2):
///  - version is two lowercase hex digits; "ff" is invalid;
///  - version "00" must be exactly 55 characters;
///  - a higher version may be longer, but then character 55 must be '-'; its first 55
///    characters are parsed with the version-00 layout;
///  - trace id (32) and parent id (16) are lowercase hex and not all zeros; flags are 2 hex.
/// The result has `remote = true`. Surrounding spaces and tabs (HTTP OWS) are ignored.
constexpr std::optional<span_context> extract_traceparent(std::string_view h) noexcept {
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
    if (h.size() < traceparent_size) return std::nullopt;
    std::uint8_t version = 0;
    if (!detail::parse_hex8(h.substr(0, 2), version) || version == 0xff) return std::nullopt;
    if (version == 0 && h.size() != traceparent_size) return std::nullopt;
    if (version != 0 && h.size() > traceparent_size && h[traceparent_size] != '-') return std::nullopt;
    if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
    span_context ctx{};
    if (!detail::parse_hex64(h.substr(3, 16), ctx.trace.hi)) return std::nullopt;
    if (!detail::parse_hex64(h.substr(19, 16), ctx.trace.lo)) return std::nullopt;
    if (!detail::parse_hex64(h.substr(36, 16), ctx.span.value)) return std::nullopt;
    if (!detail::parse_hex8(h.substr(53, 2), ctx.flags)) return std::nullopt;
    if (!ctx.trace.valid() || !ctx.span.valid()) return std::nullopt;
    ctx.remote = true;
    return ctx;
}

/// A parsed `tracestate`: vendor key=value members, most recently updated first.
///
///     auto ts = tacit::trace_state::parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
///     ts->set("tacit", "s1");                 // moves/inserts at the front
///     std::string out = ts->header();         // "tacit=s1,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
class trace_state {
public:
    /// The specification's limit on list members.
    static constexpr std::size_t max_members = 32;

    /// Key grammar: simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/"),
    /// or tenant-id "@" system-id (tenant: (lcalpha / DIGIT) then up to 240 of those chars;
    /// system: lcalpha then up to 13).
    static constexpr bool valid_key(std::string_view k) noexcept {
        auto lc = [](char c) { return c >= 'a' && c <= 'z'; };
        auto dg = [](char c) { return c >= '0' && c <= '9'; };
        auto rest = [&](char c) { return lc(c) || dg(c) || c == '_' || c == '-' || c == '*' || c == '/'; };
        auto all_rest = [&](std::string_view s) {
            for (char c : s)
                if (!rest(c)) return false;
            return true;
        };
        if (k.empty()) return false;
        const auto at = k.find('@');
        if (at == std::string_view::npos) return k.size() <= 256 && lc(k[0]) && all_rest(k.substr(1));
        const auto tenant = k.substr(0, at), system = k.substr(at + 1);
        return !tenant.empty() && tenant.size() <= 241 && (lc(tenant[0]) || dg(tenant[0])) &&
               all_rest(tenant.substr(1)) && !system.empty() && system.size() <= 14 && lc(system[0]) &&
               all_rest(system.substr(1));
    }

    /// Value grammar: 1 to 256 printable ASCII characters except ',' and '=', not ending in a space.
    static constexpr bool valid_value(std::string_view v) noexcept {
        if (v.empty() || v.size() > 256 || v.back() == ' ') return false;
        for (char c : v)
            if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
        return true;
    }

    /// Parses a tracestate header. Empty list members and optional whitespace around members
    /// are allowed; an invalid member, a duplicate key or more than 32 members make the whole
    /// header invalid (std::nullopt), and it must then not be propagated.
    static std::optional<trace_state> parse(std::string_view h) {
        trace_state ts;
        while (true) {
            const auto comma = h.find(',');
            std::string_view m = h.substr(0, comma);
            while (!m.empty() && (m.front() == ' ' || m.front() == '\t')) m.remove_prefix(1);
            while (!m.empty() && (m.back() == ' ' || m.back() == '\t')) m.remove_suffix(1);
            if (!m.empty()) {
                const auto eq = m.find('=');
                if (eq == std::string_view::npos) return std::nullopt;
                const auto key = m.substr(0, eq), value = m.substr(eq + 1);
                if (!valid_key(key) || !valid_value(value) || ts.find(key) != nullptr) return std::nullopt;
                if (ts.members_.size() == max_members) return std::nullopt;
                ts.members_.emplace_back(std::string(key), std::string(value));
            }
            if (comma == std::string_view::npos) break;
            h.remove_prefix(comma + 1);
        }
        return ts;
    }

    /// The header value: members joined by ',' in order ("" when empty).
    std::string header() const {
        std::string out;
        for (const auto& [k, v] : members_) {
            if (!out.empty()) out += ',';
            out += k;
            out += '=';
            out += v;
        }
        return out;
    }

    /// The value of `key`, or nullptr.
    const std::string* find(std::string_view key) const noexcept {
        for (const auto& [k, v] : members_)
            if (k == key) return &v;
        return nullptr;
    }

    /// Adds or updates `key` and moves it to the front, as the specification requires of a
    /// vendor that modifies its entry. Returns false (and changes nothing) for an invalid key
    /// or value; when the list is full the last member is dropped to make room.
    bool set(std::string_view key, std::string_view value) {
        if (!valid_key(key) || !valid_value(value)) return false;
        erase(key);
        if (members_.size() == max_members) members_.pop_back();
        members_.emplace(members_.begin(), std::string(key), std::string(value));
        return true;
    }

    /// Removes `key`; true if it was present.
    bool erase(std::string_view key) {
        for (auto it = members_.begin(); it != members_.end(); ++it)
            if (it->first == key) {
                members_.erase(it);
                return true;
            }
        return false;
    }

    std::size_t size() const noexcept { return members_.size(); }
    bool empty() const noexcept { return members_.empty(); }
    const std::vector<std::pair<std::string, std::string>>& members() const noexcept { return members_; }
    bool operator==(const trace_state&) const = default;

private:
    std::vector<std::pair<std::string, std::string>> members_;
};

/// Same as trace_state::parse.
inline std::optional<trace_state> extract_tracestate(std::string_view h) { return trace_state::parse(h); }
/// Same as trace_state::header.
inline std::string inject_tracestate(const trace_state& ts) { return ts.header(); }

}  // namespace tacit::inline TACIT_ABI
