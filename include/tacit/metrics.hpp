#pragma once
/// User-declared metrics: counters, gauges and histograms whose names and label keys are
/// checked at compile time, updated from any thread without a lock, and read by exporters
/// (Prometheus text, textfile, the span-metrics exporter) through a metrics_registry.
///
///     inline tacit::counter<"shop_orders_total", "region"> orders{"Orders placed."};
///     orders.add(1, "eu");                      // lock-free; finds the series by its labels
///     auto eu = orders.series("eu");            // or keep the series and skip the lookup
///     eu.add();
///
///   TACIT_METRIC_SHARDS       per-thread counter shards (default 16, at most 64); threads beyond
///                             that share one atomic shard.
///   TACIT_METRIC_MAX_SERIES   default label sets kept per metric (default 256); further label
///                             sets are counted in one overflow series whose labels all read
///                             "__overflow__".
///   TACIT_METRIC_LABEL_BYTES  bytes kept of one series' label values together (default 128);
///                             longer values are cut (and then share a series).
#include <algorithm>         // std::sort, std::min
#include <atomic>            // lock-free cells
#include <bit>               // std::bit_cast, std::countr_zero, std::bit_ceil
#include <cmath>             // std::isnan, std::isfinite
#include <cstddef>           // std::size_t
#include <cstdint>           // fixed-width cells
#include <cstring>           // std::memcpy, std::memcmp
#include <memory>            // std::unique_ptr arrays
#include <mutex>             // registry membership (never on the update path)
#include <span>              // label values, bucket bounds
#include <stdexcept>         // std::invalid_argument for bad run-time configuration
#include <string>            // names and help text
#include <string_view>       // keys
#include <vector>            // registry members

#include "config.hpp"
#include "detail/key_rules.hpp"
#include "value.hpp"

#ifndef TACIT_METRIC_SHARDS
#define TACIT_METRIC_SHARDS 16
#endif
#ifndef TACIT_METRIC_MAX_SERIES
#define TACIT_METRIC_MAX_SERIES 256
#endif
#ifndef TACIT_METRIC_LABEL_BYTES
#define TACIT_METRIC_LABEL_BYTES 128
#endif

namespace tacit::inline TACIT_ABI {

/// The three Prometheus metric types tacit produces.
enum class metric_type : std::uint8_t { counter, gauge, histogram };

constexpr std::string_view to_string(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
    }
    return "untyped";
}

/// The label value of the series that collects every label set beyond a metric's cap.
inline constexpr std::string_view overflow_label_value = "__overflow__";

/// Prometheus' default histogram buckets, in seconds.
inline constexpr double default_seconds_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1.0,  2.5,   5.0,  10.0};

/// Run-time settings of one metric.
struct metric_options {
    std::size_t max_series = TACIT_METRIC_MAX_SERIES;  ///< label sets kept before the overflow series
    std::span<const double> buckets = {};              ///< histogram upper bounds; empty = default_seconds_buckets
};

