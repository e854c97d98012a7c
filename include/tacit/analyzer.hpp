#pragma once
/// Trace analysis: per span kind and per tool counts, error rates, latency quantiles from
/// mergeable sketches, throughput over time, anomaly detection and ranked findings.
///
/// Live, as an exporter on the pipeline's background thread:
///
///     auto a = std::make_shared<tacit::analyzer>();
///     pipeline.add_exporter(std::make_unique<tacit::analyzer_exporter>(a));
///     ...
///     pipeline.shutdown(1s);
///     std::puts(a->result().to_text().c_str());
///
/// Offline, from a JSON-lines trace file: see tacit/analyzer_reader.hpp.
///
/// Memory is bounded by the options, not by the length of the trace: one sketch per span kind
/// and per tool, a fixed number of throughput windows, and capped tables for open parents.
#include <algorithm>      // sorting, std::max
#include <bit>            // std::popcount for the error-burst window
#include <cmath>          // std::log, std::exp
#include <cstdint>        // counters, timestamps
#include <deque>          // crew run history
#include <memory>         // std::shared_ptr for the live exporter
#include <mutex>          // ingest (background thread) vs result (any thread)
#include <span>           // batches
#include <string>         // owned names
#include <string_view>    // keys
#include <unordered_map>  // groups, open parents
#include <utility>        // std::pair, std::move
#include <vector>         // tables

#include <fmt/format.h>  // messages

#include "config.hpp"
#include "detail/analyzer_json.hpp"
#include "detail/sketch.hpp"
#include "exporter.hpp"

namespace tacit::inline TACIT_ABI {

/// Thresholds and bounds of the analyzer. Every detector's threshold is here; see docs/analyzer.md.
struct analyzer_options {
    /// Relative error of the latency quantiles (DDSketch alpha); 0.01 = 1 %.
    double relative_accuracy = 0.01;
    /// The attribute that names a tool; spans carrying it are also grouped per tool.
    std::string tool_attribute = "gen_ai.tool.name";
    /// The span kind of a whole crew run, compared with its own history.
    std::string crew_span = "crew_execution";
    /// Crew runs with the same value of this attribute share a history (all share one if absent).
    std::string crew_key_attribute = "crew.key";

    /// Throughput window width; when more than `max_windows` would be needed, widths double.
    std::uint64_t window_ns = 1'000'000'000;
    std::size_t max_windows = 512;

    /// Latency spike: a call at least `spike_factor` times its rolling baseline (a robust EWMA
    /// of log latency) and more than `spike_deviations` rolling mean absolute deviations above
    /// it, once the baseline has seen `spike_warmup` calls. `ewma_weight` is the baseline's
    /// weight for each new call.
    double spike_factor = 4.0;
    double spike_deviations = 6.0;
    std::size_t spike_warmup = 20;
    double ewma_weight = 0.05;

    /// Error burst: at least `burst_min_errors` failures among the last `burst_window` calls
    /// (at most 64) of one tool or span kind.
    unsigned burst_window = 20;
    unsigned burst_min_errors = 8;

    /// Repeated tool calls: the same tool this many times in a row under one parent span.
    unsigned repeat_threshold = 5;

    /// Slow crew: a run longer than `crew_slow_factor` times the median of its last
    /// `crew_history` runs, once it has `crew_min_history` of them.
    double crew_slow_factor = 1.5;
    std::size_t crew_min_history = 3;
    std::size_t crew_history = 32;

    /// Error rate worth a finding, and the calls needed before a rate means anything.
    double error_rate_threshold = 0.05;
    std::uint64_t min_calls = 5;
    /// Tail latency worth a finding: p99 at least this many times the median.
    double tail_ratio = 10.0;

    /// Bounds: groups (kinds + tools) kept apart before the rest share "(other)"; parents
    /// tracked for repeats and never-ended spans; spans kept for one run's timeline (0 = none).
    std::size_t max_groups = 1024;
    std::size_t max_open_parents = 200'000;
    /// Slots (rounded up to a power of two) remembering recently ended span ids, so that a child
    /// delivered shortly after its parent is not taken for the child of a span that never ended.
    std::size_t recent_ids = 65'536;
    std::size_t timeline_spans = 0;
};

/// What a finding is about.
enum class finding_kind : std::uint8_t {
    dropped_spans,
    unfinished_spans,
    error_burst,
    error_rate,
    repeated_tool_calls,
    slow_crew,
    latency_spike,
    tail_latency,
};

constexpr std::string_view to_string(finding_kind k) noexcept {
    switch (k) {
    case finding_kind::dropped_spans: return "dropped_spans";
    case finding_kind::unfinished_spans: return "unfinished_spans";
    case finding_kind::error_burst: return "error_burst";
    case finding_kind::error_rate: return "error_rate";
    case finding_kind::repeated_tool_calls: return "repeated_tool_calls";
    case finding_kind::slow_crew: return "slow_crew";
    case finding_kind::latency_spike: return "latency_spike";
    case finding_kind::tail_latency: return "tail_latency";
    }
    return "?";
}

/// One insight: a plain sentence with numbers, a score to rank by, and the numbers themselves.
struct finding {
    finding_kind kind{};
    double score = 0;        ///< higher is more urgent; findings are sorted by it
    std::string subject;     ///< the tool, span kind or crew it is about ("" for the pipeline)
    std::string message;     ///< the sentence
    std::vector<std::pair<std::string, double>> numbers;  ///< the figures in the sentence

