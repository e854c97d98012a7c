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
#include <array>        // the slot table
#include <cstddef>      // std::size_t
#include <cstdint>      // slot counts
#include <cstring>      // std::memcpy from slots
#include <string_view>  // names
#include <type_traits>  // list membership
#include <utility>      // std::index_sequence over slots

#include "attribute.hpp"
#include "config.hpp"
#include "detail/fixed_string.hpp"
#include "detail/record.hpp"
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

/// Copies a string's bytes out of a record, where they lie 8-byte aligned and padded to a
/// multiple of 8 (so whole words may be read), to dst (8-byte aligned, room for them).
/// Word by word, with no call: a memcpy call would make every caller save registers.
inline void copy_padded(char* dst, const std::byte* src, std::size_t n) noexcept {
    auto word = [&](std::size_t i) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        std::memcpy(dst + i, &w, 8);
    };
    word(0);
    if (TACIT_LIKELY(n <= 16)) {  // the common case, names of models and tools
        if (n > 8) word(8);
        return;
    }
    for (std::size_t i = 8; i < n; i += 8) {
        word(i);
#if defined(__GNUC__) || defined(__clang__)
        asm("" : "+r"(i));  // a plain word loop: a vectorised one costs the short strings its checks
#endif
    }
}

/// What the background thread needs to turn a record's slots into views that outlive the
/// record (read where it lies in a ring): where strings go, and the decoder for arrays.
struct decode_sink {
    char* chars;  // the next free byte of the decoder's string arena (8-byte aligned)
    void* self;
    value_view (*decode)(decode_sink& sink, value_type type, std::uint32_t count, const std::byte* payload);

    /// A copy of the n bytes at src in the arena.
    std::string_view string(const std::byte* src, std::size_t n) noexcept {
        char* dst = chars;
        copy_padded(dst, src, n);
        chars += round8(n);
        return {dst, n};
    }
};

/// The background thread's place in a ring and in the batch it fills (decoder.hpp).
struct run_cursor;

/// Decodes the run of records of one span kind that starts at the cursor, up to the first
/// record of another kind or the end of the batch. Generated per span kind (decode_run<Kind>,
/// defined in decoder.hpp), so a slot's key and type are constants and a run of same-kind
/// records costs one call, not one per record.
using run_decoder = void (*)(run_cursor& cursor) noexcept;

template <class Kind>
void decode_run(run_cursor& cursor) noexcept;

/// A span kind's run-time descriptor, referenced from every record of that kind. Its declared
/// attributes each own one 8-byte slot of the record, in declaration order.
struct kind_info {
    std::string_view name;
    span_role role;
    bool is_event;
    const attribute_info* const* slots;  // slot_count entries, static storage
    std::uint32_t slot_count;
    run_decoder decode;
};

/// An attribute's view before its value is known: its key, sensitivity and value type.
template <const attribute_info* Info>
inline constexpr attribute_view attribute_prototype = [] {
    constexpr value_type t = Info->type;
    value_view v;
    if constexpr (t == value_type::int64) v = value_view::of(std::int64_t{0});
    else if constexpr (t == value_type::float64) v = value_view::of(0.0);
    else if constexpr (t == value_type::string) v = value_view::of(std::string_view{});
    else if constexpr (is_array(t)) v = value_view::array(t, {});
    return attribute_view{Info->key, Info->sensitivity, v};
}();

/// Writes slot i's attribute view to out: the prototype's constant bytes, then the value's size
/// and payload words. Four stores where building the view field by field takes six. A scalar is
/// the slot's word; a string or array lives in the tail at the offset in the slot's low half,
/// with its length or count in the high half.
template <const attribute_info* Info>
void put_attribute(attribute_view* out, const std::byte* slots, std::size_t i, decode_sink& sink) noexcept {
    constexpr value_type t = Info->type;
    std::uint64_t w;
    std::memcpy(&w, slots + 8 * i, 8);
    if constexpr (is_array(t)) {
        *out = attribute_view{Info->key, Info->sensitivity, sink.decode(sink, t, slot_aux(w), slots + slot_offset(w))};
    } else {
        std::uint64_t words[2] = {0, w};  // size, payload: an int64's or a double's bits as they are
        if constexpr (t == value_type::boolean) {
            words[1] = w != 0;
        } else if constexpr (t == value_type::string) {
            words[0] = slot_aux(w);
            words[1] = reinterpret_cast<std::uintptr_t>(sink.string(slots + slot_offset(w), slot_aux(w)).data());
        }
        auto* bytes = reinterpret_cast<std::byte*>(out);
        std::memcpy(bytes, &attribute_prototype<Info>, value_layout::constant_bytes);
        std::memcpy(bytes + value_layout::constant_bytes, words, sizeof words);
    }
}