namespace detail {

static_assert(TACIT_METRIC_SHARDS >= 1 && TACIT_METRIC_SHARDS <= 64,
              "TACIT_METRIC_SHARDS must be between 1 and 64: each shard is one bit of a 64-bit free mask.");
static_assert(TACIT_METRIC_LABEL_BYTES >= 8 && TACIT_METRIC_LABEL_BYTES <= 4096,
              "TACIT_METRIC_LABEL_BYTES must be between 8 and 4096 bytes.");

inline constexpr unsigned metric_shards = TACIT_METRIC_SHARDS;
inline constexpr std::size_t metric_label_bytes = TACIT_METRIC_LABEL_BYTES;

/// A string literal usable as a template argument: the metric's name or a label key.
template <std::size_t N>
struct metric_literal {
    char chars[N]{};
    consteval metric_literal(const char (&s)[N]) {
        for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
    }
    constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

constexpr bool metric_name_char(char c, bool first) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/// Prometheus metric names: [a-zA-Z_][a-zA-Z0-9_]*, minus the "__" prefix Prometheus reserves.
/// Colons are legal in Prometheus but reserved for recording rules, so tacit refuses them.
constexpr bool valid_metric_name(std::string_view n) noexcept {
    if (n.empty() || n.starts_with("__")) return false;
    for (std::size_t i = 0; i < n.size(); ++i)
        if (!metric_name_char(n[i], i == 0)) return false;
    return true;
}

/// Label names follow the same rule.
constexpr bool valid_label_key(std::string_view k) noexcept { return valid_metric_name(k); }

/// How much a label key may reveal: the attribute rule (detail/key_rules.hpp). Label values
/// are exported with every scrape and never pass a sharing switch, so only public keys may
/// become labels.
constexpr sensitivity metric_label_sensitivity(std::string_view key) noexcept { return classify_key(key); }

template <metric_literal... Keys>
consteval bool unique_label_keys() {
    constexpr std::string_view keys[] = {std::string_view{}, Keys.view()...};
    for (std::size_t i = 1; i < std::size(keys); ++i)
        for (std::size_t j = i + 1; j < std::size(keys); ++j)
            if (keys[i] == keys[j]) return false;
    return true;
}

template <metric_literal... Keys>
consteval bool all_label_keys_valid() { return (valid_label_key(Keys.view()) && ...); }

template <metric_literal... Keys>
consteval bool no_secret_label_keys() {
    return ((metric_label_sensitivity(Keys.view()) != sensitivity::secret) && ...);
}

template <metric_literal... Keys>
consteval bool no_content_label_keys() {
    return ((metric_label_sensitivity(Keys.view()) != sensitivity::content) && ...);
}

template <metric_literal... Keys>
consteval bool no_le_label_key() { return ((Keys.view() != "le") && ...); }

template <auto>
using label_value_for = std::string_view;

// ---- per-thread shards -------------------------------------------------------------------

/// Bit i set: shard i belongs to a live thread.
inline std::atomic<std::uint64_t>& metric_shard_mask() noexcept {
    static std::atomic<std::uint64_t> mask{0};
    return mask;
}

/// This thread's shard; ~0u until first use, metric_shards (the shared shard) if none was free.
inline thread_local unsigned metric_shard_index = ~0u;

struct metric_shard_owner {
    unsigned index = metric_shards;
    metric_shard_owner() = default;
    metric_shard_owner(const metric_shard_owner&) = delete;
    metric_shard_owner& operator=(const metric_shard_owner&) = delete;
    ~metric_shard_owner() {
        metric_shard_index = metric_shards;  // later updates in this thread's teardown share
        if (index < metric_shards)
            // release: our last plain stores to the shard happen-before the next owner's loads.
            metric_shard_mask().fetch_and(~(std::uint64_t{1} << index), std::memory_order_release);
    }
};

TACIT_COLD inline unsigned acquire_metric_shard() noexcept {
    static thread_local metric_shard_owner owner;
    auto& mask = metric_shard_mask();
    constexpr std::uint64_t all = metric_shards == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << metric_shards) - 1;
    std::uint64_t m = mask.load(std::memory_order_relaxed);
    unsigned idx = metric_shards;
    for (;;) {
        const std::uint64_t free = ~m & all;
        if (free == 0) break;
        const unsigned b = static_cast<unsigned>(std::countr_zero(free));
        // acquire: the previous owner's stores to this shard are visible before we add to them.
        if (mask.compare_exchange_weak(m, m | (std::uint64_t{1} << b), std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
            idx = b;
            break;
        }
    }
    owner.index = idx;
    metric_shard_index = idx;
    return idx;
}

inline unsigned metric_shard() noexcept {
    const unsigned s = metric_shard_index;
    return TACIT_LIKELY(s != ~0u) ? s : acquire_metric_shard();
}

inline std::uint64_t metric_hash(const unsigned char* p, std::size_t n) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: label keys are short
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h | 1;  // never zero
}

/// One metric of any type with its run-time name, label keys and series. The typed front ends
/// (counter, gauge, histogram) check names at compile time; the span-metrics exporter builds
/// families from names it knows are valid.
class metric_family {
public:
    using index = std::uint32_t;

