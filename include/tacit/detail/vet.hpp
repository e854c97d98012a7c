#pragma once
/// The compile-time checks behind span.set<A>(v), shared by the enabled and disabled builds so
/// that a sensitive key is rejected in both. Each rejection is one static_assert whose condition
/// names the span kind and the attribute (compilers print it) and whose message says why and
/// what to do instead.
#include <string_view>  // keys
#include <type_traits>  // traits

#include "../attribute.hpp"
#include "../config.hpp"
#include "../schema.hpp"

namespace tacit::inline TACIT_ABI::detail {

template <class Kind, class Attribute>
struct secret_is_never_recorded {
    static constexpr bool value = Attribute::level != sensitivity::secret;
};
template <class Kind, class Attribute>
struct content_needs_a_span_kind_with_shares_content {
    static constexpr bool value = Attribute::level != sensitivity::content || Kind::opts_in_content;
};
template <class Kind, class Attribute>
struct span_kind_lists_attribute {
    static constexpr bool value = Kind::template accepts<Attribute>;
};
template <class Attribute, class Value>
struct value_matches_attribute_type {
    static constexpr bool value = accepts_value<Attribute::wire, Value>;
};
template <class Kind, class Key>
struct span_kind_allows_adhoc_keys {
    static constexpr bool value = Kind::allows_adhoc;
};
template <class Kind, class Key>
struct adhoc_key_is_public {
    static constexpr bool value = classify_key(Key::key) == sensitivity::public_data;
};

/// Rejects set<Attribute>(Value) on Kind unless it is allowed; true otherwise.
template <class Kind, class Attribute, class Value>
constexpr bool vet_set() {
    static_assert(span_kind_type<Kind>, "tacit: the first template argument of tacit::start<> or tacit::span<> must be a span kind declared with tacit::span_kind<\"name\", ...>.");
    if constexpr (!attribute_type<Attribute>) {
        static_assert(attribute_type<Attribute>,
            "tacit: set<A>: A must be an attribute declared with tacit::attribute<\"key\", T> "
            "(or tacit::content / tacit::secret), or use an ad-hoc key: set<\"key\">(value).");
        return false;
    } else if constexpr (Attribute::level == sensitivity::secret) {
        static_assert(secret_is_never_recorded<Kind, Attribute>::value,
            "tacit: this attribute is a secret (API key, token, password, credential, environment "
            "value) and can never be recorded on any span. Way out: record a non-secret fact instead, "
            "such as whether it is set.");
        return false;
    } else if constexpr (Attribute::level == sensitivity::content && !Kind::opts_in_content) {
        static_assert(content_needs_a_span_kind_with_shares_content<Kind, Attribute>::value,
            "tacit: this attribute is content (prompt, goal, backstory, task description, output, "
            "input, ...) and this span kind does not opt in to content. Way out: add "
            "tacit::shares_content and the attribute to the span kind's list; it is then recorded "
            "only while sharing is switched on.");
        return false;
    } else if constexpr (!Kind::template accepts<Attribute>) {
        static_assert(span_kind_lists_attribute<Kind, Attribute>::value,
            "tacit: this span kind does not accept this attribute. Way out: add the attribute to the "
            "span kind's tacit::span_kind<\"name\", ...> list.");
        return false;
    } else if constexpr (!accepts_value<Attribute::wire, Value>) {
        static_assert(value_matches_attribute_type<Attribute, Value>::value,
            "tacit: the value does not match the attribute's declared type (bool takes only bool; "
            "integers take integers; double takes numbers; strings take string-like values; "
            "tacit::list<T> takes a range of T). Way out: convert the value or change the declaration.");
        return false;
    } else {
        return true;
    }
}

/// Rejects set<"key">(Value) on Kind unless the kind allows ad-hoc keys and the key is public.
template <class Kind, class Key, class Value>
constexpr bool vet_adhoc() {
    if constexpr (!Kind::allows_adhoc) {
        static_assert(span_kind_allows_adhoc_keys<Kind, Key>::value,
            "tacit: this span kind does not take ad-hoc keys. Way out: declare the attribute with "
            "tacit::attribute<\"key\", T> and list it on the span kind, or add tacit::adhoc_keys to it.");
        return false;
    } else if constexpr (classify_key(Key::key) != sensitivity::public_data) {
        static_assert(adhoc_key_is_public<Kind, Key>::value,
            "tacit: this ad-hoc key names content or a secret (prompt, goal, backstory, description, "
            "output, input, message, completion, password, api_key, token, credential, ...), so it is "
            "rejected. Way out: declare it with tacit::content<...> on a span kind with "
            "tacit::shares_content, or rename it if it holds a count or a flag ('..._count', '..._length').");
        return false;
    } else {
        return true;
    }
}

template <fixed_string Key>
struct adhoc_key {
    static constexpr std::string_view key = Key.view();
    static_assert(valid_key(Key.view()), "tacit: an ad-hoc key must be 1-128 characters of [A-Za-z0-9_.-] with no empty segment.");
};

}  // namespace tacit::inline TACIT_ABI::detail
