// changepoint.h - where a nightly series steps: E-divisive means
// (Matteson & James, "A Nonparametric Approach for Multiple Change Point
// Analysis of Multivariate Data", JASA 2014), the method MongoDB's
// performance CI and Apache Otava (formerly Hunter) run over their nightly
// results. The series is split recursively at the point that maximises the
// energy-distance divergence between the two sides; a split is kept only
// when a seeded permutation test finds it significant and both sides hold
// at least `min_segment` runs, so a single outlier night is never a change
// point.
//
// Pure and deterministic: the same series, options and seed give the same
// change points. Values must be finite (history.h validates them at the
// edge); callers pass log(time) so that a step is a ratio.
//
// The divergence (alpha = 1, one dimension). For a segment z_0..z_{N-1} and
// a split tau (left X = z_0..z_{tau-1}, m = tau runs; right Y = the other
// n = N - tau runs):
//   e-hat(tau) = 2/(m n) sum_ij |X_i - Y_j| - 1/C(m,2) sum_{i<k} |X_i - X_k|
//                                           - 1/C(n,2) sum_{j<k} |Y_j - Y_k|
//   q-hat(tau) = m n / (m + n) * e-hat(tau)
// The right part always runs to the end of the segment (Matteson & James's
// kappa fixed at N, as Otava does). With alpha = 1 a lone outlier on one side
// adds about as much to the between-sum as to that side's within-sum, so
// it barely moves q-hat, while a shift of the whole side moves only the
// between-sum.
//
// Cost: one q-hat curve is O(N log N) (a Fenwick tree over the ranks keeps
// the left within-sum; the between-sum follows from each value's distance to
// the whole segment, which permutation does not change). The permutation
// test recomputes the curve for each permutation, so a segment costs
// O(permutations * N log N); a non-significant segment usually stops after
// a few dozen permutations (Besag & Clifford's sequential rule: stop once
// the p-value can no longer reach alpha). docs/SIGNAL.md gives the measured
// time per 365-night series.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vm::harness {

struct changepoint_options {
  double alpha = 0.05;     // significance of the permutation test: a split is kept when p <= alpha
  int permutations = 199;  // permutations per tested split (p resolution 1/(permutations+1));
                           // < 1 makes p = 1, so nothing is significant
  size_t min_segment = 3;  // runs each side of a split must hold at least; values below 2 act as 2
                           // (a one-run side has no within-distance)
  uint64_t seed = 0x5eed;  // seeds the permutations (deterministic)
};

struct change_point {
  size_t index = 0;    // first run of the new segment: the step happened between index-1 and index
  double before = 0;   // mean of the segment before (same units as the series)
  double after = 0;    // mean of the segment after
  double p_value = 1;  // permutation p-value of this split when it was accepted
  double statistic = 0;  // the E-divisive divergence q-hat at the split
};

// Change points of the series in increasing index order; empty when the
// series is shorter than 2 * min_segment, when nothing is significant, or
// when any value is NaN or infinite (nothing is claimed about such a
// series; callers check their values at the edge), or when the series holds
// more than 2^32 - 1 runs.
// `before`/`after` are the means of the final segments on either side.
//
// Each segment [begin, end) is tested on its own: its best split (the first
// tau with the largest q-hat) against the largest q-hat of each of
// `permutations` shuffles of that segment, p = (1 + #shuffles at least as
// large) / (permutations + 1). The shuffles are seeded from `seed`, begin
// and end only, so a segment's verdict does not depend on the order in which
// segments are examined: the result is the same whether the segments are
// visited best-first (Matteson & James) or depth-first (what this does).
// A segment that is not significant is final; the others are still split.
std::vector<change_point> detect_change_points(std::span<const double> series,
                                               const changepoint_options& options = {});

// The q-hat curve of one segment, computed in O(N log N) as
// detect_change_points does: element tau (0 <= tau <= N) is q-hat for the
// split before run tau, for min_segment <= tau <= N - min_segment (with
// min_segment below 2 acting as 2), and NaN for every other tau (not a
// candidate). Values must be finite. Exposed for tests and tools.
std::vector<double> ediv_statistic_curve(std::span<const double> segment, size_t min_segment);

}  // namespace vm::harness