    double number(std::string_view key, double fallback = 0) const noexcept {
        for (const auto& [k, v] : numbers)
            if (k == key) return v;
        return fallback;
    }
};

/// Statistics of one span kind or one tool.
struct group_summary {
    std::string name;
    bool is_tool = false;
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::uint64_t tool_calls = 0;  ///< spans of this kind that carried the tool attribute
    quantile_sketch latency_ns;
    std::vector<std::pair<std::string, std::uint64_t>> error_types;  ///< most frequent first
    // Detector results.
    std::uint64_t spikes = 0;
    double worst_spike_ns = 0;
    double worst_spike_baseline_ns = 0;
    std::uint64_t bursts = 0;
    unsigned max_errors_in_window = 0;

    double error_rate() const noexcept { return count ? static_cast<double>(errors) / static_cast<double>(count) : 0.0; }
};

/// Spans and errors per time window of `window_ns`, the first starting at `start_unix_ns`.
struct throughput_series {
    std::uint64_t start_unix_ns = 0;
    std::uint64_t window_ns = 0;
    std::vector<std::uint64_t> spans;
    std::vector<std::uint64_t> errors;
};

/// One span kept for the timeline of a crew run (the report draws these).
struct timeline_span {
    std::string name;
    std::string tool;  ///< "" when not a tool call
    std::uint64_t span_id = 0;
    std::uint64_t parent_id = 0;
    std::uint64_t start_unix_ns = 0;
    std::uint64_t end_unix_ns = 0;
    bool error = false;
    std::string error_type;
    std::uint32_t thread = 0;
};

/// A snapshot of everything the analyzer knows, with findings ranked by score.
struct analysis {
    double relative_accuracy = 0.01;
    std::uint64_t spans = 0;
    std::uint64_t errors = 0;
    std::uint64_t first_start_unix_ns = 0;
    std::uint64_t last_end_unix_ns = 0;
    std::vector<group_summary> kinds;  ///< by count, most first
    std::vector<group_summary> tools;  ///< by count, most first
    throughput_series throughput;
    bool has_pipeline_stats = false;
    pipeline_stats pipeline{};
    std::vector<finding> findings;       ///< most urgent first
    std::vector<timeline_span> timeline; ///< one run, in start order (empty unless enabled)

    const group_summary* kind(std::string_view name) const noexcept {
        for (const auto& g : kinds) if (g.name == name) return &g;
        return nullptr;
    }
    const group_summary* tool(std::string_view name) const noexcept {
        for (const auto& g : tools) if (g.name == name) return &g;
        return nullptr;
    }

    /// The findings as a numbered list of sentences, then a one-line summary per group.
    std::string to_text() const;
    /// Everything as one JSON object (schema in docs/analyzer.md).
    std::string to_json() const;
};

namespace detail {

/// "850 ns", "12.3 µs", "190 ms", "2.30 s".
inline std::string format_duration(double ns) {
    if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
    if (ns < 1e6) return fmt::format("{:.3g} µs", ns / 1e3);
    if (ns < 1e9) return fmt::format("{:.3g} ms", ns / 1e6);
    if (ns < 60e9) return fmt::format("{:.3g} s", ns / 1e9);
    return fmt::format("{:.1f} min", ns / 60e9);
}

/// "17.5 %" with one decimal, or "0.25 %" below one percent.
inline std::string format_percent(double ratio) {
    const double p = ratio * 100.0;
    return p < 1.0 && p > 0.0 ? fmt::format("{:.2f} %", p) : fmt::format("{:.1f} %", p);
}

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Live state of one span kind or tool.
struct group_state {
    group_summary s;
    // Robust EWMA baseline of log latency.
    double base_mean = 0;
    double base_dev = 0;
    std::uint64_t base_n = 0;
    // Last 64 outcomes, newest in bit 0.
    std::uint64_t outcomes = 0;
    bool in_burst = false;
    std::uint64_t errors_untyped_other = 0;
    // Repeated-call runs that reached the threshold.
    std::uint64_t repeat_runs = 0;
    unsigned longest_repeat = 0;
    std::string repeat_parent_kind;
    explicit group_state(std::string name, bool tool, double alpha) {
        s.name = std::move(name);
        s.is_tool = tool;
        s.latency_ns = quantile_sketch{alpha};
    }
};

struct open_parent {
    std::uint32_t last_tool = UINT32_MAX;  // group index of the last tool call under it
    unsigned run = 0;
    std::uint32_t children = 0;
    std::uint64_t trace_hi = 0, trace_lo = 0;
    std::uint32_t first_child_group = 0;
};

struct crew_history {
    std::deque<double> runs;
};

}  // namespace detail

/// The analyzer: feed it spans (and pipeline stats), read a ranked analysis at any time.
/// ingest() and result() may be called from different threads; each takes the lock.
class analyzer {
public:
    explicit analyzer(analyzer_options options = {}) : opt_(std::move(options)) {
        if (opt_.burst_window == 0 || opt_.burst_window > 64) opt_.burst_window = 64;
        if (opt_.burst_min_errors == 0) opt_.burst_min_errors = 1;
        if (opt_.window_ns == 0) opt_.window_ns = 1;
        if (opt_.max_windows < 2) opt_.max_windows = 2;
        if (opt_.repeat_threshold < 2) opt_.repeat_threshold = 2;
        // Constructs a sketch once so a bad accuracy fails here, not on the first span.
        (void)quantile_sketch{opt_.relative_accuracy};
        parents_.reserve(1024);
        std::size_t bits = 4;
        while (bits < 30 && (std::size_t{1} << bits) < opt_.recent_ids) ++bits;
        recent_shift_ = 64 - bits;
        recent_.assign(std::size_t{1} << bits, 0);
    }