template <auto& Infos, std::size_t... I>
std::size_t decode_slots(const std::byte* slots, std::uint64_t present, attribute_view* out, decode_sink& sink,
                         std::index_sequence<I...>) noexcept {
    (void)slots, (void)present, (void)sink;  // a kind without attributes
    constexpr std::uint64_t all = sizeof...(I) >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << sizeof...(I)) - 1;
    if (present == all) {  // every attribute set, as instrumentation usually does: no tests
        (put_attribute<Infos[I]>(out + I, slots, I, sink), ...);
        return sizeof...(I);
    }
    std::size_t n = 0;
    ((present >> I & 1 ? put_attribute<Infos[I]>(out + n++, slots, I, sink) : (void)0), ...);
    return n;
}

/// The most attributes one span kind may declare: one bit each in a record's presence mask.
inline constexpr std::size_t max_kind_attributes = 64;

template <class T>
constexpr const attribute_info* info_or_null() noexcept {
    if constexpr (std::is_base_of_v<attribute_tag, T>) return &T::info;
    else return nullptr;
}

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
    /// The declared attributes (options left out), one record slot each.
    static constexpr std::size_t attribute_count = (std::size_t{std::is_base_of_v<detail::attribute_tag, Items>} + ... + 0);
    static constexpr std::array<const detail::attribute_info*, attribute_count + 1> slot_infos = [] {
        std::array<const detail::attribute_info*, attribute_count + 1> a{};
        std::size_t i = 0;
        ((std::is_base_of_v<detail::attribute_tag, Items> ? (void)(a[i++] = detail::info_or_null<Items>()) : (void)0), ...);
        return a;
    }();
    /// Views of the slots whose bits are set in `present`, in declaration order, written to
    /// out; returns how many it wrote. Each slot's key and type are constants here.
    static std::size_t decode_slots(const std::byte* slots, std::uint64_t present, attribute_view* out,
                                    detail::decode_sink& sink) noexcept {
        return detail::decode_slots<slot_infos>(slots, present, out, sink, std::make_index_sequence<attribute_count>{});
    }
    static constexpr detail::kind_info info{Name.view(), span_role_value, false, slot_infos.data(),
                                            static_cast<std::uint32_t>(attribute_count), &detail::decode_run<span_kind>};

    /// True when A is listed (options are not attributes).
    template <class A>
    static constexpr bool accepts = (std::is_same_v<A, Items> || ...);

    /// A's slot in this kind's records: its position among the declared attributes (the first
    /// one if listed twice).
    template <class A>
    static constexpr std::size_t slot_of = [] {
        std::size_t i = 0, found = attribute_count;
        ((std::is_base_of_v<detail::attribute_tag, Items>
              ? (void)((std::is_same_v<A, Items> && found == attribute_count ? found = i : found), ++i)
              : (void)0),
         ...);
        return found;
    }();

    static_assert(detail::valid_name(Name.view()),
        "tacit: a span kind name must be 1-128 characters of [A-Za-z0-9_.-].");
    static_assert(((std::is_base_of_v<detail::attribute_tag, Items> || detail::is_option<Items>) && ...),
        "tacit: a span kind lists attribute declarations and options (tacit::shares_content, "
        "tacit::adhoc_keys, tacit::role<...>) only.");
    static_assert(!(detail::is_secret_attr<Items>() || ...),
        "tacit: a span kind lists a secret attribute; secrets can never be recorded on any span. "
        "Way out: remove it from the list and record a non-secret fact instead.");
    static_assert(attribute_count <= detail::max_kind_attributes,
        "tacit: a span kind declares at most 64 attributes (one presence bit each in its records). "
        "Way out: split the kind, or record the rarely used facts with tacit::adhoc_keys.");
    static_assert(opts_in_content || !(detail::is_content_attr<Items>() || ...),
        "tacit: a span kind lists a content attribute but does not opt in to content. Way out: add "
        "tacit::shares_content to the span kind's list; the attribute is then recorded only while "
        "sharing is switched on (pipeline::share_content(true)).");
};

/// An instantaneous event, recorded inside a span with `span.event<kind>()` or on its own
/// with `tacit::event<kind>()`.
template <detail::fixed_string Name, class... Items>
struct event_kind : span_kind<Name, Items...> {
    static constexpr detail::kind_info info{Name.view(), span_role::internal, true,
                                            span_kind<Name, Items...>::slot_infos.data(),
                                            static_cast<std::uint32_t>(span_kind<Name, Items...>::attribute_count),
                                            &detail::decode_run<span_kind<Name, Items...>>};
};

/// Satisfied by every span kind declaration.
template <class K>
concept span_kind_type = std::is_base_of_v<detail::kind_tag, K> && requires {
    { K::name } -> std::convertible_to<std::string_view>;
    K::info;
};

}  // namespace tacit::inline TACIT_ABI

// Every span kind's info names decode_run<Kind>, which the background thread's decoder defines.
#include "detail/decoder.hpp"
