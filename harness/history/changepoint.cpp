// changepoint.cpp - E-divisive means with a per-segment permutation test;
// see changepoint.h for the method and its contract.
#include "history/changepoint.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

namespace vm::harness {
namespace {

// A one-run side has no within-distance (C(1,2) = 0), so no split may leave
// fewer than two runs on a side, whatever the options say.
size_t effective_min_segment(size_t requested) {
  return std::max<size_t>(requested, 2);
}

// True when a segment of `length` runs has at least one allowed split.
bool has_candidates(size_t length, size_t min_segment) {
  return length >= min_segment && length - min_segment >= min_segment;
}

// splitmix64 (Steele, Lea & Flood 2014): a tiny generator whose output is
// fixed bit for bit on every platform, unlike std::uniform_int_distribution.
class splitmix64 {
 public:
  explicit splitmix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) for bound >= 1, without bias: Lemire, "Fast Random
  // Integer Generation in an Interval" (ACM TOMACS 2019).
  uint32_t below(uint32_t bound) {
    uint64_t product = (next() >> 32) * uint64_t{bound};
    auto low = static_cast<uint32_t>(product);
    if (low < bound) {
      const uint32_t threshold = static_cast<uint32_t>(0u - bound) % bound;
      while (low < threshold) {
        product = (next() >> 32) * uint64_t{bound};
        low = static_cast<uint32_t>(product);
      }
    }
    return static_cast<uint32_t>(product >> 32);
  }

 private:
  uint64_t state_;
};

// The permutation stream of segment [begin, end): a function of the seed and
// the bounds only, so a segment's verdict does not depend on which segments
// were tested before it.
uint64_t segment_seed(uint64_t seed, size_t begin, size_t end) {
  uint64_t state = splitmix64(seed).next() ^ static_cast<uint64_t>(begin);
  state = splitmix64(state).next() ^ static_cast<uint64_t>(end);
  return splitmix64(state).next();
}

// One run of a segment as the curve needs it. `distance_sum` and `rank`
// belong to the value, not to its position, so shuffling the entries gives
// a permuted segment with nothing to recompute.
struct run_entry {
  double value = 0;         // centred on the segment mean (|x - y| does not change)
  double distance_sum = 0;  // sum over the whole segment of |value - other value|
  uint32_t rank = 0;        // position in the segment sorted by value, ties by position
};

// Counts and sums of the values inserted so far, by rank: a Fenwick tree
// (Fenwick 1994), O(log N) per insert and per prefix query.
class rank_fenwick {
 public:
  void reset(size_t size) { nodes_.assign(size + 1, node{}); }

  void insert(uint32_t rank, double value) {
    for (size_t i = size_t{rank} + 1; i < nodes_.size(); i += i & (~i + 1)) {
      nodes_[i].sum += value;
      ++nodes_[i].count;
    }
  }

  // Count and sum of the inserted values whose rank is below `rank`.
  std::pair<uint32_t, double> below(uint32_t rank) const {
    uint32_t count = 0;
    double sum = 0;
    for (size_t i = rank; i > 0; i &= i - 1) {
      sum += nodes_[i].sum;
      count += nodes_[i].count;
    }
    return {count, sum};
  }

