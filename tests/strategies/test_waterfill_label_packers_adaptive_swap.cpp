// Hand-checked cases for the seed 000 / 002 components: waterfill, near_tie, diverse (with its
// micro swap) and adaptive_swap. Every expected vector below was traced by hand from
// COMPOSITION.md sections 4.5 and 4.6; the comments give the trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/pipeline.hpp"
#include "kernel_isa_scope.hpp"

namespace eplb {
namespace {

using Ints = std::vector<int>;

ReplicaLayout waterfill(const std::vector<double>& w, int slots, int iters = 40) {
  ReplicateOptions o;
  o.kind = ReplicateKind::kWaterfill;
  o.waterfill_iters = iters;
  const auto r = make_replicator(o);
  EXPECT_FALSE(r->column_layout());
  ReplicaLayout out;
  r->replicate(w, slots, out);
  return out;
}

Packing pack_with(PackKind kind, const std::vector<double>& w, int m, const Ints& labels,
                  bool micro_swap = true) {
  StageOptions o;
  o.pack = kind;
  o.micro_swap = micro_swap;
  Packing out;
  make_packer(o)->pack(w, m, labels, out);
  return out;
}

// ---- waterfill ----------------------------------------------------------------------------------

TEST(Waterfill, CountsFollowTheWaterLevel) {
  // Level 2 is the smallest with sum max(ceil(w/T), 1) = 4+1+1+1 <= 7, so no top-up is needed.
  const ReplicaLayout l = waterfill({8, 1, 1, 1}, 7);
  EXPECT_EQ(l.cnt, (Ints{4, 1, 1, 1}));
  // LOGICAL layout: cnt[0] slots of expert 0, then expert 1, ...; ranks count up per expert.
  EXPECT_EQ(l.phy2m, (Ints{0, 0, 0, 0, 1, 2, 3}));
  EXPECT_EQ(l.rank, (Ints{0, 1, 2, 3, 0, 0, 0}));
}

TEST(Waterfill, TopUpUsesPreRoundScores) {
  // One bisection step: mid = 4 fits (2+1+1+1 = 5), so hi = 4 and cnt = {2,1,1,1}, extras = 2.
  // The round gives +1 to the top 2 of w/c = {4,1,1,1}: experts 0 and 1 (lowest index on the
  // tie). D'Hondt, which re-scores after each slot, would give expert 0 both: {4,1,1,1}.
  EXPECT_EQ(waterfill({8, 1, 1, 1}, 7, 1).cnt, (Ints{3, 2, 1, 1}));
}

TEST(Waterfill, EqualRowTopsUpLowestIndicesFirst) {
  // s(T) jumps from 3 to 6 at T = 3, so the level stays at 3, cnt = {1,1,1}, and the 2 extras go
  // to the first two indices of the all-tied SORT_DESC.
  EXPECT_EQ(waterfill({3, 3, 3}, 5).cnt, (Ints{2, 2, 1}));
}

TEST(Waterfill, AllZeroRowIsSpreadEvenly) {
  const ReplicaLayout l = waterfill({0, 0, 0}, 7);
  EXPECT_EQ(l.cnt, (Ints{3, 2, 2}));
  EXPECT_EQ(l.phy2m, (Ints{0, 0, 0, 1, 1, 2, 2}));
}

TEST(Waterfill, SlotsEqualExpertsGivesOneEach) {
  const ReplicaLayout l = waterfill({5, 0, 2}, 3);
  EXPECT_EQ(l.cnt, (Ints{1, 1, 1}));
  EXPECT_EQ(l.phy2m, (Ints{0, 1, 2}));
}

TEST(Waterfill, SmallWeightsStillReachTheLevel) {
  // hi starts at max(maxw, 1) = 1; the dyadic levels 0.5 and 0.25 both fit (2 and 3 slots), so
  // the bisection ends at 0.25 with {ceil(2), ceil(1)} = {2, 1}.
  EXPECT_EQ(waterfill({0.5, 0.25}, 3).cnt, (Ints{2, 1}));
}

TEST(Waterfill, TinyLoadsNeverReachTheLevel) {
  // Level 1 is feasible for {4,1,1} on 5 slots ({3,1,1}, no top-up). Scaled by 1e-13 the peak is
  // below hi's floor 2^-40 after 40 halvings from 1.0, so every count stays 1 and one top-up round
  // gives +1 to the top 2 scores: {2,2,1}. D'Hondt would give {3,1,1} at both scales.
  EXPECT_EQ(waterfill({4, 1, 1}, 5).cnt, (Ints{3, 1, 1}));
  EXPECT_EQ(waterfill({4e-13, 1e-13, 1e-13}, 5).cnt, (Ints{2, 2, 1}));
}

// WATERFILL written out literally from COMPOSITION.md 4.6 (full sum every bisection step), to
// check that the replicator's incremental evaluation takes the same decisions.
Ints literal_waterfill(const std::vector<double>& w, int slots) {
  const int n = static_cast<int>(w.size());
  Ints cnt(w.size(), 1);
  if (slots == n) return cnt;
  const double maxw = *std::max_element(w.begin(), w.end());
  if (maxw == 0.0) {
    for (int j = 0; j < n; ++j) cnt[static_cast<std::size_t>(j)] = slots / n + (j < slots % n);
    return cnt;
  }
  double lo = 0.0, hi = std::max(maxw, 1.0);
  for (int it = 0; it < 40; ++it) {
    const double mid = 0.5 * (lo + hi);
    double s = 0;
    for (const double x : w) s += std::max(std::ceil(x / mid), 1.0);
    (s <= slots ? hi : lo) = mid;
  }
  int extras = slots;
  for (int j = 0; j < n; ++j) {
    cnt[static_cast<std::size_t>(j)] =
        static_cast<int>(std::max(std::ceil(w[static_cast<std::size_t>(j)] / hi), 1.0));
    extras -= cnt[static_cast<std::size_t>(j)];
  }
  while (extras > 0) {
    const int k = std::min(extras, n);
    std::vector<double> score(w.size());
    for (std::size_t j = 0; j < w.size(); ++j) score[j] = w[j] / cnt[j];
    Ints order;
    sort_desc(score, order);
    for (int t = 0; t < k; ++t) ++cnt[static_cast<std::size_t>(order[static_cast<std::size_t>(t)])];
    extras -= k;
  }
  return cnt;
}

TEST(Waterfill, MatchesTheLiteralAlgorithmOnRandomRows) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);
    std::uint64_t state = 42;
    auto next = [&state] {  // LCG; any fixed stream will do
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return state >> 33;
    };
    for (int t = 0; t < 3000; ++t) {
      const int n = 1 + static_cast<int>(next() % 40);
      const int slots = n + static_cast<int>(next() % static_cast<std::uint64_t>(2 * n + 1));
      const double scale = std::pow(10.0, static_cast<double>(next() % 31) - 15.0);
      std::vector<double> w(static_cast<std::size_t>(n));
      for (double& x : w) {
        const auto r = next() % 100;
        x = r < 10   ? 0.0
            : r < 40 ? static_cast<double>(r % 5) * scale
                     : static_cast<double>(next() % 1000000) * 1e-3 * scale;
      }
      ASSERT_EQ(waterfill(w, slots).cnt, literal_waterfill(w, slots))
          << to_string(isa) << " row " << t;
    }
  }
}

