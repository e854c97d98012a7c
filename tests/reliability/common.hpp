// Span kinds and helpers shared by the reliability tests.
#pragma once
#include <tacit/tacit.hpp>

#include <algorithm>   // std::min
#include <array>       // histograms
#include <chrono>      // deadlines
#include <cstdint>     // counters
#include <cstdio>      // /proc/self/statm
#include <string>      // paths
#include <unistd.h>    // sysconf

namespace rel {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct seq : tacit::attribute<"crew.seq", std::uint64_t> {};
struct depth : tacit::attribute<"crew.depth", std::int64_t> {};
struct goal : tacit::content<"crew.agent.goal", std::string_view> {};
struct task_description : tacit::content<"crew.task.description", std::string_view> {};

struct tool_usage : tacit::span_kind<"tool_usage", tool_name, seq, depth> {};
struct agent_run : tacit::span_kind<"agent_execution", tacit::shares_content, goal, task_description, tool_name> {};

inline tacit::pipeline_options quick() {
    tacit::pipeline_options o;
    o.schedule_delay = std::chrono::milliseconds(20);
    o.watch_environment = false;
    return o;
}

/// Resident set size of this process in bytes, from /proc/self/statm.
inline std::uint64_t rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    if (n != 2) return 0;
    return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/// A log-linear latency histogram (nanoseconds): exact below 64, then 32 steps per power of two.
struct histogram {
    static constexpr int sub = 32;
    static constexpr int buckets = 64 + 58 * sub;
    std::array<std::uint64_t, buckets> counts{};
    std::uint64_t total = 0;

    static int index(std::uint64_t v) noexcept {
        if (v < 64) return static_cast<int>(v);
        int msb = 63 - __builtin_clzll(v);               // >= 6
        int frac = static_cast<int>((v >> (msb - 5)) & (sub - 1));
        return std::min(64 + (msb - 6) * sub + frac, buckets - 1);
    }
    static std::uint64_t lower(int i) noexcept {
        if (i < 64) return static_cast<std::uint64_t>(i);
        int msb = (i - 64) / sub + 6, frac = (i - 64) % sub;
        return (std::uint64_t{1} << msb) + (static_cast<std::uint64_t>(frac) << (msb - 5));
    }
    void add(std::uint64_t v) noexcept {
        ++counts[static_cast<std::size_t>(index(v))];
        ++total;
    }
    void merge(const histogram& o) noexcept {
        for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
        total += o.total;
    }
    /// The lower bound of the bucket holding quantile q (0..1).
    std::uint64_t quantile(double q) const noexcept {
        if (total == 0) return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total - 1));
        std::uint64_t seen = 0;
        for (int i = 0; i < buckets; ++i) {
            seen += counts[static_cast<std::size_t>(i)];
            if (seen > rank) return lower(i);
        }
        return lower(buckets - 1);
    }
};
}  // namespace rel