    /// live = false keeps the checks but allocates no storage (the compiled-out front ends).
    metric_family(std::string name, std::string help, metric_type type, std::vector<std::string> label_keys,
                  const metric_options& opts = {}, bool live = true)
        : name_(std::move(name)), help_(std::move(help)), type_(type), keys_(std::move(label_keys)) {
        if (!valid_metric_name(name_)) throw std::invalid_argument("tacit: invalid metric name '" + name_ + "'");
        if (keys_.size() > 32)
            throw std::invalid_argument("tacit: metric '" + name_ + "' has more than 32 label keys");
        for (const auto& k : keys_)
            if (!valid_label_key(k) || (type_ == metric_type::histogram && k == "le"))
                throw std::invalid_argument("tacit: invalid label key '" + k + "' on metric '" + name_ + "'");
        cap_ = keys_.empty() ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(opts.max_series, 1u << 20));
        slots_ = cap_ + (keys_.empty() ? 0 : 1);  // + the overflow series
        if (type_ == metric_type::histogram) {
            if (opts.buckets.empty()) bounds_.assign(std::begin(default_seconds_buckets), std::end(default_seconds_buckets));
            else bounds_.assign(opts.buckets.begin(), opts.buckets.end());
            for (std::size_t i = 0; i < bounds_.size(); ++i)
                if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1])))
                    throw std::invalid_argument("tacit: histogram '" + name_ +
                                                "' needs finite, strictly increasing bucket bounds");
        }
        if (live) allocate();
    }
    metric_family(const metric_family&) = delete;
    metric_family& operator=(const metric_family&) = delete;

    const std::string& name() const noexcept { return name_; }
    const std::string& help() const noexcept { return help_; }
    metric_type type() const noexcept { return type_; }
    const std::vector<std::string>& label_keys() const noexcept { return keys_; }
    std::span<const double> bounds() const noexcept { return bounds_; }
    std::size_t max_series() const noexcept { return cap_; }
    index overflow_index() const noexcept { return static_cast<index>(cap_); }

    /// The series of these label values (one per key), created on first use; the overflow
    /// series once max_series label sets exist. Lock-free; never allocates.
    index find(std::span<const std::string_view> values) noexcept {
        if (keys_.empty()) return 0;
        unsigned char key[metric_label_bytes];
        const std::size_t n = encode(values, key);
        const std::uint64_t h = metric_hash(key, n);
        const std::size_t mask = table_size_ - 1;
        std::size_t pos = static_cast<std::size_t>(h) & mask;
        for (std::size_t probes = 0; probes < table_size_; ++probes, pos = (pos + 1) & mask) {
            std::uint32_t e = table_[pos].load(std::memory_order_acquire);  // acquire: see the series' key
            if (e == empty_entry) {
                if (used_.load(std::memory_order_relaxed) >= cap_) return overflow();
                if (!table_[pos].compare_exchange_strong(e, busy_entry, std::memory_order_acquire,
                                                         std::memory_order_acquire)) {
                    --probes;  // lost the race: look at what the winner published here
                    pos = (pos + mask) & mask;
                    continue;
                }
                const std::size_t idx = used_.fetch_add(1, std::memory_order_relaxed);
                if (idx >= cap_) {
                    table_[pos].store(full_entry, std::memory_order_release);
                    return overflow();
                }
                series_key& s = keys_of_[idx];
                s.hash = h;
                s.len = static_cast<std::uint16_t>(n);
                std::memcpy(s.bytes, key, n);
                // release: the key bytes are visible to whoever sees the entry or the ready flag.
                s.ready.store(true, std::memory_order_release);
                table_[pos].store(static_cast<std::uint32_t>(idx) + first_series, std::memory_order_release);
                return static_cast<index>(idx);
            }
            if (e == busy_entry) {  // another thread is writing a key here: wait for it
                while ((e = table_[pos].load(std::memory_order_acquire)) == busy_entry) {
#if defined(__x86_64__) || defined(__i386__)
                    __builtin_ia32_pause();
#endif
                }
            }
            if (e == full_entry) continue;
            const series_key& s = keys_of_[e - first_series];
            if (s.hash == h && s.len == n && std::memcmp(s.bytes, key, n) == 0) return e - first_series;
        }
        return overflow();
    }

    // ---- updates (any thread) ----
    void counter_add(index s, std::uint64_t v) noexcept {
        const unsigned shard = metric_shard();
        if (TACIT_LIKELY(shard < metric_shards)) {
            // This thread is the shard's only writer: a relaxed load and store, no lock prefix;
            // readers sum the shards with relaxed loads and never see a torn value.
            auto& c = cells_[shard * stride_ + s];
            c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
        } else {
            cells_[metric_shards * stride_ + s].fetch_add(v, std::memory_order_relaxed);
        }
    }

    void gauge_set(index s, double v) noexcept {
        cells_[s].store(std::bit_cast<std::uint64_t>(v), std::memory_order_relaxed);
    }

    void gauge_add(index s, double v) noexcept {
        auto& c = cells_[s];
        std::uint64_t old = c.load(std::memory_order_relaxed);
        while (!c.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                        std::memory_order_relaxed)) {
        }
    }

    /// Adds one observation. NaN is not an observation: it is counted in nan_observations()
    /// and left out of the buckets, the sum and the count.
    void observe(index s, double v) noexcept {
        if (TACIT_UNLIKELY(std::isnan(v))) {
            nan_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const std::size_t nb = bounds_.size();
        std::size_t b = 0;
        while (b < nb && v > bounds_[b]) ++b;  // le: v <= bound lands in that bucket
        auto* row = &cells_[s * hist_stride_];
        row[b].fetch_add(1, std::memory_order_relaxed);
        auto& sum = row[nb + 1];
        std::uint64_t old = sum.load(std::memory_order_relaxed);
        while (!sum.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                          std::memory_order_relaxed)) {
        }
    }

    // ---- reads (any thread; exporters) ----
    std::uint64_t counter_value(index s) const noexcept {
        std::uint64_t total = 0;
        for (unsigned r = 0; r <= metric_shards; ++r) total += cells_[r * stride_ + s].load(std::memory_order_relaxed);
        return total;
    }
    double gauge_value(index s) const noexcept {
        return std::bit_cast<double>(cells_[s].load(std::memory_order_relaxed));
    }
    /// Per-bucket (not cumulative) counts, the last one for +Inf; returns the sum.
    double histogram_value(index s, std::span<std::uint64_t> counts) const noexcept {
        const auto* row = &cells_[s * hist_stride_];
        for (std::size_t b = 0; b < counts.size() && b <= bounds_.size(); ++b)
            counts[b] = row[b].load(std::memory_order_relaxed);
        return std::bit_cast<double>(row[bounds_.size() + 1].load(std::memory_order_relaxed));
    }
    std::uint64_t nan_observations() const noexcept { return nan_.load(std::memory_order_relaxed); }
    /// Label sets that existed beyond max_series (they share the overflow series).
    bool overflowed() const noexcept { return overflowed_.load(std::memory_order_relaxed); }
    std::size_t series_count() const noexcept {
        return keys_.empty() ? 1 : std::min(used_.load(std::memory_order_relaxed), cap_);
    }

    /// Calls f(index, label values) for every live series, the overflow series last (only once
    /// it was used). The label values are sorted byte-wise, so output order is stable.
    template <class F>
    void for_each_series(F&& f) const {
        if (!cells_) return;  // not live
        if (keys_.empty()) {
            f(index{0}, std::span<const std::string_view>{});
            return;
        }
        struct row {
            index idx;
            std::vector<std::string_view> values;
        };
        std::vector<row> rows;
        const std::size_t n = std::min(used_.load(std::memory_order_acquire), cap_);
        rows.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const series_key& s = keys_of_[i];
            if (!s.ready.load(std::memory_order_acquire)) continue;  // acquire: its key bytes
            rows.push_back({static_cast<index>(i), decode(s)});
        }
        std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.values < b.values; });
        for (const auto& r : rows) f(r.idx, std::span<const std::string_view>(r.values));
        if (overflowed()) {
            std::vector<std::string_view> over(keys_.size(), overflow_label_value);
            f(overflow_index(), std::span<const std::string_view>(over));
        }
    }

