#pragma once
/// Span kinds: a name fixed at compile time and the list of attributes the kind accepts.
///
///     struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts> {};
///     struct task_run   : tacit::span_kind<"task_execution", tacit::shares_content, task_id,
///                                          task_description> {};
///     struct retry      : tacit::event_kind<"retry", attempts> {};
///
/// Options that may appear in the list: tacit::shares_content (the kind may carry content
/// attributes, recorded only while sharing is on), tacit::adhoc_keys (the kind also takes
/// ad-hoc public keys: `span.set<"cache.hits">(3)`), tacit::role<span_role::client> (the
/// OpenTelemetry span kind; internal by default).
#include <string_view>  // names
#include <type_traits>  // list membership

#include "attribute.hpp"
#include "config.hpp"
#include "detail/fixed_string.hpp"
#include "exporter.hpp"

namespace tacit::inline TACIT_ABI {

/// Opt-in: this span kind may carry content attributes (while sharing is switched on).
struct shares_content {};
/// Opt-in: this span kind also accepts ad-hoc public keys written at the call site.
struct adhoc_keys {};
/// The OpenTelemetry span kind of a span kind.
template <span_role R>
struct role {
    static constexpr span_role value = R;
};

namespace detail {

template <class T>
struct is_role : std::false_type {};
template <span_role R>
struct is_role<role<R>> : std::true_type {};

template <class T>
constexpr bool is_option = std::is_same_v<T, shares_content> || std::is_same_v<T, adhoc_keys> || is_role<T>::value;

template <class T>
consteval span_role role_value() {
    if constexpr (is_role<T>::value) return T::value;
    else return span_role::internal;
}

/// A span kind's run-time descriptor, referenced from every record of that kind.
struct kind_info {
    std::string_view name;
    span_role role;
    bool is_event;
};

constexpr bool valid_name(std::string_view n) noexcept { return valid_key(n); }

template <class T>
constexpr bool is_content_attr() {
    if constexpr (std::is_base_of_v<attribute_tag, T>) return T::level == sensitivity::content;
    else return false;
}
template <class T>
constexpr bool is_secret_attr() {
    if constexpr (std::is_base_of_v<attribute_tag, T>) return T::level == sensitivity::secret;
    else return false;
}

struct kind_tag {};

}  // namespace detail

template <detail::fixed_string Name, class... Items>
struct span_kind : detail::kind_tag {
    static constexpr std::string_view name = Name.view();
    static constexpr bool opts_in_content = (std::is_same_v<Items, shares_content> || ...);
    static constexpr bool allows_adhoc = (std::is_same_v<Items, adhoc_keys> || ...);
    static constexpr span_role span_role_value = [] {
        span_role r = span_role::internal;
        ((detail::is_role<Items>::value ? (void)(r = detail::role_value<Items>()) : (void)0), ...);
        return r;
    }();
    static constexpr detail::kind_info info{Name.view(), span_role_value, false};

    /// True when A is listed (options are not attributes).
    template <class A>
    static constexpr bool accepts = (std::is_same_v<A, Items> || ...);

    static_assert(detail::valid_name(Name.view()),
        "tacit: a span kind name must be 1-128 characters of [A-Za-z0-9_.-].");
    static_assert(((std::is_base_of_v<detail::attribute_tag, Items> || detail::is_option<Items>) && ...),
        "tacit: a span kind lists attribute declarations and options (tacit::shares_content, "
        "tacit::adhoc_keys, tacit::role<...>) only.");
    static_assert(!(detail::is_secret_attr<Items>() || ...),
        "tacit: a span kind lists a secret attribute; secrets can never be recorded on any span. "
        "Way out: remove it from the list and record a non-secret fact instead.");
    static_assert(opts_in_content || !(detail::is_content_attr<Items>() || ...),
        "tacit: a span kind lists a content attribute but does not opt in to content. Way out: add "
        "tacit::shares_content to the span kind's list; the attribute is then recorded only while "
        "sharing is switched on (pipeline::share_content(true)).");
};

/// An instantaneous event, recorded inside a span with `span.event<kind>()` or on its own
/// with `tacit::event<kind>()`.
template <detail::fixed_string Name, class... Items>
struct event_kind : span_kind<Name, Items...> {
    static constexpr detail::kind_info info{Name.view(), span_role::internal, true};
};

/// Satisfied by every span kind declaration.
template <class K>
concept span_kind_type = std::is_base_of_v<detail::kind_tag, K> && requires {
    { K::name } -> std::convertible_to<std::string_view>;
    K::info;
};

}  // namespace tacit::inline TACIT_ABI
