#pragma once
/// tacit configuration: version, the compile-time switch and the ABI namespace.
///
///   TACIT_DISABLE       define (or meson -Ddisable=true) to compile every span, metric and
///                       macro to nothing; arguments are still type- and privacy-checked.
///   TACIT_MAX_ATTRIBUTES  attribute slots per span record (default 16); more are counted as
///                       dropped attributes.
///   TACIT_MAX_STRING    bytes kept of one string value (default 256); longer ones are cut at a
///                       code point boundary and end with "…" (U+2026).
///   TACIT_RECORD_BYTES  largest span record (default 2048 bytes: header, attributes, strings).
///   TACIT_MAX_ARRAY     elements kept of one array value (default 16).

#define TACIT_VERSION_MAJOR 0
#define TACIT_VERSION_MINOR 1
#define TACIT_VERSION_PATCH 0
#define TACIT_VERSION_STRING "0.1.0"

#ifndef TACIT_MAX_ATTRIBUTES
#define TACIT_MAX_ATTRIBUTES 16
#endif
#ifndef TACIT_MAX_STRING
#define TACIT_MAX_STRING 256
#endif
#ifndef TACIT_RECORD_BYTES
#define TACIT_RECORD_BYTES 2048
#endif
#ifndef TACIT_MAX_ARRAY
#define TACIT_MAX_ARRAY 16
#endif

// Enabled and disabled builds live in different inline namespaces, so a program that mixes
// translation units built both ways fails to link instead of breaking the ODR silently.
#ifdef TACIT_DISABLE
#define TACIT_ABI v0_off
#define TACIT_ENABLED 0
#else
#define TACIT_ABI v0_on
#define TACIT_ENABLED 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TACIT_LIKELY(x) __builtin_expect(!!(x), 1)
#define TACIT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TACIT_NOINLINE __attribute__((noinline))
#define TACIT_COLD __attribute__((cold, noinline))
#define TACIT_INLINE __attribute__((always_inline)) inline
#else
#define TACIT_LIKELY(x) (x)
#define TACIT_UNLIKELY(x) (x)
#define TACIT_NOINLINE
#define TACIT_COLD
#define TACIT_INLINE inline
#endif

#define TACIT_CAT_IMPL(a, b) a##b
#define TACIT_CAT(a, b) TACIT_CAT_IMPL(a, b)

namespace tacit::inline TACIT_ABI {

/// The library version, as exported in `telemetry.sdk.version`.
inline constexpr const char* version = TACIT_VERSION_STRING;

/// True in a normal build, false where TACIT_DISABLE compiled tacit out.
inline constexpr bool compiled_in = TACIT_ENABLED != 0;

}  // namespace tacit::inline TACIT_ABI
