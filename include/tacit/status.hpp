#pragma once
/// Error types: a short token fixed at compile time, or an exception's type, never free text.
#include <cstddef>      // std::size_t
#include <exception>    // std::exception
#include <string_view>  // the token
#include <string>       // std::char_traits
#include <typeinfo>     // typeid for exception types

#include "config.hpp"

namespace tacit::inline TACIT_ABI {

/// What went wrong, as a type: `"timeout"`, `"rate_limited"`, `"tool_not_found"`.
/// Built from a string literal at compile time: 1-64 characters of [A-Za-z0-9_.:-], no
/// spaces, so it cannot carry a message (and whatever a message might contain).
///
///     span.error("timeout");
///     span.error(tacit::error_type::of(e));   // an exception's type name
class error_type {
public:
    template <std::size_t N>
    consteval error_type(const char (&s)[N]) : text_(s), size_(N - 1), mangled_(false) {  // NOLINT: implicit from a literal
        if (N > 65 || s[0] == '\0') reject("tacit: an error type is 1-64 characters");
        for (std::size_t i = 0; i + 1 < N; ++i) {
            char c = s[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == ':' || c == '-';
            if (!ok) reject("tacit: an error type is a token like \"timeout\" (letters, digits, _ . : -), not a message");
        }
    }

    /// The dynamic type of an exception (its name is demangled on the background thread).
    static error_type of(const std::exception& e) noexcept { return error_type(typeid(e).name(), true); }

    std::string_view text() const noexcept { return {text_, size_}; }
    const char* data() const noexcept { return text_; }
    std::size_t size() const noexcept { return size_; }
    bool mangled() const noexcept { return mangled_; }

private:
    error_type(const char* mangled, bool) noexcept : text_(mangled), size_(std::char_traits<char>::length(mangled)), mangled_(true) {}
    // Called only in a failed constant evaluation: the compiler prints its argument.
    static void reject(const char*) {}

    const char* text_;
    std::size_t size_;
    bool mangled_;
};

}  // namespace tacit::inline TACIT_ABI
