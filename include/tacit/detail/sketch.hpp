#pragma once
/// A mergeable streaming quantile sketch with a guaranteed relative error (DDSketch-style).
#include <algorithm>  // std::min, std::max, std::copy
#include <cmath>      // std::log, std::ceil, std::pow
#include <cstdint>    // bucket counts
#include <limits>     // infinities for empty min/max
#include <stdexcept>  // std::invalid_argument on a bad accuracy or a mismatched merge
#include <vector>     // dense bucket store

#include "../config.hpp"

namespace tacit::inline TACIT_ABI {

/// Quantiles of positive values within a relative error `alpha` (DDSketch, Masson et al. 2019).
///
/// A value x > 0 lands in bucket i = ceil(log_gamma(x)) with gamma = (1 + alpha) / (1 - alpha);
/// every value in bucket i lies in (gamma^(i-1), gamma^i], and the estimate 2 gamma^i / (gamma + 1)
/// is within alpha of each of them. Values <= 0 are counted apart and read back as 0.
/// Memory is one counter per occupied log bucket: with alpha = 1 % about 1 400 buckets span
/// 1 ns .. 1 000 s. When more than `max_buckets` would be needed, the lowest buckets are merged
/// (the error guarantee then holds for quantiles above the collapsed range only).
/// Two sketches with the same alpha merge exactly: the result equals one sketch fed both streams.
///
///     tacit::quantile_sketch s{0.01};
///     for (double ns : latencies) s.add(ns);
///     double p99 = s.quantile(0.99);   // within 1 % of the true p99
class quantile_sketch {
public:
    quantile_sketch() : quantile_sketch(0.01) {}
    explicit quantile_sketch(double alpha, std::size_t max_buckets = 4096)
        : alpha_(alpha), max_buckets_(max_buckets) {
        if (!(alpha > 0.0 && alpha < 1.0))
            throw std::invalid_argument("tacit::quantile_sketch: relative accuracy must lie in (0, 1)");
        if (max_buckets_ < 16) max_buckets_ = 16;
        gamma_ = (1.0 + alpha) / (1.0 - alpha);
        inv_log_gamma_ = 1.0 / std::log(gamma_);
    }

    /// The relative error bound the sketch was built with.
    double relative_accuracy() const noexcept { return alpha_; }

    void add(double x, std::uint64_t n = 1) {
        if (n == 0 || std::isnan(x)) return;
        count_ += n;
        sum_ += x * static_cast<double>(n);
        min_ = std::min(min_, x);
        max_ = std::max(max_, x);
        if (x <= 0.0) { zero_count_ += n; return; }
        bump(index_of(x), n);
    }

    /// Adds every value of `other`; both must share the same relative accuracy.
    void merge(const quantile_sketch& other) {
        if (other.alpha_ != alpha_)
            throw std::invalid_argument("tacit::quantile_sketch: cannot merge sketches of different accuracy");
        if (other.count_ == 0) return;
        count_ += other.count_;
        zero_count_ += other.zero_count_;
        sum_ += other.sum_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
        for (std::size_t i = 0; i < other.counts_.size(); ++i)
            if (other.counts_[i] != 0) bump(other.offset_ + static_cast<std::int32_t>(i), other.counts_[i]);
    }

    /// The value at rank q in [0, 1] (0 = min, 1 = max); 0 for an empty sketch.
    double quantile(double q) const noexcept {
        if (count_ == 0) return 0.0;
        if (q <= 0.0) return min_;
        if (q >= 1.0) return max_;
        // Rank of the q-quantile among 0..count-1, the "lower" definition DDSketch uses.
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
        if (rank < zero_count_) return std::max(0.0, min_);
        std::uint64_t seen = zero_count_;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen > rank) {
                const double v = value_of(offset_ + static_cast<std::int32_t>(i));
                return std::clamp(v, min_, max_);  // never outside what was seen
            }
        }
        return max_;
    }

    std::uint64_t count() const noexcept { return count_; }
    double sum() const noexcept { return sum_; }
    double mean() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
    double min() const noexcept { return count_ ? min_ : 0.0; }
    double max() const noexcept { return count_ ? max_ : 0.0; }
    std::size_t bucket_count() const noexcept { return counts_.size(); }

    /// Visits each non-empty bucket as (lower bound, upper bound, count), lowest first;
    /// values <= 0 come first as (0, 0, n). For histograms.
    template <class F>
    void for_each_bucket(F&& f) const {
        if (zero_count_) f(0.0, 0.0, zero_count_);
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            if (!counts_[i]) continue;
            const auto idx = offset_ + static_cast<std::int32_t>(i);
            f(std::pow(gamma_, idx - 1), std::pow(gamma_, idx), counts_[i]);
        }
    }

private:
    std::int32_t index_of(double x) const noexcept {
        return static_cast<std::int32_t>(std::ceil(std::log(x) * inv_log_gamma_));
    }
    double value_of(std::int32_t idx) const noexcept {
        return 2.0 * std::pow(gamma_, idx) / (gamma_ + 1.0);
    }

    void bump(std::int32_t idx, std::uint64_t n) {
        if (counts_.empty()) {
            offset_ = idx;
            counts_.assign(1, 0);
        } else if (idx < offset_) {
            const auto grow = static_cast<std::size_t>(offset_ - idx);
            if (counts_.size() + grow > max_buckets_) {
                // Out of room below: fold this value into the lowest bucket we keep.
                counts_.front() += n;
                return;
            }
            counts_.insert(counts_.begin(), grow, 0);
            offset_ = idx;
        } else if (static_cast<std::size_t>(idx - offset_) >= counts_.size()) {
            const auto need = static_cast<std::size_t>(idx - offset_) + 1;
            if (need > max_buckets_) collapse_low(need - max_buckets_);
            counts_.resize(static_cast<std::size_t>(idx - offset_) + 1, 0);
        }
        counts_[static_cast<std::size_t>(idx - offset_)] += n;
    }

    // Merges the lowest `k` buckets into the next one, keeping the high quantiles exact.
    void collapse_low(std::size_t k) {
        k = std::min(k, counts_.size() - 1);
        std::uint64_t folded = 0;
        for (std::size_t i = 0; i < k; ++i) folded += counts_[i];
        counts_.erase(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(k));
        counts_.front() += folded;
        offset_ += static_cast<std::int32_t>(k);
    }

    double alpha_;
    std::size_t max_buckets_;
    double gamma_ = 1.0;
    double inv_log_gamma_ = 1.0;
    std::vector<std::uint64_t> counts_;
    std::int32_t offset_ = 0;
    std::uint64_t count_ = 0;
    std::uint64_t zero_count_ = 0;
    double sum_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace tacit::inline TACIT_ABI