    const analyzer_options& options() const noexcept { return opt_; }

    /// Adds a batch of finished spans.
    void ingest(std::span<const span_view> spans) {
        std::lock_guard lock(mu_);
        for (const auto& s : spans) add(s);
    }
    void ingest(const span_view& s) {
        std::lock_guard lock(mu_);
        add(s);
    }
    /// Records the pipeline's view of itself (cumulative counters; the latest wins).
    void ingest(const pipeline_stats& st) {
        std::lock_guard lock(mu_);
        has_stats_ = true;
        stats_ = st;
    }

    /// A snapshot with ranked findings. With `end_of_input`, parents that were referenced but
    /// never seen count as spans that never ended (mid-run they are simply still open).
    analysis result(bool end_of_input = true) const;

private:
    std::uint32_t group_of(std::string_view name, bool tool) {
        auto& cache = tool ? last_tool_ : last_kind_;
        if (cache != UINT32_MAX && groups_[cache].s.name == name) return cache;
        auto& index = tool ? tool_index_ : kind_index_;
        auto it = index.find(name);
        if (it != index.end()) return cache = it->second;
        if (groups_.size() >= opt_.max_groups) {
            auto other = index.find(std::string_view{"(other)"});
            if (other != index.end()) return cache = other->second;
            name = "(other)";
        }
        const auto id = static_cast<std::uint32_t>(groups_.size());
        groups_.emplace_back(std::string{name}, tool, opt_.relative_accuracy);
        index.emplace(std::string{name}, id);
        return cache = id;
    }

    void add(const span_view& s);
    void detect_latency(detail::group_state& g, double ns, double log_ns);
    void detect_burst(detail::group_state& g, bool error);
    void keep_timeline(const span_view& s, std::string_view tool);
    void add_window(std::uint64_t end_ns, bool error);

    analyzer_options opt_;
    mutable std::mutex mu_;
    std::vector<detail::group_state> groups_;
    std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> kind_index_, tool_index_;
    std::uint32_t last_kind_ = UINT32_MAX, last_tool_ = UINT32_MAX;
    std::uint64_t spans_ = 0, errors_ = 0, first_start_ = UINT64_MAX, last_end_ = 0;
    // Throughput.
    std::uint64_t window_start_ = 0, window_ns_ = 0;
    std::vector<std::uint64_t> win_spans_, win_errors_;
    // Open parents: referenced by children, not seen themselves yet.
    std::unordered_map<std::uint64_t, detail::open_parent> parents_;
    // Recently ended span ids, direct-mapped (a newer id may evict an older one): enough to
    // recognise a child that arrives shortly after its parent, in O(1) and fixed memory.
    std::vector<std::uint64_t> recent_;
    std::size_t recent_shift_ = 48;
    std::size_t recent_slot(std::uint64_t id) const noexcept {
        return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> recent_shift_);
    }
    std::uint64_t untracked_parents_ = 0;
    // Crew history.
    std::unordered_map<std::string, detail::crew_history, detail::string_hash, std::equal_to<>> crews_;
    std::vector<finding> crew_findings_;
    std::uint64_t slow_crews_ = 0;
    // Pipeline.
    bool has_stats_ = false;
    pipeline_stats stats_{};
    // Timeline: candidate traces until a crew run completes in one of them.
    struct candidate {
        std::uint64_t hi = 0, lo = 0;
        std::vector<timeline_span> spans;
        bool has_crew = false;       // a crew_execution span ended in this trace
        bool has_root_crew = false;  // ... and then the trace's root ended
    };
    std::vector<candidate> candidates_;
    bool timeline_done_ = false;
};

/// Feeds a shared analyzer from the pipeline's background thread.
class analyzer_exporter final : public exporter {
public:
    explicit analyzer_exporter(std::shared_ptr<analyzer> a) : a_(std::move(a)) {}
    export_result export_spans(const export_batch& batch) override {
        a_->ingest(batch.spans);
        a_->ingest(batch.stats);
        return export_result::success();
    }
    void on_tick(const pipeline_stats& st) override { a_->ingest(st); }
    const std::shared_ptr<analyzer>& target() const noexcept { return a_; }

private:
    std::shared_ptr<analyzer> a_;
};

// ---------------------------------------------------------------------------------------------