 private:
  struct node {
    double sum = 0;
    uint32_t count = 0;
  };
  std::vector<node> nodes_;
};

// Buffers reused across segments and permutations.
struct workspace {
  std::vector<run_entry> runs;
  std::vector<run_entry> shuffled;
  std::vector<uint32_t> order;
  rank_fenwick tree;
};

// Fills ws.runs for the segment (in series order) and returns the segment's
// total within-sum, sum_{i<k} |z_i - z_k|.
double prepare_segment(std::span<const double> segment, workspace& ws) {
  const size_t count = segment.size();
  const double mean =
      std::accumulate(segment.begin(), segment.end(), 0.0) / static_cast<double>(count);
  ws.runs.resize(count);
  ws.order.resize(count);
  for (size_t i = 0; i < count; ++i) {
    ws.runs[i].value = segment[i] - mean;
    ws.order[i] = static_cast<uint32_t>(i);
  }
  std::sort(ws.order.begin(), ws.order.end(), [&](uint32_t a, uint32_t b) {
    return ws.runs[a].value < ws.runs[b].value || (ws.runs[a].value == ws.runs[b].value && a < b);
  });
  const double total_sum =
      std::accumulate(ws.runs.begin(), ws.runs.end(), 0.0,
                      [](double acc, const run_entry& r) { return acc + r.value; });
  // For the value of rank r (sorted s_0 <= s_1 <= ...): the distances to the
  // r values below are r s_r - sum(below), to the others sum(above) - (N-1-r) s_r.
  double sum_below = 0;
  double total_within = 0;
  for (size_t r = 0; r < count; ++r) {
    run_entry& entry = ws.runs[ws.order[r]];
    const double x = entry.value;
    const double below = static_cast<double>(r) * x - sum_below;
    const double above = (total_sum - sum_below - x) - static_cast<double>(count - 1 - r) * x;
    entry.rank = static_cast<uint32_t>(r);
    entry.distance_sum = below + above;
    total_within += below;
    sum_below += x;
  }
  return total_within;
}

// Calls visit(tau, q_hat) for every allowed split of the runs in their
// current order, tau increasing. One pass, O(N log N):
//   a_tau = sum_{i<tau} |z_tau - z_i|                  (the Fenwick tree)
//   W_L(tau+1) = W_L(tau) + a_tau                       (left within-sum)
//   B(tau+1)   = B(tau) - a_tau + (D_tau - a_tau)       (between-sum; D_tau is
//                z_tau's distance to the whole segment: it leaves the right
//                side, whose distances to the left stop counting, and its
//                distances to the rest of the right start counting)
//   W_R(tau)   = total - W_L(tau) - B(tau)
template <class Visit>
void for_each_split(std::span<const run_entry> runs, double total_within, size_t min_segment,
                    rank_fenwick& tree, Visit&& visit) {
  const size_t count = runs.size();
  const size_t last = count - min_segment;  // the largest allowed tau
  tree.reset(count);
  double within_left = 0, between = 0, left_sum = 0;
  for (size_t tau = 0; tau <= last; ++tau) {
    if (tau >= min_segment) {
      const auto m = static_cast<double>(tau);
      const auto n = static_cast<double>(count - tau);
      const double within_right = total_within - within_left - between;
      // m n / (m + n) * (2 B / (m n) - W_L / C(m,2) - W_R / C(n,2))
      visit(tau, (2 * between - 2 * within_left * n / (m - 1) - 2 * within_right * m / (n - 1)) /
                     (m + n));
    }
    if (tau == last) break;
    const run_entry& entry = runs[tau];
    const auto [count_below, sum_below] = tree.below(entry.rank);
    const double x = entry.value;
    const auto count_above = static_cast<double>(tau - count_below);
    const double to_left =
        static_cast<double>(count_below) * x - sum_below + (left_sum - sum_below) - count_above * x;
    within_left += to_left;
    between += entry.distance_sum - 2 * to_left;
    left_sum += x;
    tree.insert(entry.rank, x);
  }
}

struct best_split {
  size_t tau = 0;
  double q_hat = -std::numeric_limits<double>::infinity();
};

// The first tau with the largest q-hat.
best_split find_best_split(std::span<const run_entry> runs, double total_within, size_t min_segment,
                           workspace& ws) {
  best_split best;
  for_each_split(runs, total_within, min_segment, ws.tree, [&](size_t tau, double q_hat) {
    if (q_hat > best.q_hat) best = {tau, q_hat};
  });
  return best;
}

struct segment_verdict {
  bool significant = false;
  size_t index = 0;  // absolute index of the split when significant
  double statistic = 0;
  double p_value = 1;
};

segment_verdict test_segment(std::span<const double> series, size_t begin, size_t end,
                             const changepoint_options& options, size_t min_segment,
                             workspace& ws) {
  const double total_within = prepare_segment(series.subspan(begin, end - begin), ws);
  const best_split observed = find_best_split(ws.runs, total_within, min_segment, ws);
  // q-hat <= 0: the sides are no further apart than the runs within them.
  if (!(observed.q_hat > 0)) return {};
  // p = (1 + #shuffles >= observed) / (R + 1) <= alpha holds while the count
  // stays at or below alpha (R + 1) - 1. Once it passes that, no later
  // shuffle can bring p back under alpha: stop (Besag & Clifford 1991).
  // A NaN alpha fails the comparison and makes nothing significant.
  const int permutations = std::max(options.permutations, 0);
  const double allowed_at_least_as_large = options.alpha * (permutations + 1.0) - 1;
  if (!(allowed_at_least_as_large >= 0)) return {};
  // The shuffled curves sum the same distances in other orders; a shuffle
  // whose q-hat equals the observed one up to rounding counts as "at least as
  // large" (the conservative side).
  const double threshold = observed.q_hat * (1 - 1e-9);
  splitmix64 rng(segment_seed(options.seed, begin, end));
  std::vector<run_entry>& shuffled = ws.shuffled;
  shuffled.assign(ws.runs.begin(), ws.runs.end());
  int at_least_as_large = 0;
  for (int p = 0; p < permutations; ++p) {
    for (size_t i = shuffled.size() - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(shuffled[i], shuffled[rng.below(static_cast<uint32_t>(i + 1))]);
    }
    if (find_best_split(shuffled, total_within, min_segment, ws).q_hat >= threshold) {
      ++at_least_as_large;
      if (at_least_as_large > allowed_at_least_as_large) return {};
    }
  }
  return {.significant = true,
          .index = begin + observed.tau,
          .statistic = observed.q_hat,
          .p_value = (1.0 + at_least_as_large) / (permutations + 1.0)};
}

double mean_of(std::span<const double> values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

}  // namespace

std::vector<double> ediv_statistic_curve(std::span<const double> segment, size_t min_segment) {
  min_segment = effective_min_segment(min_segment);
  std::vector<double> curve(segment.size() + 1, std::numeric_limits<double>::quiet_NaN());
  if (segment.size() > std::numeric_limits<uint32_t>::max() ||
      !has_candidates(segment.size(), min_segment)) {
    return curve;
  }
  workspace ws;
  const double total_within = prepare_segment(segment, ws);
  for_each_split(ws.runs, total_within, min_segment, ws.tree,
                 [&](size_t tau, double q_hat) { curve[tau] = q_hat; });
  return curve;
}

std::vector<change_point> detect_change_points(std::span<const double> series,
                                               const changepoint_options& options) {
  const size_t min_segment = effective_min_segment(options.min_segment);
  if (series.size() > std::numeric_limits<uint32_t>::max() ||
      !has_candidates(series.size(), min_segment)) {
    return {};
  }
  if (!std::all_of(series.begin(), series.end(), [](double v) { return std::isfinite(v); }))
    return {};

  // Every segment is tested on its own and its verdict depends only on its
  // bounds, so visiting them depth-first finds the same splits as
  // Matteson & James's best-first order.
  std::vector<change_point> found;
  std::vector<std::pair<size_t, size_t>> pending{{0, series.size()}};
  workspace ws;
  while (!pending.empty()) {
    const auto [begin, end] = pending.back();
    pending.pop_back();
    if (!has_candidates(end - begin, min_segment)) continue;
    const segment_verdict verdict = test_segment(series, begin, end, options, min_segment, ws);
    if (!verdict.significant) continue;
    found.push_back(
        {.index = verdict.index, .p_value = verdict.p_value, .statistic = verdict.statistic});
    pending.emplace_back(verdict.index, end);
    pending.emplace_back(begin, verdict.index);
  }

  std::sort(found.begin(), found.end(),
            [](const change_point& a, const change_point& b) { return a.index < b.index; });
  for (size_t i = 0; i < found.size(); ++i) {
    const size_t previous = i == 0 ? 0 : found[i - 1].index;
    const size_t next = i + 1 == found.size() ? series.size() : found[i + 1].index;
    found[i].before = mean_of(series.subspan(previous, found[i].index - previous));
    found[i].after = mean_of(series.subspan(found[i].index, next - found[i].index));
  }
  return found;
}

}  // namespace vm::harness