private:
    index overflow() noexcept {
        // Read before writing, so the common case (already set) leaves the cache line shared.
        if (!overflowed_.load(std::memory_order_relaxed)) overflowed_.store(true, std::memory_order_relaxed);
        return overflow_index();
    }

    static constexpr std::uint32_t empty_entry = 0, busy_entry = 1, full_entry = 2, first_series = 3;

    struct series_key {
        std::atomic<bool> ready{false};
        std::uint16_t len = 0;
        std::uint64_t hash = 0;
        unsigned char bytes[metric_label_bytes];
    };

    void allocate() {
        if (type_ == metric_type::counter) {
            stride_ = (slots_ + 7) & ~std::size_t{7};  // whole cache lines per shard row
            cells_ = std::make_unique<std::atomic<std::uint64_t>[]>((metric_shards + 1) * stride_);
        } else if (type_ == metric_type::gauge) {
            cells_ = std::make_unique<std::atomic<std::uint64_t>[]>(slots_);
        } else {
            hist_stride_ = bounds_.size() + 2;  // buckets, +Inf, sum
            cells_ = std::make_unique<std::atomic<std::uint64_t>[]>(slots_ * hist_stride_);
        }
        if (!keys_.empty()) {
            keys_of_ = std::make_unique<series_key[]>(cap_);
            table_size_ = std::bit_ceil(cap_ * 2 + 2);
            table_ = std::make_unique<std::atomic<std::uint32_t>[]>(table_size_);
        }
    }

    /// [len][bytes] per value; each value cut to what is left of the key buffer.
    std::size_t encode(std::span<const std::string_view> values, unsigned char* out) const noexcept {
        std::size_t p = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            const std::string_view v = i < values.size() ? values[i] : std::string_view{};
            const std::size_t room = metric_label_bytes - p - (keys_.size() - i);  // 1 length byte per later value
            const std::size_t n = std::min({v.size(), room, std::size_t{255}});
            out[p++] = static_cast<unsigned char>(n);
            if (n) std::memcpy(out + p, v.data(), n);
            p += n;
        }
        return p;
    }

    std::vector<std::string_view> decode(const series_key& s) const {
        std::vector<std::string_view> out;
        out.reserve(keys_.size());
        std::size_t p = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            const std::size_t n = s.bytes[p++];
            out.emplace_back(reinterpret_cast<const char*>(s.bytes + p), n);
            p += n;
        }
        return out;
    }

    std::string name_, help_;
    metric_type type_;
    std::vector<std::string> keys_;
    std::vector<double> bounds_;
    std::size_t cap_ = 1, slots_ = 1, stride_ = 0, hist_stride_ = 0, table_size_ = 0;
    std::unique_ptr<std::atomic<std::uint64_t>[]> cells_;
    std::unique_ptr<series_key[]> keys_of_;
    std::unique_ptr<std::atomic<std::uint32_t>[]> table_;
    std::atomic<std::size_t> used_{0};
    std::atomic<std::uint64_t> nan_{0};
    std::atomic<bool> overflowed_{false};
};

}  // namespace detail