inline void analyzer::add(const span_view& s) {
    const bool error = s.status == status_code::error;
    const std::uint64_t dur = s.duration_ns();
    ++spans_;
    errors_ += error;
    first_start_ = std::min(first_start_, s.start_unix_ns);
    last_end_ = std::max(last_end_, s.end_unix_ns);

    const double ns = static_cast<double>(dur);
    const double log_ns = std::log(std::max(ns, 1.0));

    auto record = [&](std::uint32_t gi) -> detail::group_state& {
        auto& g = groups_[gi];
        ++g.s.count;
        g.s.latency_ns.add(ns);
        if (error) {
            ++g.s.errors;
            const std::string_view et = s.error_type.empty() ? std::string_view{"error"} : s.error_type;
            auto& types = g.s.error_types;
            auto it = std::find_if(types.begin(), types.end(), [&](const auto& p) { return p.first == et; });
            if (it != types.end()) ++it->second;
            else if (types.size() < 16) types.emplace_back(std::string{et}, 1);
            else ++g.errors_untyped_other;
        }
        return g;
    };

    const std::uint32_t kind_gi = group_of(s.name, false);
    record(kind_gi);

    std::string_view tool;
    std::uint32_t tool_gi = UINT32_MAX;
    if (const auto* a = s.find(opt_.tool_attribute); a && a->value.type() == value_type::string) {
        tool = a->value.as_string();
        tool_gi = group_of(tool, true);
        record(tool_gi);
        ++groups_[kind_gi].s.tool_calls;
    }
    // Detectors run per tool for tool calls (tools of one kind differ too much to share a
    // baseline) and per kind otherwise.
    auto& det = tool_gi != UINT32_MAX ? groups_[tool_gi] : groups_[kind_gi];
    detect_latency(det, ns, log_ns);
    detect_burst(det, error);
    add_window(s.end_unix_ns, error);

    // This span has ended: it is no longer an open parent.
    const std::uint64_t id = s.context.span.value;
    if (!parents_.empty()) {
        if (auto it = parents_.find(id); it != parents_.end()) parents_.erase(it);
    }
    recent_[recent_slot(id)] = id;
    // A child delivered after its parent (rings are drained thread by thread, so a child from
    // another thread may come later) belongs to a span that did end: not tracked.
    if (s.parent.valid() && !s.parent_remote && recent_[recent_slot(s.parent.value)] != s.parent.value) {
        auto it = parents_.find(s.parent.value);
        if (it == parents_.end()) {
            if (parents_.size() >= opt_.max_open_parents) {
                ++untracked_parents_;
            } else {
                it = parents_.emplace(s.parent.value, detail::open_parent{}).first;
                it->second.trace_hi = s.context.trace.hi;
                it->second.trace_lo = s.context.trace.lo;
                it->second.first_child_group = kind_gi;
            }
        }
        if (it != parents_.end()) {
            auto& p = it->second;
            ++p.children;
            if (tool_gi != UINT32_MAX) {
                if (p.last_tool == tool_gi) {
                    ++p.run;
                } else {
                    p.last_tool = tool_gi;
                    p.run = 1;
                }
                if (p.run == opt_.repeat_threshold) ++groups_[tool_gi].repeat_runs;
                auto& tg = groups_[tool_gi];
                tg.longest_repeat = std::max(tg.longest_repeat, p.run);
            } else {
                p.last_tool = UINT32_MAX;
                p.run = 0;
            }
        }
    }

    // A crew run against its own history.
    if (s.name == opt_.crew_span) {
        std::string_view key = "";
        if (const auto* a = s.find(opt_.crew_key_attribute); a && a->value.type() == value_type::string)
            key = a->value.as_string();
        auto it = crews_.find(key);
        if (it == crews_.end()) {
            if (crews_.size() < opt_.max_groups) it = crews_.emplace(std::string{key}, detail::crew_history{}).first;
        }
        if (it != crews_.end()) {
            auto& runs = it->second.runs;
            if (runs.size() >= opt_.crew_min_history) {
                std::vector<double> sorted(runs.begin(), runs.end());
                std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
                const double median = sorted[sorted.size() / 2];
                if (median > 0 && ns > opt_.crew_slow_factor * median) {
                    ++slow_crews_;
                    const double ratio = ns / median;
                    const std::string who = key.empty() ? std::string{"a crew"} : fmt::format("crew `{}`", key);
                    finding f;
                    f.kind = finding_kind::slow_crew;
                    f.score = 55 + std::min(20.0, 5 * ratio);
                    f.subject = std::string{key};
                    f.message = fmt::format("{} run took {}, {:.1f}× its median of {} over {} earlier runs",
                                            who, detail::format_duration(ns), ratio,
                                            detail::format_duration(median), runs.size());
                    f.numbers = {{"duration_ns", ns}, {"median_ns", median}, {"ratio", ratio},
                                 {"history", static_cast<double>(runs.size())}};
                    if (crew_findings_.size() < 64) crew_findings_.push_back(std::move(f));
                }
            }
            runs.push_back(ns);
            if (runs.size() > opt_.crew_history) runs.pop_front();
        }
    }

    if (opt_.timeline_spans && !timeline_done_) keep_timeline(s, tool);
}