// Rows near the ends of the double range: quotients near the subnormal range, where the
// single-expert threshold is not searched, and huge weights.
TEST(Waterfill, MatchesTheLiteralAlgorithmAtExtremeScales) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);
    std::uint64_t state = 7;
    auto next = [&state] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return state >> 33;
    };
    int rows = 0;
    for (const double scale : {1e-320, 1e-310, 1e-300, 1e-30, 1e30, 1e300}) {
      for (int t = 0; t < 300; ++t) {
        const int n = 1 + static_cast<int>(next() % 24);
        const int slots = n + static_cast<int>(next() % static_cast<std::uint64_t>(3 * n + 1));
        std::vector<double> w(static_cast<std::size_t>(n));
        for (double& x : w) x = static_cast<double>(next() % 1000) * scale;
        ASSERT_EQ(waterfill(w, slots).cnt, literal_waterfill(w, slots))
            << to_string(isa) << " scale " << scale << " row " << t;
        ++rows;
      }
    }
    EXPECT_EQ(rows, 1800);
  }
}

TEST(Waterfill, RejectsZeroIterations) {
  ReplicateOptions o;
  o.kind = ReplicateKind::kWaterfill;
  o.waterfill_iters = 0;
  EXPECT_THROW(make_replicator(o), InputError);
}

