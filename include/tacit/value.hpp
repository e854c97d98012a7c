#pragma once
/// Read-only views of recorded values, as exporters see them.
#include <cstddef>      // offsetof, for the decoder's layout checks
#include <cstdint>      // value storage
#include <span>         // array elements
#include <string_view>  // keys and strings

#include "config.hpp"

namespace tacit::inline TACIT_ABI {

namespace detail {
struct value_layout;
}

/// How much an attribute may reveal.
///  - public_data: anonymous facts (counts, flags, model names, tool names): always recorded.
///  - content:     what people wrote or a model produced (prompts, goals, outputs): only on span
///                 kinds that opt in with tacit::shares_content, and only while sharing is on.
///  - secret:      keys, tokens, passwords, environment values: never compiles on any span.
enum class sensitivity : std::uint8_t { public_data, content, secret };

/// The value types an attribute may hold: OTLP's AnyValue scalars and homogeneous arrays.
enum class value_type : std::uint8_t {
    boolean,
    int64,
    float64,
    string,
    bool_array,
    int64_array,
    float64_array,
    string_array,
};

constexpr bool is_array(value_type t) noexcept { return t >= value_type::bool_array; }

/// The element type of an array type (the type itself for scalars).
constexpr value_type element_type(value_type t) noexcept {
    switch (t) {
    case value_type::bool_array: return value_type::boolean;
    case value_type::int64_array: return value_type::int64;
    case value_type::float64_array: return value_type::float64;
    case value_type::string_array: return value_type::string;
    default: return t;
    }
}

constexpr std::string_view to_string(value_type t) noexcept {
    switch (t) {
    case value_type::boolean: return "bool";
    case value_type::int64: return "int64";
    case value_type::float64: return "double";
    case value_type::string: return "string";
    case value_type::bool_array: return "bool[]";
    case value_type::int64_array: return "int64[]";
    case value_type::float64_array: return "double[]";
    case value_type::string_array: return "string[]";
    }
    return "?";
}

constexpr std::string_view to_string(sensitivity s) noexcept {
    switch (s) {
    case sensitivity::public_data: return "public";
    case sensitivity::content: return "content";
    case sensitivity::secret: return "secret";
    }
    return "?";
}

/// One value: a scalar, or an array whose elements are scalar value_views.
/// Strings are valid UTF-8 (invalid bytes were replaced by U+FFFD when recorded).
class value_view {
public:
    constexpr value_view() noexcept : type_(value_type::boolean), size_(0), i_(0) {}
    static constexpr value_view of(bool v) noexcept { value_view x; x.type_ = value_type::boolean; x.i_ = v; return x; }
    static constexpr value_view of(std::int64_t v) noexcept { value_view x; x.type_ = value_type::int64; x.i_ = v; return x; }
    static constexpr value_view of(double v) noexcept { value_view x; x.type_ = value_type::float64; x.d_ = v; return x; }
    static constexpr value_view of(std::string_view v) noexcept {
        value_view x;
        x.type_ = value_type::string;
        x.size_ = v.size();
        x.chars_ = v.data();
        return x;
    }
    static constexpr value_view array(value_type t, std::span<const value_view> items) noexcept {
        value_view x;
        x.type_ = t;
        x.size_ = items.size();
        x.items_ = items.data();
        return x;
    }

    constexpr value_type type() const noexcept { return type_; }
    constexpr bool as_bool() const noexcept { return type_ == value_type::boolean && i_ != 0; }
    constexpr std::int64_t as_int() const noexcept { return type_ == value_type::int64 || type_ == value_type::boolean ? i_ : 0; }
    constexpr double as_double() const noexcept { return type_ == value_type::float64 ? d_ : 0.0; }
    constexpr std::string_view as_string() const noexcept {
        return type_ == value_type::string ? std::string_view(chars_, size_) : std::string_view{};
    }
    /// Elements of an array value (empty for scalars).
    constexpr std::span<const value_view> items() const noexcept {
        return is_array(type_) ? std::span<const value_view>(items_, size_) : std::span<const value_view>{};
    }

private:
    friend struct detail::value_layout;

    // 24 bytes: the background thread builds one per attribute of every span it exports.
    value_type type_;
    std::size_t size_;  // string length or element count
    union {
        std::int64_t i_;
        double d_;
        const char* chars_;
        const value_view* items_;
    };
};

static_assert(sizeof(value_view) == 24, "value_view is three words: type, size, and a value or pointer.");

/// One recorded attribute: its key (from the schema, never from run-time text), its
/// sensitivity and its value.
struct attribute_view {
    std::string_view key;
    tacit::sensitivity sensitivity = sensitivity::public_data;
    value_view value;
};

namespace detail {
/// Where a value's words lie, for the background thread, which writes an attribute view as its
/// constant part (key, sensitivity, the value's type) and then the value's size and payload words.
struct value_layout {
    static constexpr std::size_t size_offset = offsetof(value_view, size_);
    static constexpr std::size_t payload_offset = offsetof(value_view, i_);
    /// The bytes of an attribute view before its value's size: key, sensitivity and type.
    static constexpr std::size_t constant_bytes = offsetof(attribute_view, value) + size_offset;
};
static_assert(value_layout::payload_offset == value_layout::size_offset + 8 &&
                  sizeof(value_view) == value_layout::payload_offset + 8 &&
                  sizeof(attribute_view) == value_layout::constant_bytes + 16,
              "An attribute view ends with its value's size and payload words.");
}  // namespace detail

}  // namespace tacit::inline TACIT_ABI