inline void analyzer::detect_latency(detail::group_state& g, double ns, double log_ns) {
    if (g.base_n < opt_.spike_warmup) {
        // Warm-up: a plain running mean, then the EWMA takes over.
        ++g.base_n;
        const double w = 1.0 / static_cast<double>(g.base_n);
        const double d = std::abs(log_ns - g.base_mean);
        g.base_mean += w * (log_ns - g.base_mean);
        g.base_dev += w * (d - g.base_dev);
        return;
    }
    // A floor on the deviation so that a very steady baseline does not flag mere jitter.
    const double dev = std::max(g.base_dev, 0.05);
    const double excess = log_ns - g.base_mean;
    const double baseline = std::exp(g.base_mean);
    if (excess > opt_.spike_deviations * dev && ns >= opt_.spike_factor * baseline) {
        ++g.s.spikes;
        if (ns / baseline > g.s.worst_spike_ns / std::max(g.s.worst_spike_baseline_ns, 1.0)) {
            g.s.worst_spike_ns = ns;
            g.s.worst_spike_baseline_ns = baseline;
        }
    }
    // Robust update: an outlier moves the baseline no further than three deviations.
    const double clipped = std::clamp(log_ns, g.base_mean - 3 * dev, g.base_mean + 3 * dev);
    const double w = opt_.ewma_weight;
    g.base_dev += w * (std::abs(clipped - g.base_mean) - g.base_dev);
    g.base_mean += w * (clipped - g.base_mean);
    ++g.base_n;
}

inline void analyzer::detect_burst(detail::group_state& g, bool error) {
    g.outcomes = (g.outcomes << 1) | (error ? 1u : 0u);
    const std::uint64_t mask = opt_.burst_window >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << opt_.burst_window) - 1);
    const auto in_window = static_cast<unsigned>(std::popcount(g.outcomes & mask));
    g.s.max_errors_in_window = std::max(g.s.max_errors_in_window, in_window);
    if (!g.in_burst && in_window >= opt_.burst_min_errors) {
        g.in_burst = true;
        ++g.s.bursts;
    } else if (g.in_burst && in_window * 2 < opt_.burst_min_errors) {
        g.in_burst = false;  // hysteresis: a burst ends once the window is half clear
    }
}

inline void analyzer::add_window(std::uint64_t end_ns, bool error) {
    if (win_spans_.empty()) {
        window_ns_ = opt_.window_ns;
        window_start_ = end_ns - end_ns % window_ns_;
    }
    // Spans that end before the first window (a parent reported late) count in the first.
    std::uint64_t idx = end_ns > window_start_ ? (end_ns - window_start_) / window_ns_ : 0;
    while (idx >= opt_.max_windows) {
        // Double the width: fold pairs of windows so memory stays at max_windows.
        const std::size_t n = win_spans_.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (i % 2 == 0) {
                win_spans_[i / 2] = win_spans_[i];
                win_errors_[i / 2] = win_errors_[i];
            } else {
                win_spans_[i / 2] += win_spans_[i];
                win_errors_[i / 2] += win_errors_[i];
            }
        }
        win_spans_.resize((n + 1) / 2);
        win_errors_.resize((n + 1) / 2);
        // Align the start to the doubled width relative to the original grid.
        window_ns_ *= 2;
        idx = end_ns > window_start_ ? (end_ns - window_start_) / window_ns_ : 0;
    }
    if (idx >= win_spans_.size()) {
        win_spans_.resize(idx + 1, 0);
        win_errors_.resize(idx + 1, 0);
    }
    ++win_spans_[idx];
    win_errors_[idx] += error;
}

inline void analyzer::keep_timeline(const span_view& s, std::string_view tool) {
    constexpr std::size_t max_candidates = 8;
    candidate* c = nullptr;
    for (auto& x : candidates_)
        if (x.hi == s.context.trace.hi && x.lo == s.context.trace.lo) c = &x;
    if (!c) {
        if (candidates_.size() >= max_candidates) return;
        candidates_.push_back(candidate{s.context.trace.hi, s.context.trace.lo, {}, false, false});
        c = &candidates_.back();
    }
    if (c->spans.size() < opt_.timeline_spans) {
        timeline_span t;
        t.name = std::string{s.name};
        t.tool = std::string{tool};
        t.span_id = s.context.span.value;
        t.parent_id = s.parent.value;
        t.start_unix_ns = s.start_unix_ns;
        t.end_unix_ns = s.end_unix_ns;
        t.error = s.status == status_code::error;
        t.error_type = std::string{s.error_type};
        t.thread = s.thread;
        c->spans.push_back(std::move(t));
    }
    if (s.name == opt_.crew_span) c->has_crew = true;
    if (c->has_crew && !s.parent.valid()) {
        // The first trace whose root ended with a crew run in it wins (a crew may run inside a
        // flow); the other candidates are released.
        c->has_root_crew = true;
        candidate keep = std::move(*c);
        candidates_.clear();
        candidates_.push_back(std::move(keep));
        timeline_done_ = true;
    }
}