// ---- near_tie -----------------------------------------------------------------------------------

// Items (weight, label): 0 (5, e0), 1 (3, e1), 2 (2+1e-6, e2), 3 (1, e0), 4 (0.5, e3), 5 (0.4, e4);
// 2 packs of 3. eps = 1e-6 * mean ~ 1.98e-6. After items 0..2 the loads are {5, 5+1e-6}: a near
// tie. Item 3 has expert e0, already on pack 0, so the label rule sends it to pack 1.
const std::vector<double> kNearTieW = {5, 3, 2 + 1e-6, 1, 0.5, 0.4};
const Ints kNearTieLabels = {0, 1, 2, 0, 3, 4};

TEST(NearTie, PrefersThePackWithFewerCopiesOfTheLabelUnderANearTie) {
  const Packing p = pack_with(PackKind::kNearTie, kNearTieW, 2, kNearTieLabels);
  EXPECT_EQ(p.pack, (Ints{0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(p.rank, (Ints{0, 0, 1, 2, 1, 2}));
  EXPECT_NE(p.pack[0], p.pack[3]) << "the two replicas of e0 share a pack";
}

TEST(NearTie, WithoutLabelsTheEarlierPackKeepsTheNearTie) {
  // Node stage (assumption A3): pack 1 is not lighter by more than eps, so pack 0 keeps item 3,
  // which is also what DeepSeek's greedy does here.
  const Packing p = pack_with(PackKind::kNearTie, kNearTieW, 2, {});
  EXPECT_EQ(p.pack, (Ints{0, 1, 1, 0, 1, 0}));
  EXPECT_EQ(p.rank, (Ints{0, 0, 1, 1, 2, 2}));
  const Packing g = pack_with(PackKind::kGreedy, kNearTieW, 2, kNearTieLabels);
  EXPECT_EQ(g.pack, p.pack);
}

TEST(NearTie, ALighterPackBeyondEpsStillWins) {
  // Same row with the near tie widened to 1e-3 >> eps: pack 0 (load 5) is now clearly lighter
  // than pack 1 (5.001), so item 3 joins its e0 sibling there despite the label.
  const std::vector<double> w = {5, 3, 2 + 1e-3, 1, 0.5, 0.4};
  const Packing p = pack_with(PackKind::kNearTie, w, 2, kNearTieLabels);
  EXPECT_EQ(p.pack[3], 0);
}

// ---- diverse ------------------------------------------------------------------------------------

TEST(Diverse, AvoidsColocatingReplicasWhereGreedyWould) {
  // Six unit replicas; items 0 and 2 are two replicas of expert 0. DeepSeek's greedy alternates
  // on the exact ties and puts 0 and 2 on pack 0. The diverse greedy sees item 2's two options
  // tied at load 2 and takes pack 1, which has no e0 yet. Loads end equal, so no micro swap.
  const std::vector<double> w(6, 1.0);
  const Ints labels = {0, 2, 0, 3, 4, 5};
  const Packing g = pack_with(PackKind::kGreedy, w, 2, labels);
  EXPECT_EQ(g.pack, (Ints{0, 1, 0, 1, 0, 1}));
  const Packing d = pack_with(PackKind::kDiverse, w, 2, labels);
  EXPECT_EQ(d.pack, (Ints{0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(d.rank, (Ints{0, 0, 1, 1, 2, 2}));
  EXPECT_NE(d.pack[0], d.pack[2]);
}

// w = {4,2,2,2,1,1}, 2 packs of 3, no labels. Greedy: 4->p0; 2->p1; 2->p1 (2 < 4); item 3 ties
// at 4/4 and p0 has fewer items -> p0; 1->p1; p1 is full, so 1->p0. Loads {7, 5}.
// Micro swap: h = 0, T = {0 (4), 3 (2)}, B = {4 (1), 1 (2)}; the candidate (3, 4) gives loads
// {6, 6}, the lowest peak, and 6 + 1e-12 < 7, so it fires. Pack 0's list [0,3,5] becomes [0,4,5]
// and pack 1's [1,2,4] becomes [1,2,3]; ranks are the list positions.
const std::vector<double> kSwapW = {4, 2, 2, 2, 1, 1};

TEST(Diverse, MicroSwapFiresWhenItLowersThePeak) {
  const Packing p = pack_with(PackKind::kDiverse, kSwapW, 2, {});
  EXPECT_EQ(p.pack, (Ints{0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(p.rank, (Ints{0, 0, 1, 2, 1, 2}));
}

TEST(Diverse, MicroSwapOffKeepsTheGreedy) {
  const Packing p = pack_with(PackKind::kDiverse, kSwapW, 2, {}, /*micro_swap=*/false);
  EXPECT_EQ(p.pack, (Ints{0, 1, 1, 0, 1, 0}));
  EXPECT_EQ(p.rank, (Ints{0, 0, 1, 1, 2, 2}));
}

TEST(Diverse, MicroSwapDoesNotFireWithoutImprovement) {
  // {5,4,3,1}: greedy gives {5,1} / {4,3} = {6, 7}, already optimal. The best candidate, items
  // 1 (4) <-> 0 (5), would raise the peak to 8, so nothing moves and the greedy ranks stay.
  const std::vector<double> w = {5, 4, 3, 1};
  const Packing on = pack_with(PackKind::kDiverse, w, 2, {});
  const Packing off = pack_with(PackKind::kDiverse, w, 2, {}, false);
  EXPECT_EQ(on.pack, (Ints{0, 1, 1, 0}));
  EXPECT_EQ(on.rank, (Ints{0, 0, 1, 1}));
  EXPECT_EQ(on.pack, off.pack);
  EXPECT_EQ(on.rank, off.rank);
}

TEST(Diverse, OnePackFallsBackToGreedyOrder) {
  const Packing p = pack_with(PackKind::kDiverse, {1, 3, 2}, 1, {0, 0, 1});
  EXPECT_EQ(p.pack, (Ints{0, 0, 0}));
  EXPECT_EQ(p.rank, (Ints{2, 0, 1}));
}

// ---- adaptive_swap ------------------------------------------------------------------------------

// Start: items 0..3 weigh 3 and sit in pack 0, items 4..7 weigh 1 and sit in pack 1. Loads
// {12, 4}: Δ = 8, mean 8, spread/mean = 1.0. Best 1x1: (0, 4) with |8 - 2*2| = 4. 2x2 of top-2
// {0, 1} against bottom-2 {4, 5}: |8 - 2*((3+3) - (1+1))| = 0 < 4 and < 8, so it is taken.
const std::vector<double> kExW = {3, 3, 3, 3, 1, 1, 1, 1};

Packing ex_start() { return {{0, 0, 0, 0, 1, 1, 1, 1}, {0, 1, 2, 3, 0, 1, 2, 3}}; }

Packing refine(const StageOptions& o, const std::vector<double>& w, int m, Packing p) {
  make_refiner(o)->refine(w, m, p);
  return p;
}

StageOptions adaptive(int steps, bool exchange, double threshold = 0.12) {
  StageOptions o;
  o.refine = RefineKind::kAdaptiveSwap;
  o.steps = steps;
  o.exchange = exchange;
  o.swap_threshold = threshold;
  return o;
}

TEST(AdaptiveSwap, TwoByTwoExchangeFiresFromAConstructedStart) {
  // One step (threshold 1e9: no extra step). The 2x2 swaps 0<->4 and 1<->5: loads {8, 8}.
  // RERANK(0): items 2 (r2), 3 (r3), 4 (r0), 5 (r1) -> 4, 5, 2, 3; RERANK(1): 0, 1, 6, 7.
  const Packing p = refine(adaptive(1, true, 1e9), kExW, 2, ex_start());
  EXPECT_EQ(p.pack, (Ints{1, 1, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(p.rank, (Ints{0, 1, 2, 3, 0, 1, 2, 3}));
}

TEST(AdaptiveSwap, TheExchangeTakesTheTopTwoWhateverK) {
  // The 2x2 pairs TOPK(heavy, 2) with BOTTOMK(lightest, 2) for every k (the refiner reuses its
  // k-lists' first two when k >= 2 and makes its own for k = 1): the same swap as above.
  for (const int k : {1, 2, 3, 4}) {
    StageOptions o = adaptive(1, true, 1e9);
    o.k = k;
    const Packing p = refine(o, kExW, 2, ex_start());
    EXPECT_EQ(p.pack, (Ints{1, 1, 0, 0, 0, 0, 1, 1})) << "k " << k;
    EXPECT_EQ(p.rank, (Ints{0, 1, 2, 3, 0, 1, 2, 3})) << "k " << k;
  }
}

TEST(AdaptiveSwap, ExchangeOffTakesTheBestOneByOne) {
  // Without the 2x2 the step takes the 1x1 (0, 4): loads {10, 6}.
  const Packing p = refine(adaptive(1, false, 1e9), kExW, 2, ex_start());
  EXPECT_EQ(p.pack, (Ints{1, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(p.rank, (Ints{0, 1, 2, 3, 0, 1, 2, 3}));
}

TEST(AdaptiveSwap, ExtraStepOnlyAboveTheThreshold) {
  // spread/mean is exactly 1.0. With threshold 0.99 the base step gets an extra one: two 1x1
  // swaps, (0, 4) then (1, 5), reach {8, 8}. With threshold 1.0 the test is not strict-greater,
  // so only the base step runs and the loads stay {10, 6}.
  const Packing two = refine(adaptive(1, false, 0.99), kExW, 2, ex_start());
  EXPECT_EQ(two.pack, (Ints{1, 1, 0, 0, 0, 0, 1, 1}));
  const Packing one = refine(adaptive(1, false, 1.0), kExW, 2, ex_start());
  EXPECT_EQ(one.pack, (Ints{1, 0, 0, 0, 0, 1, 1, 1}));
  // Zero base steps: the extra step is the only one.
  const Packing extra = refine(adaptive(0, false, 0.99), kExW, 2, ex_start());
  EXPECT_EQ(extra.pack, one.pack);
  const Packing none = refine(adaptive(0, false, 1.0), kExW, 2, ex_start());
  EXPECT_EQ(none.pack, ex_start().pack);
}

TEST(AdaptiveSwap, EqualLoadsStop) {
  const std::vector<double> w = {1, 2, 2, 1};
  const Packing start = {{0, 0, 1, 1}, {1, 0, 0, 1}};
  const Packing p = refine(adaptive(2, true), w, 2, start);
  EXPECT_EQ(p.pack, start.pack);
  EXPECT_EQ(p.rank, start.rank);
}

TEST(AdaptiveSwap, SecondLightestPackCanWin) {
  // Loads {9, 2, 5} over 3 packs of 2: h = 0, lights O[0] = 1 (load 2) and O[1] = 2 (load 5).
  // Pack 0 holds {5 (item 0), 4 (item 1)}, pack 1 {1, 1} (items 2, 3), pack 2 {3, 2} (4, 5).
  // vs pack 1 (Δ 7): first minimum |7 - 2*(5-1)| = 1 (items 0, 2); vs pack 2 (Δ 4): T = {0, 1},
  // B = {5, 4}: (0, 5) gives 2, then (0, 4) gives |4 - 2*(5-3)| = 0, which wins. The 2x2 against
  // pack 1, |7 - 2*(9 - 2)| = 7, is not better. So item 0 <-> item 4.
  const std::vector<double> w = {5, 4, 1, 1, 3, 2};
  const Packing start = {{0, 0, 1, 1, 2, 2}, {0, 1, 0, 1, 0, 1}};
  StageOptions o = adaptive(1, true, 1e9);
  const Packing p = refine(o, w, 3, start);
  EXPECT_EQ(p.pack, (Ints{2, 0, 1, 1, 0, 2}));
  // With only the lightest pack considered, the swap goes to pack 1: items 0 <-> 2 (nd 1).
  o.lights = 1;
  const Packing q = refine(o, w, 3, start);
  EXPECT_EQ(q.pack, (Ints{1, 0, 0, 1, 2, 2}));
}

TEST(AdaptiveSwap, RejectsBadParameters) {
  StageOptions o = adaptive(2, true);
  o.k = 0;
  EXPECT_THROW(make_refiner(o), InputError);
  o = adaptive(2, true);
  o.lights = 0;
  EXPECT_THROW(make_refiner(o), InputError);
}

}  // namespace
}  // namespace eplb
