#pragma once
/// Attributes: a key, a value type and a sensitivity, declared once at compile time.
///
///     struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
///     struct attempts  : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
///     struct goal      : tacit::content<"crew.agent.goal", std::string_view> {};
///     struct api_key   : tacit::secret<"llm.api_key", std::string_view> {};
///
/// Declare each attribute as a struct (not an alias): compilers then name it in diagnostics.
#include <concepts>     // value type checks
#include <cstdint>      // std::int64_t
#include <iterator>     // std::begin for list values
#include <string>       // std::string accepted as a string value
#include <string_view>  // string values
#include <type_traits>  // trait checks

#include "config.hpp"
#include "detail/fixed_string.hpp"
#include "detail/key_rules.hpp"
#include "value.hpp"

namespace tacit::inline TACIT_ABI {

/// Marks an attribute's value type as a small homogeneous array: `tacit::list<std::string_view>`.
/// At most TACIT_MAX_ARRAY elements are kept.
template <class T>
struct list {
    using element_type = T;
};

namespace detail {

template <class T>
struct is_list : std::false_type {};
template <class T>
struct is_list<list<T>> : std::true_type {};

template <class T>
inline constexpr bool is_char_type = std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
    std::is_same_v<T, unsigned char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

template <class T>
consteval value_type scalar_wire_type() {
    if constexpr (std::is_same_v<T, bool>) return value_type::boolean;
    else if constexpr (std::is_integral_v<T> && !is_char_type<T>) return value_type::int64;
    else if constexpr (std::is_floating_point_v<T>) return value_type::float64;
    else if constexpr (std::is_same_v<T, std::string_view>) return value_type::string;
    else static_assert(sizeof(T) == 0,
        "tacit: an attribute's value type must be bool, an integer, a floating-point type, "
        "std::string_view or tacit::list<one of those>.");
}

template <class T>
consteval value_type wire_type() {
    if constexpr (is_list<T>::value) {
        switch (scalar_wire_type<typename T::element_type>()) {
        case value_type::boolean: return value_type::bool_array;
        case value_type::int64: return value_type::int64_array;
        case value_type::float64: return value_type::float64_array;
        default: return value_type::string_array;
        }
    } else {
        return scalar_wire_type<T>();
    }
}

/// What the background thread needs to know about an attribute, one per attribute type.
struct attribute_info {
    std::string_view key;
    tacit::sensitivity sensitivity;
    value_type type;
};

struct attribute_tag {};

}  // namespace detail

/// An attribute declaration. The sensitivity defaults to public; a public attribute whose key
/// names content or a secret (see detail/key_rules.hpp) does not compile.
template <detail::fixed_string Key, class T, sensitivity S = sensitivity::public_data>
struct attribute : detail::attribute_tag {
    using declared_type = T;
    static constexpr std::string_view key = Key.view();
    static constexpr tacit::sensitivity level = S;
    static constexpr value_type wire = detail::wire_type<T>();
    static constexpr detail::attribute_info info{Key.view(), S, detail::wire_type<T>()};

    static_assert(detail::valid_key(Key.view()),
        "tacit: an attribute key must be 1-128 characters of [A-Za-z0-9_.-] with no empty segment.");
    static_assert(!(S == sensitivity::public_data && detail::classify_key(Key.view()) == sensitivity::content),
        "tacit: this attribute's key names content (prompt, goal, backstory, description, output, "
        "input, message, ...), so it cannot be declared public. Way out: declare it with "
        "tacit::content<...> and list it on a span kind that has tacit::shares_content, or rename "
        "the key if it holds a count or a flag (e.g. '..._count', '..._length', '..._present').");
    static_assert(!(S != sensitivity::secret && detail::classify_key(Key.view()) == sensitivity::secret),
        "tacit: this attribute's key names a secret (api_key, token, password, credential, env, ...), "
        "so it must be declared tacit::secret<...>, which can never be recorded. Way out: record a "
        "non-secret fact instead, such as whether the secret is set.");
};

/// Content: recorded only on span kinds that opt in, and only while sharing is switched on.
template <detail::fixed_string Key, class T>
using content = attribute<Key, T, sensitivity::content>;

/// A secret: may be declared (so code can name it) but never compiles on any span.
template <detail::fixed_string Key, class T>
using secret = attribute<Key, T, sensitivity::secret>;

/// Satisfied by every attribute declaration.
template <class A>
concept attribute_type = std::is_base_of_v<detail::attribute_tag, A> && requires {
    { A::key } -> std::convertible_to<std::string_view>;
    A::level;
    A::wire;
};

namespace detail {

/// An ad-hoc key written at the call site: `span.set<"crew.cache_hits">(3)`. Public only.
template <fixed_string Key, value_type W>
struct adhoc_attribute : attribute_tag {
    static constexpr std::string_view key = Key.view();
    static constexpr tacit::sensitivity level = sensitivity::public_data;
    static constexpr value_type wire = W;
    static constexpr attribute_info info{Key.view(), sensitivity::public_data, W};
};

/// The wire type of a value passed to an ad-hoc key.
template <class V>
consteval value_type adhoc_wire_type() {
    using D = std::remove_cvref_t<V>;
    if constexpr (std::is_same_v<D, bool>) return value_type::boolean;
    else if constexpr (std::is_integral_v<D> && !is_char_type<D>) return value_type::int64;
    else if constexpr (std::is_floating_point_v<D>) return value_type::float64;
    else if constexpr (std::is_convertible_v<V, std::string_view>) return value_type::string;
    else static_assert(sizeof(D) == 0,
        "tacit: an ad-hoc attribute value must be bool, an integer, a floating-point number or a string.");
}

/// Whether a value of type V may be recorded into an attribute of wire type W
/// (no narrowing from floating point to integer, no numbers as strings or booleans).
template <value_type W, class V>
inline constexpr bool accepts_value = [] {
    using D = std::remove_cvref_t<V>;
    if constexpr (W == value_type::boolean) return std::is_same_v<D, bool>;
    else if constexpr (W == value_type::int64) return std::is_integral_v<D> && !std::is_same_v<D, bool> && !is_char_type<D>;
    else if constexpr (W == value_type::float64) return std::is_arithmetic_v<D> && !std::is_same_v<D, bool> && !is_char_type<D>;
    else if constexpr (W == value_type::string) return std::is_convertible_v<V, std::string_view> && !std::is_same_v<D, std::nullptr_t>;
    else {
        // an array: any range whose elements are accepted by the element type
        if constexpr (requires(const D& r) { std::begin(r); std::end(r); } && !std::is_convertible_v<V, std::string_view>) {
            using E = decltype(*std::begin(std::declval<const D&>()));
            if constexpr (W == value_type::bool_array) return std::is_same_v<std::remove_cvref_t<E>, bool>;
            else if constexpr (W == value_type::int64_array) return std::is_integral_v<std::remove_cvref_t<E>> && !std::is_same_v<std::remove_cvref_t<E>, bool>;
            else if constexpr (W == value_type::float64_array) return std::is_arithmetic_v<std::remove_cvref_t<E>> && !std::is_same_v<std::remove_cvref_t<E>, bool>;
            else return std::is_convertible_v<E, std::string_view>;
        } else {
            return false;
        }
    }
}();

}  // namespace detail
}  // namespace tacit::inline TACIT_ABI
