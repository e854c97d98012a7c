#pragma once
/// The privacy rule for attribute keys, evaluated at compile time.
///
/// A key is split into segments at '.', and each segment into words at '_' and '-'
/// (comparison ignores ASCII case). A segment names a sensitive term when it
///   - equals the term                          (`gen_ai.prompt`, `crew.inputs`, `token`),
///   - begins with the term as whole words      (`prompt_template`, `api_key_id`), or
///   - ends with the term as whole words        (`user_prompt`, `openai_api_key`, `expected_output`),
/// unless its last word is a measurement word (count, length, size, bytes, tokens, ...): the size
/// of a thing is not the thing (`gen_ai.usage.input_tokens`, `prompt_length`, `inputs_present`).
/// A key that names a secret term is secret; otherwise one that names a content term is content;
/// otherwise it is public. Terms inside a word do not match: `tokenizer`, `inputsize`, `goalie`.
#include <string_view>  // key scanning

#include "../config.hpp"
#include "../value.hpp"

namespace tacit::inline TACIT_ABI::detail {

inline constexpr std::string_view secret_terms[] = {
    "secret", "secrets", "password", "passwords", "passwd", "passphrase", "pwd",
    "api_key", "apikey", "api_keys", "access_key", "secret_key", "private_key", "signing_key",
    "token", "access_token", "refresh_token", "id_token", "bearer", "auth", "authorization",
    "credential", "credentials", "cookie", "cookies", "session_key", "env", "environ",
    "env_var", "env_vars", "connection_string", "dsn",
};

inline constexpr std::string_view content_terms[] = {
    "prompt", "prompts", "goal", "goals", "backstory", "description", "descriptions",
    "output", "outputs", "input", "inputs", "message", "messages", "completion", "completions",
    "content", "contents", "text", "query", "queries", "argument", "arguments", "args",
    "result", "results", "response", "responses", "request_body", "response_body", "body",
    "payload", "instruction", "instructions", "system_instructions", "answer", "question",
    "thought", "thoughts", "transcript", "history", "role", "context", "document", "documents",
    "email", "user_name", "username", "path", "file_path", "filename", "hostname",
};

inline constexpr std::string_view measurement_words[] = {
    "count", "counts", "length", "len", "size", "bytes", "tokens", "present", "enabled",
    "allowed", "kind", "type",
};

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = lower(a[i]), y = lower(b[i]);
        // '-' and '_' are the same word separator
        if (x == '-') x = '_';
        if (y == '-') y = '_';
        if (x != y) return false;
    }
    return true;
}

constexpr bool is_word_sep(char c) noexcept { return c == '_' || c == '-'; }

constexpr std::string_view last_word(std::string_view seg) noexcept {
    std::size_t i = seg.size();
    while (i > 0 && !is_word_sep(seg[i - 1])) --i;
    return seg.substr(i);
}

constexpr bool segment_names(std::string_view seg, std::string_view term) noexcept {
    if (iequal(seg, term)) return true;
    if (seg.size() <= term.size()) return false;
    bool hit = (is_word_sep(seg[term.size()]) && iequal(seg.substr(0, term.size()), term)) ||
               (is_word_sep(seg[seg.size() - term.size() - 1]) && iequal(seg.substr(seg.size() - term.size()), term));
    if (!hit) return false;
    for (auto m : measurement_words)
        if (iequal(last_word(seg), m)) return false;
    return true;
}

template <std::size_t N>
constexpr bool segment_names_any(std::string_view seg, const std::string_view (&terms)[N]) noexcept {
    for (auto t : terms)
        if (segment_names(seg, t)) return true;
    return false;
}

/// The sensitivity a key's name implies under the rule above.
constexpr sensitivity classify_key(std::string_view key) noexcept {
    sensitivity worst = sensitivity::public_data;
    std::size_t start = 0;
    while (start <= key.size()) {
        // A plain loop: g++ 12 with -fsanitize=undefined cannot constant-evaluate find().
        std::size_t dot = start;
        while (dot < key.size() && key[dot] != '.') ++dot;
        std::string_view seg = key.substr(start, dot - start);
        if (segment_names_any(seg, secret_terms)) return sensitivity::secret;
        if (segment_names_any(seg, content_terms)) worst = sensitivity::content;
        start = dot + 1;
    }
    return worst;
}

/// Keys are lowercase-friendly identifiers: letters, digits, '_', '-', '.', no empty segment.
constexpr bool valid_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > 128 || key.front() == '.' || key.back() == '.') return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) return false;
        if (c == '.' && i + 1 < key.size() && key[i + 1] == '.') return false;
    }
    return true;
}

}  // namespace tacit::inline TACIT_ABI::detail