/// The metrics one exposition shows. Membership changes take a lock (construction,
/// destruction, scrape); updates never do.
class metrics_registry {
public:
    metrics_registry() = default;
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    /// The registry user metrics join unless given another one.
    static metrics_registry& global() {
        static metrics_registry r;
        return r;
    }

    /// Throws std::invalid_argument if a metric of that name is already registered: one
    /// exposition may not carry a name twice.
    void add(detail::metric_family& f) {
        std::lock_guard lock(mutex_);
        for (auto* m : members_)
            if (m->name() == f.name())
                throw std::invalid_argument("tacit: metric '" + f.name() + "' is registered twice");
        members_.push_back(&f);
    }
    void remove(detail::metric_family& f) noexcept {
        std::lock_guard lock(mutex_);
        std::erase(members_, &f);
    }

    /// Calls f(family) for every member, sorted by name, under the registry's lock.
    template <class F>
    void for_each(F&& f) const {
        std::lock_guard lock(mutex_);
        std::vector<const detail::metric_family*> sorted(members_.begin(), members_.end());
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
        for (auto* m : sorted) f(*m);
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return members_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<detail::metric_family*> members_;
};

namespace detail {

/// Registers a family for as long as the metric lives.
class registered_family {
public:
    /// live = false (a compiled-out user metric): checked, never allocated nor registered.
    registered_family(metrics_registry& r, std::string name, std::string_view help, metric_type t,
                      std::vector<std::string> keys, const metric_options& opts, bool live = true)
        : family_(std::move(name), std::string(help), t, std::move(keys), opts, live), registry_(live ? &r : nullptr) {
        if (registry_) registry_->add(family_);
    }
    ~registered_family() {
        if (registry_) registry_->remove(family_);
    }
    registered_family(const registered_family&) = delete;
    registered_family& operator=(const registered_family&) = delete;