inline analysis analyzer::result(bool end_of_input) const {
    std::lock_guard lock(mu_);
    analysis r;
    r.relative_accuracy = opt_.relative_accuracy;
    r.spans = spans_;
    r.errors = errors_;
    r.first_start_unix_ns = spans_ ? first_start_ : 0;
    r.last_end_unix_ns = last_end_;
    r.has_pipeline_stats = has_stats_;
    r.pipeline = stats_;
    r.throughput.start_unix_ns = window_start_;
    r.throughput.window_ns = window_ns_;
    r.throughput.spans = win_spans_;
    r.throughput.errors = win_errors_;

    for (const auto& g : groups_) {
        group_summary s = g.s;
        std::stable_sort(s.error_types.begin(), s.error_types.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        if (g.errors_untyped_other) s.error_types.emplace_back("(other)", g.errors_untyped_other);
        (g.s.is_tool ? r.tools : r.kinds).push_back(std::move(s));
    }
    auto by_count = [](const group_summary& a, const group_summary& b) {
        return a.count != b.count ? a.count > b.count : a.name < b.name;
    };
    std::sort(r.kinds.begin(), r.kinds.end(), by_count);
    std::sort(r.tools.begin(), r.tools.end(), by_count);

    auto& out = r.findings;
    auto subject_of = [](const group_summary& g) {
        return g.is_tool ? fmt::format("tool `{}`", g.name) : fmt::format("span kind `{}`", g.name);
    };
    auto error_types_text = [](const group_summary& g) {
        if (g.error_types.empty()) return std::string{};
        if (g.error_types.size() == 1) return fmt::format(", all `{}`", g.error_types.front().first);
        std::string t = fmt::format(", mostly `{}` ({})", g.error_types[0].first, g.error_types[0].second);
        for (std::size_t i = 1; i < g.error_types.size() && i < 3; ++i)
            t += fmt::format(", `{}` ({})", g.error_types[i].first, g.error_types[i].second);
        return t;
    };

    // Drops: the pipeline lost spans before anyone could see them.
    if (has_stats_ && (stats_.dropped_ring_full || stats_.dropped_shutdown)) {
        const auto dropped = stats_.dropped_ring_full + stats_.dropped_shutdown;
        const double ratio = stats_.recorded ? static_cast<double>(dropped) / static_cast<double>(stats_.recorded) : 1.0;
        finding f;
        f.kind = finding_kind::dropped_spans;
        f.score = 90 + std::min(10.0, ratio * 100);
        f.message = fmt::format("the pipeline dropped {} spans (ring full: {}, at shutdown: {}) of {} recorded ({}); "
                                "statistics here undercount",
                                dropped, stats_.dropped_ring_full, stats_.dropped_shutdown, stats_.recorded,
                                detail::format_percent(ratio));
        f.numbers = {{"dropped", static_cast<double>(dropped)},
                     {"dropped_ring_full", static_cast<double>(stats_.dropped_ring_full)},
                     {"dropped_shutdown", static_cast<double>(stats_.dropped_shutdown)},
                     {"recorded", static_cast<double>(stats_.recorded)}, {"ratio", ratio}};
        out.push_back(std::move(f));
    }

    // Spans that never ended: parents referenced by children and never seen themselves.
    if (end_of_input && (!parents_.empty() || untracked_parents_)) {
        std::uint64_t children = 0;
        std::unordered_map<std::uint32_t, std::uint64_t> by_child_kind;
        const detail::open_parent* first = nullptr;
        std::uint64_t first_id = 0;
        for (const auto& [id, p] : parents_) {
            children += p.children;
            ++by_child_kind[p.first_child_group];
            if (!first || id < first_id) { first = &p; first_id = id; }
        }
        const auto n = parents_.size() + untracked_parents_;
        finding f;
        f.kind = finding_kind::unfinished_spans;
        f.score = 80 + std::min(10.0, static_cast<double>(n));
        std::string example;
        if (first) {
            trace_id t{first->trace_hi, first->trace_lo};
            const auto th = t.hex();
            const auto sh = span_id{first_id}.hex();
            example = fmt::format("; e.g. span {} in trace {}, parent of `{}`", std::string_view{sh.data(), sh.size()},
                                  std::string_view{th.data(), th.size()}, groups_[first->first_child_group].s.name);
        }
        f.message = fmt::format("{} span{} never ended: referenced as parent by {} recorded span{} but never recorded "
                                "{}{}",
                                n, n == 1 ? "" : "s", children, children == 1 ? "" : "s",
                                n == 1 ? "itself" : "themselves", example);
        f.numbers = {{"unfinished", static_cast<double>(n)}, {"children", static_cast<double>(children)}};
        out.push_back(std::move(f));
    }

    for (const auto* list : {&r.tools, &r.kinds}) {
        for (const auto& g : *list) {
            // A kind whose spans are all tool calls is judged per tool instead.
            if (!g.is_tool && g.tool_calls == g.count && g.count) continue;
            const double p50 = g.latency_ns.quantile(0.5);
            const double p99 = g.latency_ns.quantile(0.99);
            const std::string who = subject_of(g);
            if (g.bursts) {
                finding f;
                f.kind = finding_kind::error_burst;
                f.score = 70 + std::min(15.0, static_cast<double>(g.max_errors_in_window));
                f.subject = g.name;
                f.message = fmt::format("{} had {} error burst{}: up to {} of {} consecutive calls failed{}", who,
                                        g.bursts, g.bursts == 1 ? "" : "s", g.max_errors_in_window,
                                        std::min<std::uint64_t>(opt_.burst_window, g.count), error_types_text(g));
                f.numbers = {{"bursts", static_cast<double>(g.bursts)},
                             {"max_errors_in_window", static_cast<double>(g.max_errors_in_window)},
                             {"window", static_cast<double>(opt_.burst_window)}};
                out.push_back(std::move(f));
            }
            if (g.count >= opt_.min_calls && g.errors && g.error_rate() >= opt_.error_rate_threshold) {
                finding f;
                f.kind = finding_kind::error_rate;
                f.score = 50 + std::min(30.0, g.error_rate() * 60);
                f.subject = g.name;
                f.message = fmt::format("{} failed {} of {} calls ({}){}; p99 latency {}, {:.1f}× its median", who,
                                        g.errors, g.count, detail::format_percent(g.error_rate()), error_types_text(g),
                                        detail::format_duration(p99), p50 > 0 ? p99 / p50 : 0.0);
                f.numbers = {{"errors", static_cast<double>(g.errors)}, {"calls", static_cast<double>(g.count)},
                             {"error_rate", g.error_rate()}, {"p50_ns", p50}, {"p99_ns", p99}};
                out.push_back(std::move(f));
            }
            if (g.spikes) {
                const double ratio = g.worst_spike_ns / std::max(g.worst_spike_baseline_ns, 1.0);
                finding f;
                f.kind = finding_kind::latency_spike;
                f.score = 40 + std::min(20.0, std::log2(ratio) * 3 + static_cast<double>(g.spikes));
                f.subject = g.name;
                f.message = fmt::format("{} had {} latency spike{} above its rolling baseline; worst {}, {:.1f}× the "
                                        "baseline of {}",
                                        who, g.spikes, g.spikes == 1 ? "" : "s", detail::format_duration(g.worst_spike_ns),
                                        ratio, detail::format_duration(g.worst_spike_baseline_ns));
                f.numbers = {{"spikes", static_cast<double>(g.spikes)}, {"worst_ns", g.worst_spike_ns},
                             {"baseline_ns", g.worst_spike_baseline_ns}, {"ratio", ratio}};
                out.push_back(std::move(f));
            } else if (g.count >= 20 && p50 > 0 && p99 >= opt_.tail_ratio * p50) {
                finding f;
                f.kind = finding_kind::tail_latency;
                f.score = 20 + std::min(10.0, p99 / p50 / opt_.tail_ratio);
                f.subject = g.name;
                f.message = fmt::format("{} has a long tail: p99 latency {} is {:.1f}× its median of {}", who,
                                        detail::format_duration(p99), p99 / p50, detail::format_duration(p50));
                f.numbers = {{"p50_ns", p50}, {"p99_ns", p99}, {"ratio", p99 / p50}};
                out.push_back(std::move(f));
            }
        }
    }

    for (const auto& gs : groups_) {
        if (!gs.s.is_tool || !gs.repeat_runs) continue;
        finding f;
        f.kind = finding_kind::repeated_tool_calls;
        f.score = 60 + std::min(20.0, static_cast<double>(gs.longest_repeat));
        f.subject = gs.s.name;
        f.message = fmt::format("tool `{}` was called {} times in a row under one parent span ({} such run{} of {} or "
                                "more); an agent may be stuck in a loop",
                                gs.s.name, gs.longest_repeat, gs.repeat_runs, gs.repeat_runs == 1 ? "" : "s",
                                opt_.repeat_threshold);
        f.numbers = {{"longest_run", static_cast<double>(gs.longest_repeat)},
                     {"runs", static_cast<double>(gs.repeat_runs)},
                     {"threshold", static_cast<double>(opt_.repeat_threshold)}};
        out.push_back(std::move(f));
    }

    for (const auto& f : crew_findings_) out.push_back(f);

    std::stable_sort(out.begin(), out.end(), [](const finding& a, const finding& b) { return a.score > b.score; });

    // The timeline: the completed crew run, else the candidate with the most spans.
    const candidate* best = nullptr;
    for (const auto& c : candidates_)
        if (!best || c.has_root_crew > best->has_root_crew ||
            (c.has_root_crew == best->has_root_crew && c.spans.size() > best->spans.size()))
            best = &c;
    if (best) {
        r.timeline = best->spans;
        std::stable_sort(r.timeline.begin(), r.timeline.end(),
                         [](const timeline_span& a, const timeline_span& b) { return a.start_unix_ns < b.start_unix_ns; });
    }
    return r;
}

// ---------------------------------------------------------------------------------------------

inline std::string analysis::to_text() const {
    std::string out;
    out += fmt::format("tacit analysis: {} spans, {} errors ({})", spans, errors,
                       detail::format_percent(spans ? static_cast<double>(errors) / static_cast<double>(spans) : 0.0));
    if (last_end_unix_ns > first_start_unix_ns && spans)
        out += fmt::format(" over {}", detail::format_duration(static_cast<double>(last_end_unix_ns - first_start_unix_ns)));
    out += "\n";
    if (findings.empty()) {
        out += "No findings.\n";
    } else {
        out += "Findings, most urgent first:\n";
        for (std::size_t i = 0; i < findings.size(); ++i)
            out += fmt::format("{:>3}. [{}] {}\n", i + 1, to_string(findings[i].kind), findings[i].message);
    }
    auto table = [&](const char* title, const std::vector<group_summary>& gs) {
        if (gs.empty()) return;
        out += fmt::format("{}:\n", title);
        for (const auto& g : gs)
            out += fmt::format("  {:<28} {:>9} calls {:>7} errors  p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}\n", g.name,
                               g.count, g.errors, detail::format_duration(g.latency_ns.quantile(0.5)),
                               detail::format_duration(g.latency_ns.quantile(0.9)),
                               detail::format_duration(g.latency_ns.quantile(0.99)),
                               detail::format_duration(g.latency_ns.max()));
    };
    table("Span kinds", kinds);
    table("Tools", tools);
    return out;
}

inline std::string analysis::to_json() const {
    using namespace detail::ajson;
    std::string o;
    o.reserve(4096);
    o += "{\"relative_accuracy\":";
    json_number(o, relative_accuracy);
    o += ",\"spans\":";
    json_number(o, spans);
    o += ",\"errors\":";
    json_number(o, errors);
    o += ",\"first_start_unix_ns\":";
    json_number(o, first_start_unix_ns);
    o += ",\"last_end_unix_ns\":";
    json_number(o, last_end_unix_ns);
    auto groups = [&](const char* key, const std::vector<group_summary>& gs) {
        o += ",\"";
        o += key;
        o += "\":[";
        bool first = true;
        for (const auto& g : gs) {
            if (!first) o += ',';
            first = false;
            o += "{\"name\":";
            json_string(o, g.name);
            o += ",\"count\":";
            json_number(o, g.count);
            o += ",\"errors\":";
            json_number(o, g.errors);
            o += ",\"error_rate\":";
            json_number(o, g.error_rate());
            for (auto [k, q] : {std::pair{"p50_ns", 0.5}, std::pair{"p90_ns", 0.9}, std::pair{"p99_ns", 0.99}}) {
                o += ",\"";
                o += k;
                o += "\":";
                json_number(o, g.latency_ns.quantile(q));
            }
            o += ",\"max_ns\":";
            json_number(o, g.latency_ns.max());
            o += ",\"min_ns\":";
            json_number(o, g.latency_ns.min());
            o += ",\"mean_ns\":";
            json_number(o, g.latency_ns.mean());
            o += ",\"error_types\":{";
            for (std::size_t i = 0; i < g.error_types.size(); ++i) {
                if (i) o += ',';
                json_string(o, g.error_types[i].first);
                o += ':';
                json_number(o, g.error_types[i].second);
            }
            o += "},\"latency_spikes\":";
            json_number(o, g.spikes);
            o += ",\"error_bursts\":";
            json_number(o, g.bursts);
            o += '}';
        }
        o += ']';
    };
    groups("kinds", kinds);
    groups("tools", tools);
    o += ",\"throughput\":{\"start_unix_ns\":";
    json_number(o, throughput.start_unix_ns);
    o += ",\"window_ns\":";
    json_number(o, throughput.window_ns);
    for (auto [k, v] : {std::pair{"spans", &throughput.spans}, std::pair{"errors", &throughput.errors}}) {
        o += ",\"";
        o += k;
        o += "\":[";
        for (std::size_t i = 0; i < v->size(); ++i) {
            if (i) o += ',';
            json_number(o, (*v)[i]);
        }
        o += ']';
    }
    o += '}';
    if (has_pipeline_stats) {
        o += ",\"pipeline\":{";
        const std::pair<const char*, std::uint64_t> fields[] = {
            {"recorded", pipeline.recorded},
            {"dropped_ring_full", pipeline.dropped_ring_full},
            {"dropped_shutdown", pipeline.dropped_shutdown},
            {"delivered", pipeline.delivered},
            {"batches", pipeline.batches},
            {"exporter_exceptions", pipeline.exporter_exceptions},
            {"truncated_strings", pipeline.truncated_strings},
            {"dropped_attributes", pipeline.dropped_attributes},
        };
        for (std::size_t i = 0; i < std::size(fields); ++i) {
            if (i) o += ',';
            json_string(o, fields[i].first);
            o += ':';
            json_number(o, fields[i].second);
        }
        o += '}';
    }
    o += ",\"findings\":[";
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const auto& f = findings[i];
        if (i) o += ',';
        o += "{\"kind\":";
        json_string(o, to_string(f.kind));
        o += ",\"score\":";
        json_number(o, f.score);
        o += ",\"subject\":";
        json_string(o, f.subject);
        o += ",\"message\":";
        json_string(o, f.message);
        o += ",\"numbers\":{";
        for (std::size_t j = 0; j < f.numbers.size(); ++j) {
            if (j) o += ',';
            json_string(o, f.numbers[j].first);
            o += ':';
            json_number(o, f.numbers[j].second);
        }
        o += "}}";
    }
    o += "]}";
    return o;
}

}  // namespace tacit::inline TACIT_ABI