    metric_family family_;

private:
    metrics_registry* registry_;
};

/// What counter, gauge and histogram share: the label-key checks, their registered family and
/// the lookup of a series by its label values.
template <metric_literal... Labels>
class labelled_family {
    static_assert(all_label_keys_valid<Labels...>(),
                  "A tacit metric label key must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'.");
    static_assert(unique_label_keys<Labels...>(), "A tacit metric names the same label key twice.");
    static_assert(no_secret_label_keys<Labels...>(),
                  "A tacit metric label key names a secret (password, token, key, credential...): label values "
                  "are exported with every scrape, so a secret can never be a label.");
    static_assert(no_content_label_keys<Labels...>(),
                  "A tacit metric label key names content (prompt, input, output, message...): content may only "
                  "travel on spans that opt in to sharing, never in metric labels; count it without the label.");

public:
    /// Compiled out (TACIT_DISABLE), the keys are still checked but nothing is allocated or registered.
    labelled_family(metrics_registry& r, std::string_view name, std::string_view help, metric_type t,
                    const metric_options& opts)
        : impl_(r, std::string(name), help, t, {std::string(Labels.view())...}, opts, compiled_in) {}

    metric_family& family() noexcept { return impl_.family_; }
    const metric_family& family() const noexcept { return impl_.family_; }

    /// The series of these label values (one per key); a metric without labels has one.
    metric_family::index lookup(label_value_for<Labels>... values) noexcept {
        if constexpr (sizeof...(Labels) == 0) {
            return 0;
        } else {
            const std::string_view v[] = {values...};
            return impl_.family_.find(v);
        }
    }

private:
    registered_family impl_;
};

}  // namespace detail

/// A monotonically increasing count. The name must end in `_total`; labels are keys whose
/// values are given at each update. Label keys pass the same privacy rule as attributes.
///
///     inline tacit::counter<"crew_jobs_total", "queue"> jobs{"Jobs taken from a queue."};
///     jobs.add(1, "default");
template <detail::metric_literal Name, detail::metric_literal... Labels>
class counter {
    static_assert(detail::valid_metric_name(Name.view()),
                  "A tacit metric name must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'.");
    static_assert(Name.view().ends_with("_total"),
                  "A tacit counter's name must end in '_total', as Prometheus expects of counters; rename it.");

public:
    static constexpr std::string_view name = Name.view();

    explicit counter(std::string_view help = {}, const metric_options& opts = {})
        : counter(metrics_registry::global(), help, opts) {}
    counter(metrics_registry& r, std::string_view help = {}, const metric_options& opts = {})
        : impl_(r, name, help, metric_type::counter, opts) {}

    /// A series kept by the caller: updates skip the label lookup.
    class series_handle {
    public:
        void add(std::uint64_t n = 1) noexcept {
            if constexpr (compiled_in) f_->counter_add(idx_, n);
        }
        std::uint64_t value() const noexcept {
            if constexpr (compiled_in) return f_->counter_value(idx_);
            return 0;
        }

    private:
        friend class counter;
        series_handle(detail::metric_family* f, detail::metric_family::index i) noexcept : f_(f), idx_(i) {}
        detail::metric_family* f_;
        detail::metric_family::index idx_;
    };

    void add(std::uint64_t n, detail::label_value_for<Labels>... values) noexcept {
        if constexpr (compiled_in) impl_.family().counter_add(impl_.lookup(values...), n);
    }
    void inc(detail::label_value_for<Labels>... values) noexcept { add(1, values...); }
    series_handle series(detail::label_value_for<Labels>... values) noexcept {
        if constexpr (!compiled_in) return series_handle(&impl_.family(), 0);
        return series_handle(&impl_.family(), impl_.lookup(values...));
    }
    std::uint64_t value(detail::label_value_for<Labels>... values) noexcept {
        if constexpr (!compiled_in) return 0;
        return impl_.family().counter_value(impl_.lookup(values...));
    }
    const detail::metric_family& family() const noexcept { return impl_.family(); }

private:
    detail::labelled_family<Labels...> impl_;
};

/// A value that goes up and down (queue depth, ring fill).
///
///     inline tacit::gauge<"crew_queue_depth", "queue"> depth{"Jobs waiting."};
///     depth.set(12, "default");
template <detail::metric_literal Name, detail::metric_literal... Labels>
class gauge {
    static_assert(detail::valid_metric_name(Name.view()),
                  "A tacit metric name must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'.");
    static_assert(!Name.view().ends_with("_total"),
                  "A tacit gauge's name must not end in '_total': Prometheus reserves that suffix for counters.");

public:
    static constexpr std::string_view name = Name.view();

    explicit gauge(std::string_view help = {}, const metric_options& opts = {})
        : gauge(metrics_registry::global(), help, opts) {}
    gauge(metrics_registry& r, std::string_view help = {}, const metric_options& opts = {})
        : impl_(r, name, help, metric_type::gauge, opts) {}

    void set(double v, detail::label_value_for<Labels>... values) noexcept {
        if constexpr (compiled_in) impl_.family().gauge_set(impl_.lookup(values...), v);
    }
    void add(double v, detail::label_value_for<Labels>... values) noexcept {
        if constexpr (compiled_in) impl_.family().gauge_add(impl_.lookup(values...), v);
    }
    double value(detail::label_value_for<Labels>... values) noexcept {
        if constexpr (!compiled_in) return 0;
        return impl_.family().gauge_value(impl_.lookup(values...));
    }
    const detail::metric_family& family() const noexcept { return impl_.family(); }

private:
    detail::labelled_family<Labels...> impl_;
};

/// A distribution in buckets; name it with its unit (`_seconds`, `_bytes`).
///
///     inline tacit::histogram<"crew_step_duration_seconds", "step"> step_time{"Step latency."};
///     step_time.observe(0.042, "plan");
template <detail::metric_literal Name, detail::metric_literal... Labels>
class histogram {
    static_assert(detail::valid_metric_name(Name.view()),
                  "A tacit metric name must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'.");
    static_assert(!Name.view().ends_with("_total") && !Name.view().ends_with("_bucket") &&
                      !Name.view().ends_with("_count") && !Name.view().ends_with("_sum"),
                  "A tacit histogram's name must not end in _total, _bucket, _count or _sum: Prometheus "
                  "derives those series from it.");
    static_assert(detail::no_le_label_key<Labels...>(),
                  "A tacit histogram may not have a label named 'le': Prometheus uses it for bucket bounds.");

public:
    static constexpr std::string_view name = Name.view();

    /// Throws std::invalid_argument if opts.buckets are not finite and strictly increasing.
    explicit histogram(std::string_view help = {}, const metric_options& opts = {})
        : histogram(metrics_registry::global(), help, opts) {}
    histogram(metrics_registry& r, std::string_view help = {}, const metric_options& opts = {})
        : impl_(r, name, help, metric_type::histogram, opts) {}

    /// NaN is counted in family().nan_observations() and otherwise ignored.
    void observe(double v, detail::label_value_for<Labels>... values) noexcept {
        if constexpr (compiled_in) impl_.family().observe(impl_.lookup(values...), v);
    }
    const detail::metric_family& family() const noexcept { return impl_.family(); }

private:
    detail::labelled_family<Labels...> impl_;
};

}  // namespace tacit::inline TACIT_ABI
