// Components of seeds 003, 004 and 001 (and seed000's D/S/H chooser): tail size, hybrid_tail and
// peak_tail replicators, the fix-ups, and the nearest and k_swap refiners. Small rows are
// hand-checked against COMPOSITION.md; property tests run a few hundred seeded random rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../strategies/src/components.hpp"  // detail::tail_size (white-box)
#include "eplb/error.hpp"
#include "eplb/pipeline.hpp"
#include "kernel_isa_scope.hpp"

namespace eplb {
namespace {

ReplicaLayout replicate(const ReplicateOptions& options, const std::vector<double>& w, int slots) {
  ReplicaLayout out;
  make_replicator(options)->replicate(w, slots, out);
  return out;
}

ReplicateOptions hybrid(TailRounding rounding, SainteLagueDivisor divisor) {
  ReplicateOptions o;
  o.kind = ReplicateKind::kHybridTail;
  o.tail_rounding = rounding;
  o.sl_divisor = divisor;
  return o;
}

ReplicateOptions peak(TailChooser chooser, double tail_fraction = 0.1) {
  ReplicateOptions o;
  o.kind = ReplicateKind::kPeakTail;
  o.chooser = chooser;
  o.tail_fraction = tail_fraction;
  return o;
}

double max_avg(const std::vector<double>& w, const std::vector<int>& cnt) {
  double m = 0.0;
  for (std::size_t j = 0; j < w.size(); ++j) m = std::max(m, w[j] / cnt[j]);
  return m;
}

// Every slot's rank is distinct per expert, 0..cnt-1, and the slot counts equal cnt.
void expect_consistent(const ReplicaLayout& l, int slots) {
  ASSERT_EQ(static_cast<int>(l.phy2m.size()), slots);
  ASSERT_EQ(l.rank.size(), l.phy2m.size());
  std::vector<std::vector<int>> ranks(l.cnt.size());
  for (std::size_t s = 0; s < l.phy2m.size(); ++s)
    ranks[static_cast<std::size_t>(l.phy2m[s])].push_back(l.rank[s]);
  for (std::size_t e = 0; e < l.cnt.size(); ++e) {
    std::sort(ranks[e].begin(), ranks[e].end());
    std::vector<int> want(static_cast<std::size_t>(l.cnt[e]));
    for (int r = 0; r < l.cnt[e]; ++r) want[static_cast<std::size_t>(r)] = r;
    EXPECT_EQ(ranks[e], want) << "expert " << e;
  }
}

// Random non-negative rows: integers from a small range (ties, zeros) or doubles.
std::vector<double> random_row(std::mt19937_64& rng, int n) {
  std::vector<double> w(static_cast<std::size_t>(n));
  const int kind = static_cast<int>(rng() % 3);
  for (double& x : w) {
    if (kind == 0)
      x = static_cast<double>(rng() % 6);
    else if (kind == 1)
      x = static_cast<double>(rng() % 200000);
    else
      x = std::uniform_real_distribution<double>(0.0, 1000.0)(rng);
  }
  return w;
}

// ---- tail size ----------------------------------------------------------------------------------

TEST(TailSize, ReproducesSeedIntegerFormulasForEveryRed) {
  ReplicateOptions floor_opts = hybrid(TailRounding::kFloor, SainteLagueDivisor::kPlusOne);
  ReplicateOptions ceil_opts = hybrid(TailRounding::kCeil, SainteLagueDivisor::kMinusOne);
  EXPECT_EQ(detail::tail_size(floor_opts, 0), 0);
  EXPECT_EQ(detail::tail_size(ceil_opts, 0), 0);
  for (int red = 1; red <= 5000; ++red) {
    EXPECT_EQ(detail::tail_size(floor_opts, red), std::max(1, red / 10)) << red;       // seed003
    EXPECT_EQ(detail::tail_size(ceil_opts, red), std::max(1, (red + 9) / 10)) << red;  // 004/001
  }
  // 30 * 0.1 is 3.0000000000000004 in double; a floating-point ceil would give 4.
  EXPECT_EQ(detail::tail_size(ceil_opts, 30), 3);
}

TEST(TailSize, InexactFractionsMinimumAndCap) {
  ReplicateOptions o;
  o.tail_fraction = 0.3;  // not a double either: 10 * 0.3 = 3.0000000000000004
  for (int red = 1; red <= 1000; ++red) {
    o.tail_rounding = TailRounding::kFloor;
    EXPECT_EQ(detail::tail_size(o, red), std::max(1, 3 * red / 10)) << red;
    o.tail_rounding = TailRounding::kCeil;
    EXPECT_EQ(detail::tail_size(o, red), std::max(1, (3 * red + 9) / 10)) << red;
  }
  o.tail_fraction = 0.1;
  o.tail_min = 5;
  EXPECT_EQ(detail::tail_size(o, 3), 3);  // capped at red
  EXPECT_EQ(detail::tail_size(o, 40), 5);
  o.tail_min = 0;
  o.tail_fraction = 0.0;
  EXPECT_EQ(detail::tail_size(o, 40), 0);
  o.tail_fraction = 1.0;
  EXPECT_EQ(detail::tail_size(o, 40), 40);
}

TEST(TailSize, BadTailOptionsAreInputErrors) {
  ReplicateOptions o = hybrid(TailRounding::kCeil, SainteLagueDivisor::kMinusOne);
  o.tail_fraction = 1.5;
  EXPECT_THROW(make_replicator(o), InputError);
  o = peak(TailChooser::kDS);
  o.tail_min = -1;
  EXPECT_THROW(make_replicator(o), InputError);
}

// ---- hybrid_tail --------------------------------------------------------------------------------

// w = {10, 5.5}, 4 slots: red = 2, tail = 1, bulk = 1. Bulk: D'Hondt 10/1 > 5.5 -> expert 0,
// cnt {2, 1}. Tail step: D'Hondt 10/2 = 5 < 5.5 -> 1; 2c+1: 10/5 = 2 > 5.5/3 -> 0;
// 2c-1: 10/3 < 5.5/1 -> 1.
TEST(HybridTail, SainteLaguePlusOneTailPicksWhatDHondtWouldNot) {
  const std::vector<double> w = {10.0, 5.5};
  const ReplicaLayout plus =
      replicate(hybrid(TailRounding::kFloor, SainteLagueDivisor::kPlusOne), w, 4);
  EXPECT_EQ(plus.phy2m, (std::vector<int>{0, 1, 0, 0}));
  EXPECT_EQ(plus.rank, (std::vector<int>{0, 0, 1, 2}));
  EXPECT_EQ(plus.cnt, (std::vector<int>{3, 1}));
  const ReplicaLayout dhondt = replicate(ReplicateOptions{}, w, 4);
  EXPECT_EQ(dhondt.phy2m, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(dhondt.cnt, (std::vector<int>{2, 2}));
}

// w = {10, 4.5}: after the bulk step cnt {2, 1}. D'Hondt 5 > 4.5 -> 0; 2c-1: 10/3 < 4.5 -> 1;
// 2c+1: 10/5 = 2 > 4.5/3 = 1.5 -> 0. On {10, 5.5} (above) 2c+1 -> 0 and 2c-1 -> 1 as well.
TEST(HybridTail, DivisorsTwoCPlusOneAndTwoCMinusOneDiffer) {
  const std::vector<double> w = {10.0, 4.5};
  const ReplicaLayout minus =
      replicate(hybrid(TailRounding::kCeil, SainteLagueDivisor::kMinusOne), w, 4);
  EXPECT_EQ(minus.phy2m, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(minus.rank, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(minus.cnt, (std::vector<int>{2, 2}));
  const ReplicaLayout plus =
      replicate(hybrid(TailRounding::kCeil, SainteLagueDivisor::kPlusOne), w, 4);
  EXPECT_EQ(plus.cnt, (std::vector<int>{3, 1}));
  EXPECT_EQ(replicate(ReplicateOptions{}, w, 4).cnt, (std::vector<int>{3, 1}));
}

// COMPOSITION.md sections 4.2/4.3 taken literally: a left-to-right ARGMAX scan per slot.
ReplicaLayout naive_hybrid(const std::vector<double>& w, int slots, int tail, bool plus) {
  const int n = static_cast<int>(w.size());
  ReplicaLayout l;
  l.cnt.assign(w.size(), 1);
  for (int j = 0; j < n; ++j) {
    l.phy2m.push_back(j);
    l.rank.push_back(0);
  }
  for (int t = 0; t < slots - n; ++t) {
    const bool sainte_lague = t >= slots - n - tail;
    int best = 0;
    double best_p = -1.0;
    for (int j = 0; j < n; ++j) {
      const int c = l.cnt[static_cast<std::size_t>(j)];
      const double wj = w[static_cast<std::size_t>(j)];
      const double p = !sainte_lague ? wj / c : plus ? wj / (2 * c + 1) : wj / (2.0 * c - 1.0);
      if (p > best_p) {
        best = j;
        best_p = p;
      }
    }
    l.phy2m.push_back(best);
    l.rank.push_back(l.cnt[static_cast<std::size_t>(best)]++);
  }
  return l;
}

// Long tails run on heaps, short ones on scans (apportion.hpp), the bulk on the block argmax
// (portable and wide, padded past 64 blocks at 520 experts); all must equal the literal scan.
TEST(HybridTail, HeapsAndScansMatchTheLiteralScanForEveryTailLength) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);
    std::mt19937_64 rng(13);
    for (int trial = 0; trial < 300; ++trial) {
      const int n =
          trial % 10 == 9 ? 1 + static_cast<int>(rng() % 520) : 1 + static_cast<int>(rng() % 20);
      const int slots = n + static_cast<int>(rng() % 40);
      const std::vector<double> w = random_row(rng, n);
      const double fraction = std::vector<double>{0.0, 0.1, 0.5, 1.0}[rng() % 4];
      for (const bool plus : {false, true}) {
        ReplicateOptions o = hybrid(TailRounding::kCeil, plus ? SainteLagueDivisor::kPlusOne
                                                              : SainteLagueDivisor::kMinusOne);
        o.tail_fraction = fraction;
        const int tail = slots == n ? 0 : detail::tail_size(o, slots - n);
        const ReplicaLayout want = naive_hybrid(w, slots, tail, plus);
        const ReplicaLayout got = replicate(o, w, slots);
        const std::string where = std::string(to_string(isa)) + " trial " + std::to_string(trial);
        ASSERT_EQ(got.phy2m, want.phy2m) << where;
        ASSERT_EQ(got.rank, want.rank) << where;
        ASSERT_EQ(got.cnt, want.cnt) << where;
      }
    }
  }
}

// red = 20: floor and ceil both give tail 2. red = 11: floor tail 1, ceil tail 2, so the layouts
// can differ; they must still be consistent column layouts.
TEST(HybridTail, ColumnLayoutRanksAreConsistentAndNoRedundancyIsIdentity) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 12);
    const int slots = n + static_cast<int>(rng() % 25);
    const std::vector<double> w = random_row(rng, n);
    for (const auto div : {SainteLagueDivisor::kPlusOne, SainteLagueDivisor::kMinusOne}) {
      const ReplicaLayout l = replicate(hybrid(TailRounding::kFloor, div), w, slots);
      expect_consistent(l, slots);
      for (int j = 0; j < n; ++j) EXPECT_EQ(l.phy2m[static_cast<std::size_t>(j)], j);
    }
  }
  const ReplicaLayout id =
      replicate(hybrid(TailRounding::kCeil, SainteLagueDivisor::kMinusOne), {3.0, 1.0, 2.0}, 3);
  EXPECT_EQ(id.phy2m, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(id.cnt, (std::vector<int>{1, 1, 1}));
}

// ---- peak_tail choosers -------------------------------------------------------------------------

// w = {3, 11}, 5 slots: red 3, ceil tail 1, bulk 2 -> expert 1 twice, cnt {1, 3}, avg {3, 3.67}.
// iD = 1, iS = ARGMAX{3/1, 11/5} = 0, second = 3. newD = 11/4 = 2.75, newS = 3/2 = 1.5.
// peakD = peakS = 3; secD = 2.75 is not below secS = 1.5 -> S: cnt {2, 3}, true peak 11/3.
// D would have given {1, 4} with true peak 3: the predicted peak ignores iD's own average.
TEST(PeakTail, DsChooserPicksSainteLagueEvenWhenDHondtHasTheLowerPeak) {
  const std::vector<double> w = {3.0, 11.0};
  const ReplicaLayout l = replicate(peak(TailChooser::kDS), w, 5);
  EXPECT_EQ(l.phy2m, (std::vector<int>{0, 1, 1, 1, 0}));
  EXPECT_EQ(l.rank, (std::vector<int>{0, 0, 1, 2, 1}));
  EXPECT_EQ(l.cnt, (std::vector<int>{2, 3}));
  EXPECT_GT(max_avg(w, l.cnt), max_avg(w, replicate(ReplicateOptions{}, w, 5).cnt));
}

// w = {7, 10, 3}, 7 slots, tail = all 4 slots. Steps 1-3: all three rules agree (1, 0, 1), cnt
// {2, 3, 1}. Step 4: avg {3.5, 3.33, 3}: iD = 0; S: {7/3, 10/5, 3/1} -> iS = 2;
// H: {7/sqrt6 = 2.858, 10/sqrt12 = 2.887, 3/sqrt2} -> iH = 1. second = 10/3.
// Keys (peak, new, cnt): D (10/3, 7/3, 2), S (10/3, 1.5, 1), H (10/3, 2.5, 3) -> S by `new`.
TEST(PeakTail, DshChooserWithThreeDistinctCandidatesTakesSmallestKey) {
  const std::vector<double> w = {7.0, 10.0, 3.0};
  const ReplicaLayout dsh = replicate(peak(TailChooser::kDSH, 1.0), w, 7);
  EXPECT_EQ(dsh.phy2m, (std::vector<int>{0, 1, 2, 1, 0, 1, 2}));
  EXPECT_EQ(dsh.rank, (std::vector<int>{0, 0, 0, 1, 1, 2, 1}));
  EXPECT_EQ(dsh.cnt, (std::vector<int>{2, 3, 2}));
  // D/S on the same row: peakD = peakS = 10/3, secD = 7/3 is not below secS = 1.5 -> S as well.
  EXPECT_EQ(replicate(peak(TailChooser::kDS, 1.0), w, 7).phy2m, dsh.phy2m);
  // Plain D'Hondt gives the last slot to expert 0.
  EXPECT_EQ(replicate(ReplicateOptions{}, w, 7).cnt, (std::vector<int>{3, 3, 1}));
}

TEST(PeakTail, SingleExpertRowUsesItsOwnAverageAsSecond) {
  for (const auto chooser : {TailChooser::kDS, TailChooser::kDSH}) {
    const ReplicaLayout l = replicate(peak(chooser, 1.0), {5.0}, 4);
    EXPECT_EQ(l.phy2m, (std::vector<int>{0, 0, 0, 0}));
    EXPECT_EQ(l.rank, (std::vector<int>{0, 1, 2, 3}));
  }
}

// Finding: for w >= 0 both peak-aware choosers pick the Sainte-Lague (2c-1) candidate whenever
// the candidates differ: iD holds the maximum average, so the others' predicted peak is `second`
// while D's is at least that, and S's predicted new average is the smallest (exact-arithmetic
// argument in the report). peak_tail is therefore hybrid_tail with 2c-1 on the same tail, which
// is why seed000 and seed004 produce the same counts (COMPOSITION.md section 5.3).
TEST(PeakTail, FindingChoosersAlwaysAgreeWithSainteLagueTailOnNonNegativeRows) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);
    std::mt19937_64 rng(11);
    for (int trial = 0; trial < 400; ++trial) {
      const int n =
          trial % 10 == 9 ? 1 + static_cast<int>(rng() % 100) : 1 + static_cast<int>(rng() % 16);
      const int slots = n + static_cast<int>(rng() % 30);
      const std::vector<double> w = random_row(rng, n);
      const double fraction = (trial % 2 == 0) ? 0.1 : 1.0;
      ReplicateOptions s = hybrid(TailRounding::kCeil, SainteLagueDivisor::kMinusOne);
      s.tail_fraction = fraction;
      const ReplicaLayout want = replicate(s, w, slots);
      for (const auto chooser : {TailChooser::kDS, TailChooser::kDSH}) {
        const ReplicaLayout got = replicate(peak(chooser, fraction), w, slots);
        const std::string where = std::string(to_string(isa)) + " trial " + std::to_string(trial);
        ASSERT_EQ(got.phy2m, want.phy2m) << where;
        ASSERT_EQ(got.rank, want.rank) << where;
        ASSERT_EQ(got.cnt, want.cnt) << where;
      }
    }
  }
}

// ---- fix-ups ------------------------------------------------------------------------------------

ReplicaLayout column(const std::vector<int>& phy2m, const std::vector<int>& rank,
                     const std::vector<int>& cnt) {
  ReplicaLayout l;
  l.phy2m = phy2m;
  l.rank = rank;
  l.cnt = cnt;
  return l;
}

ReplicateOptions fixup(FixupKind kind) {
  ReplicateOptions o;
  o.fixup = kind;
  return o;
}

// w = {10, 12, 1}, cnt {1, 3, 1}: avg {10, 4, 1}, T = {0, 1}, B = {2, 1}, cur_max 10, second 4.
// d = 0 has one replica; d = 1, r = 2: new_d = 6, new_r = 0.5, peak = max(4, 6, 0.5) = 6 < 10
// -> MOVE(1 -> 2). Expert 1's highest replica rank (2) sits in slot 3, before rank 1 in slot 4.
TEST(Fixup, Top2FiresWithDonorSecondAndMovesTheHighestReplicaRank) {
  const std::vector<double> w = {10.0, 12.0, 1.0};
  ReplicaLayout l = column({0, 1, 2, 1, 1}, {0, 0, 0, 2, 1}, {1, 3, 1});
  apply_fixup(fixup(FixupKind::kTop2), w, l);
  EXPECT_EQ(l.phy2m, (std::vector<int>{0, 1, 2, 2, 1}));
  EXPECT_EQ(l.rank, (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(l.cnt, (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(max_avg(w, l.cnt), 10.0);  // the true peak (expert 0) is untouched
  // The corrected test uses cur_max as the other peak for d != ARGMAX: no move.
  ReplicaLayout c = column({0, 1, 2, 1, 1}, {0, 0, 0, 2, 1}, {1, 3, 1});
  apply_fixup(fixup(FixupKind::kTop2Corrected), w, c);
  EXPECT_EQ(c.cnt, (std::vector<int>{1, 3, 1}));
}

// Donor T[0] is always rejected: w = {12, 10, 1}, cnt {2, 3, 1}: avg {6, 3.33, 1}; d = 0 gives
// new_d = 12 > 6. d = 1, r = 2: peak = max(3.33, 5, 0.5) = 5 < 6 -> the move is 1 -> 2.
TEST(Fixup, Top2RejectsDonorFirstBecauseItsNewAverageExceedsThePeak) {
  const std::vector<double> w = {12.0, 10.0, 1.0};
  ReplicaLayout l = column({0, 1, 2, 0, 1, 1}, {0, 0, 0, 1, 1, 2}, {2, 3, 1});
  apply_fixup(fixup(FixupKind::kTop2), w, l);
  EXPECT_EQ(l.phy2m, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(l.rank, (std::vector<int>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(l.cnt, (std::vector<int>{2, 2, 2}));
}

TEST(Fixup, SingleExpertRowIsLeftAlone) {
  for (const auto kind :
       {FixupKind::kSimple, FixupKind::kMasked, FixupKind::kTop2, FixupKind::kTop2Corrected}) {
    ReplicaLayout l = column({0, 0, 0}, {0, 1, 2}, {3});
    apply_fixup(fixup(kind), std::vector<double>{4.0}, l);
    EXPECT_EQ(l.cnt, (std::vector<int>{3}));
    EXPECT_EQ(l.rank, (std::vector<int>{0, 1, 2}));
  }
}

// A row of random counts (each >= 1, summing to slots) in a shuffled column-like layout.
ReplicaLayout random_layout(std::mt19937_64& rng, int n, int slots) {
  std::vector<int> cnt(static_cast<std::size_t>(n), 1);
  for (int s = n; s < slots; ++s) ++cnt[static_cast<std::size_t>(rng() % static_cast<unsigned>(n))];
  ReplicaLayout l;
  l.cnt = cnt;
  for (int e = 0; e < n; ++e) {
    for (int r = 0; r < cnt[static_cast<std::size_t>(e)]; ++r) {
      l.phy2m.push_back(e);
      l.rank.push_back(r);
    }
  }
  std::vector<std::size_t> perm(l.phy2m.size());
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  ReplicaLayout shuffled = l;
  for (std::size_t i = 0; i < perm.size(); ++i) {
    shuffled.phy2m[i] = l.phy2m[perm[i]];
    shuffled.rank[i] = l.rank[perm[i]];
  }
  return shuffled;
}

// FIXUP_SIMPLE / FIXUP_MASKED literally (section 4.2 step 3, 4.6): the counts after at most one
// move. Mixed-sign weights make them fire (they cannot for w >= 0), which exercises every early
// exit of the implementation against the full trial.
std::vector<int> literal_argmax_argmin_counts(const std::vector<double>& w, std::vector<int> cnt,
                                              bool masked) {
  const int n = static_cast<int>(w.size());
  auto avg = [&](int j) {
    return w[static_cast<std::size_t>(j)] / cnt[static_cast<std::size_t>(j)];
  };
  int d = -1;
  int r = 0;
  double max_avg = avg(0);
  for (int j = 0; j < n; ++j) {
    max_avg = std::max(max_avg, avg(j));
    if (avg(j) < avg(r)) r = j;
    if (masked && cnt[static_cast<std::size_t>(j)] <= 1) continue;
    if (d < 0 || avg(j) > avg(d)) d = j;
  }
  if (d < 0 || d == r || cnt[static_cast<std::size_t>(d)] <= 1) return cnt;
  std::vector<int> trial = cnt;
  --trial[static_cast<std::size_t>(d)];
  ++trial[static_cast<std::size_t>(r)];
  double peak = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < n; ++j)
    peak = std::max(peak, w[static_cast<std::size_t>(j)] / trial[static_cast<std::size_t>(j)]);
  return peak + 1e-12 < max_avg ? trial : cnt;
}

// n weights (k - half) / scale for k uniform in 0..2 * half: mixed signs and many ties, so that
// the fix-ups fire.
std::vector<double> mixed_sign_row(std::mt19937_64& rng, int n, int half, double scale) {
  std::vector<double> w(static_cast<std::size_t>(n));
  for (double& x : w)
    x = static_cast<double>(static_cast<int>(rng() % static_cast<std::uint64_t>(2 * half + 1)) -
                            half) /
        scale;
  return w;
}

TEST(Fixup, SimpleAndMaskedMatchTheLiteralRuleOnMixedSignWeights) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);  // the wide search of donor and receiver
    std::mt19937_64 rng(17);
    int fired = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      const int n = 2 + static_cast<int>(rng() % (trial % 10 == 9 ? 40 : 10));
      const int slots = n + static_cast<int>(rng() % 12);
      const std::vector<double> w = mixed_sign_row(rng, n, 10, 1.0);
      const ReplicaLayout start = random_layout(rng, n, slots);
      for (const auto kind : {FixupKind::kSimple, FixupKind::kMasked}) {
        ReplicaLayout l = start;
        apply_fixup(fixup(kind), w, l);
        const std::vector<int> want =
            literal_argmax_argmin_counts(w, start.cnt, kind == FixupKind::kMasked);
        ASSERT_EQ(l.cnt, want) << to_string(isa) << " trial " << trial;
        fired += l.cnt != start.cnt ? 1 : 0;
      }
    }
    EXPECT_GT(fired, 100);
  }
}

// Every fix-up moves the same replica (or none) under every kernel ISA: the wide kernels compute
// the averages and their extremes eight experts at a time. Mixed-sign weights, so that the
// fix-ups fire, and rows past one vector.
TEST(Fixup, EveryFixupMovesTheSameReplicaUnderEveryKernelIsa) {
  const std::vector<KernelIsa> isas = test::available_isas();
  std::mt19937_64 rng(23);
  int fired = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const int n = 2 + static_cast<int>(rng() % (trial % 5 == 4 ? 70 : 12));
    const int slots = n + static_cast<int>(rng() % 24);
    const std::vector<double> w = mixed_sign_row(rng, n, 20, 4.0);
    const ReplicaLayout start = random_layout(rng, n, slots);
    for (const auto kind :
         {FixupKind::kSimple, FixupKind::kMasked, FixupKind::kTop2, FixupKind::kTop2Corrected}) {
      std::vector<ReplicaLayout> got;
      for (const KernelIsa isa : isas) {
        const test::IsaScope scope(isa);
        got.push_back(start);
        apply_fixup(fixup(kind), w, got.back());
      }
      for (std::size_t k = 1; k < got.size(); ++k) {
        ASSERT_EQ(got[k].cnt, got[0].cnt) << to_string(isas[k]) << " trial " << trial;
        ASSERT_EQ(got[k].phy2m, got[0].phy2m) << to_string(isas[k]) << " trial " << trial;
        ASSERT_EQ(got[k].rank, got[0].rank) << to_string(isas[k]) << " trial " << trial;
      }
      fired += got[0].cnt != start.cnt ? 1 : 0;
    }
  }
  EXPECT_GT(fired, 200);
}

// COMPOSITION.md section 5.3: these three fix-ups are dead code for w >= 0, whatever the counts
// (random ones and the replicators' own), including rows with zeros and ties, and whatever the
// second-move threshold.
TEST(Fixup, FindingSimpleMaskedTop2CorrectedNeverChangeCountsForNonNegativeWeights) {
  std::mt19937_64 rng(5);
  int rows = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 2 + static_cast<int>(rng() % 14);
    const int slots = n + static_cast<int>(rng() % 20);
    const std::vector<double> w = random_row(rng, n);
    std::vector<ReplicaLayout> starts = {random_layout(rng, n, slots),
                                         replicate(ReplicateOptions{}, w, slots),
                                         replicate(peak(TailChooser::kDS), w, slots)};
    for (const ReplicaLayout& start : starts) {
      for (const auto kind : {FixupKind::kSimple, FixupKind::kMasked, FixupKind::kTop2Corrected}) {
        ReplicateOptions o = fixup(kind);
        o.fixup_second_threshold = 1.0;  // always try the second move after a first one
        ReplicaLayout l = start;
        apply_fixup(o, w, l);
        ASSERT_EQ(l.cnt, start.cnt) << "trial " << trial;
        ASSERT_EQ(l.phy2m, start.phy2m) << "trial " << trial;
        ++rows;
      }
    }
  }
  EXPECT_EQ(rows, 300 * 3 * 3);
}

// FIXUP_TOP2 does fire on random rows, but only with donor T[1]. With n >= 3 the move never lowers
// the peak: T[0] keeps its average (a receiver in BOTTOMK(avg, 2) that is also T[0] would tie
// T[1] at the maximum, and T[1] is then rejected like T[0]).
TEST(Fixup, FindingTop2FiresOnlyWithDonorSecondAndNeverLowersThePeakFromThreeExperts) {
  std::mt19937_64 rng(9);
  int fired = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 3 + static_cast<int>(rng() % 10);
    const int slots = n + 1 + static_cast<int>(rng() % 12);
    const std::vector<double> w = random_row(rng, n);
    const ReplicaLayout start = random_layout(rng, n, slots);
    ReplicaLayout l = start;
    apply_fixup(fixup(FixupKind::kTop2), w, l);
    expect_consistent(l, slots);
    if (l.cnt == start.cnt) continue;
    ++fired;
    // The donor is the expert that lost a replica; it must be T[1], never ARGMAX(avg).
    int donor = -1;
    for (int j = 0; j < n; ++j) {
      if (l.cnt[static_cast<std::size_t>(j)] < start.cnt[static_cast<std::size_t>(j)]) donor = j;
    }
    int top = 0;
    for (int j = 1; j < n; ++j) {
      const auto u = static_cast<std::size_t>(j);
      const auto t = static_cast<std::size_t>(top);
      if (w[u] / start.cnt[u] > w[t] / start.cnt[t]) top = j;
    }
    EXPECT_NE(donor, top) << "trial " << trial;
    EXPECT_EQ(max_avg(w, l.cnt), max_avg(w, start.cnt)) << "trial " << trial;
  }
  EXPECT_GT(fired, 10);
}

// With two experts BOTTOMK(avg, 2) contains T[0], so the receiver can be the peak expert and the
// move does lower the peak (COMPOSITION.md section 5.3 says it never does; that holds for n >= 3).
// w = {10, 9}, cnt {1, 3}: avg {10, 3}; d = 1, r = 0: new_d = 4.5, new_r = 5, peak =
// max(3, 4.5, 5) = 5 < 10 -> MOVE(1 -> 0), peak 10 -> 5.
TEST(Fixup, FindingTop2LowersThePeakWithTwoExperts) {
  const std::vector<double> w = {10.0, 9.0};
  ReplicaLayout l = column({0, 1, 1, 1}, {0, 0, 1, 2}, {1, 3});
  apply_fixup(fixup(FixupKind::kTop2), w, l);
  EXPECT_EQ(l.phy2m, (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(l.rank, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(l.cnt, (std::vector<int>{2, 2}));
  EXPECT_EQ(max_avg(w, l.cnt), 5.0);
}

// ---- refiners -----------------------------------------------------------------------------------

Packing refined(const StageOptions& o, const std::vector<double>& w, int m, Packing p) {
  make_refiner(o)->refine(w, m, p);
  return p;
}

StageOptions stage(RefineKind kind, int steps, int k = 2) {
  StageOptions o;
  o.refine = kind;
  o.steps = steps;
  o.k = k;
  return o;
}

// Two packs: {0: 10, 1: 8} = 18 and {2: 6, 3: 1} = 7, gap 11.
Packing two_packs() {
  Packing p;
  p.pack = {0, 0, 1, 1};
  p.rank = {0, 1, 0, 1};
  return p;
}
const std::vector<double> kTwoPackWeights = {10.0, 8.0, 6.0, 1.0};

// Nearest: a = 0 (10): target 4.5 -> light sorted {1, 6}, pos 1: |11 - 2(10 - 6)| = 3, pos 0: 7.
// a = 1 (8): 7 and 3 (a tie, the first minimum stays). Swap 0 <-> 2: loads 14 / 11, re-ranked
// by (old rank, index): pack 0 = {2 (0), 1 (1)}, pack 1 = {0 (0), 3 (1)}. Step 2: gap 3, best
// residual 7 -> stop.
TEST(Nearest, SwapsThePairNearestHalfTheGap) {
  const Packing p = refined(stage(RefineKind::kNearest, 2), kTwoPackWeights, 2, two_packs());
  EXPECT_EQ(p.pack, (std::vector<int>{1, 0, 0, 1}));
  EXPECT_EQ(p.rank, (std::vector<int>{0, 1, 0, 1}));
}

// k = 2: T = {0, 1}, B = {3, 2}: (0,3) 7, (0,2) 3, (1,3) 3, (1,2) 7 -> swap 0 <-> 2 as above.
// k = 1: only (0, 3): |11 - 18| = 7 < 11 -> swap, loads 9 / 16; step 2: (0, 3) gives 11 -> stop.
TEST(KSwap, KTwoFindsTheBetterSwapThatKOneMisses) {
  const Packing k2 = refined(stage(RefineKind::kKSwap, 2, 2), kTwoPackWeights, 2, two_packs());
  EXPECT_EQ(k2.pack, (std::vector<int>{1, 0, 0, 1}));
  EXPECT_EQ(k2.rank, (std::vector<int>{0, 1, 0, 1}));
  const Packing k1 = refined(stage(RefineKind::kKSwap, 2, 1), kTwoPackWeights, 2, two_packs());
  EXPECT_EQ(k1.pack, (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(k1.rank, (std::vector<int>{0, 0, 1, 1}));
}

TEST(KSwap, ZeroKIsAnInputError) {
  EXPECT_THROW(make_refiner(stage(RefineKind::kKSwap, 2, 0)), InputError);
}

// Greedy on 9 items into 3 packs: loads {71, 65, 64}, (max - min) / mean = 7 / 66.67 = 0.105.
// Step 1: h = 0, l = 2, gap 7; item 2 (38) against item 0 (33): |7 - 10| = 3 -> loads
// {66, 65, 69}. Step 2: h = 2, l = 1, gap 4 -> {66, 68, 66}.
TEST(Nearest, AdaptAddsOneStepOnlyAboveTheThreshold) {
  const std::vector<double> w = {33, 16, 38, 21, 17, 35, 27, 9, 4};
  Packing start;
  greedy_pack(w, 3, start);
  ASSERT_EQ(start.pack, (std::vector<int>{2, 0, 0, 1, 0, 1, 2, 1, 2}));
  const Packing one = refined(stage(RefineKind::kNearest, 1), w, 3, start);
  const Packing two = refined(stage(RefineKind::kNearest, 2), w, 3, start);
  EXPECT_EQ(one.pack, (std::vector<int>{0, 0, 2, 1, 0, 1, 2, 1, 2}));
  EXPECT_EQ(two.pack, (std::vector<int>{0, 0, 1, 1, 0, 2, 2, 1, 2}));
  StageOptions adapt = stage(RefineKind::kNearest, 1);
  adapt.adapt = true;
  adapt.adapt_threshold = 0.03;
  EXPECT_EQ(refined(adapt, w, 3, start).pack, two.pack);
  EXPECT_EQ(refined(adapt, w, 3, start).rank, two.rank);
  adapt.adapt_threshold = 0.2;
  EXPECT_EQ(refined(adapt, w, 3, start).pack, one.pack);
  adapt.steps = 0;  // no refinement at all, even above the threshold
  adapt.adapt_threshold = 0.03;
  EXPECT_EQ(refined(adapt, w, 3, start).pack, start.pack);
}

double spread(const std::vector<double>& w, int m, const Packing& p) {
  std::vector<double> loads;
  pack_loads(w, m, p, loads);
  return *std::max_element(loads.begin(), loads.end()) -
         *std::min_element(loads.begin(), loads.end());
}

// Pack sizes stay `cap` and each pack's ranks are a permutation of 0..cap-1.
void expect_valid_packing(const Packing& p, int m, int cap) {
  std::vector<std::vector<int>> ranks(static_cast<std::size_t>(m));
  for (std::size_t i = 0; i < p.pack.size(); ++i)
    ranks[static_cast<std::size_t>(p.pack[i])].push_back(p.rank[i]);
  for (auto& r : ranks) {
    std::sort(r.begin(), r.end());
    ASSERT_EQ(static_cast<int>(r.size()), cap);
    for (int k = 0; k < cap; ++k) ASSERT_EQ(r[static_cast<std::size_t>(k)], k);
  }
}

TEST(Refiners, NearestAndKSwapNeverIncreaseSpreadAndKeepPacksValid) {
  std::mt19937_64 rng(17);
  int improved = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int m = 2 + static_cast<int>(rng() % 7);
    const int cap = 2 + static_cast<int>(rng() % 6);
    const std::vector<double> w = random_row(rng, m * cap);
    // Greedy starts (what the pipeline refines) and shuffled starts (far from balanced).
    Packing start;
    greedy_pack(w, m, start);
    if (trial % 2 == 1) {
      std::vector<int> order(w.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t k = 0; k < order.size(); ++k) {
        start.pack[static_cast<std::size_t>(order[k])] = static_cast<int>(k) / cap;
        start.rank[static_cast<std::size_t>(order[k])] = static_cast<int>(k) % cap;
      }
    }
    const double before = spread(w, m, start);
    StageOptions adapt = stage(RefineKind::kNearest, 2);
    adapt.adapt = true;
    for (const StageOptions& o :
         {stage(RefineKind::kNearest, 3), adapt, stage(RefineKind::kKSwap, 3, 2),
          stage(RefineKind::kKSwap, 2, 3), stage(RefineKind::kKSwap, 4, 1)}) {
      const Packing p = refined(o, w, m, start);
      expect_valid_packing(p, m, cap);
      const double after = spread(w, m, p);
      EXPECT_LE(after, before) << "trial " << trial;
      if (after < before) ++improved;
    }
  }
  EXPECT_GT(improved, 100);  // the property is not vacuous
}

// The swap refiners' step taken literally (COMPOSITION.md 4.2, 4.3): every step recomputes
// PACKLOADS and lists the heavy and light packs' items with full passes over the packing, as the
// seeds do; `choose(heavy, light, delta, a, b)` returns the first least residual and names the
// pair. The refiners keep loads and members current through their swaps instead
// (refine_swap.hpp) and must give the same packs and ranks.
template <class Choose>
Packing literal_swaps(const std::vector<double>& w, int m, Packing p, int steps, Choose choose) {
  std::vector<double> loads;
  std::vector<int> heavy;
  std::vector<int> light;
  for (int step = 0; step < steps; ++step) {
    pack_loads(w, m, p, loads);
    const int h = static_cast<int>(std::max_element(loads.begin(), loads.end()) - loads.begin());
    const int l = static_cast<int>(std::min_element(loads.begin(), loads.end()) - loads.begin());
    const double delta = loads[static_cast<std::size_t>(h)] - loads[static_cast<std::size_t>(l)];
    if (delta <= 1e-9) break;
    pack_members(h, p, heavy);
    pack_members(l, p, light);
    int best_a = -1;
    int best_b = -1;
    const double best = choose(heavy, light, delta, best_a, best_b);
    if (best_a < 0 || !(best < delta - 1e-9)) break;
    p.pack[static_cast<std::size_t>(best_a)] = l;
    p.pack[static_cast<std::size_t>(best_b)] = h;
    rerank(h, p);
    rerank(l, p);
  }
  return p;
}

// K2_REFINE: the first least residual over TOPK(heavy) x BOTTOMK(light).
Packing literal_k_swap(const std::vector<double>& w, int m, const Packing& p, int k, int steps) {
  std::vector<int> top;
  std::vector<int> bottom;
  return literal_swaps(w, m, p, steps,
                       [&](const std::vector<int>& heavy, const std::vector<int>& light,
                           double delta, int& best_a, int& best_b) {
                         top_k(w, heavy, k, top);
                         bottom_k(w, light, k, bottom);
                         double best = 0.0;
                         for (const int a : top) {
                           for (const int b : bottom) {
                             const double nd =
                                 std::abs(delta - 2.0 * (w[static_cast<std::size_t>(a)] -
                                                         w[static_cast<std::size_t>(b)]));
                             if (best_a < 0 || nd < best) {
                               best = nd;
                               best_a = a;
                               best_b = b;
                             }
                           }
                         }
                         return best;
                       });
}

// NEAREST_REFINE: a stable ascending sort of the light items and a binary search per heavy item;
// the candidates are the lower bound of w[a] - D/2 (clamped to the last) and the one before it.
// On wide kernels the refiner ranks and counts the light weights with vector compares instead
// (up to 16 light items), so packs of up to 20 items cover both of its paths.
Packing literal_nearest(const std::vector<double>& w, int m, const Packing& p, int steps) {
  return literal_swaps(
      w, m, p, steps,
      [&](const std::vector<int>& heavy, std::vector<int> light, double delta, int& best_a,
          int& best_b) {
        std::stable_sort(light.begin(), light.end(), [&](int a, int b) {
          return w[static_cast<std::size_t>(a)] < w[static_cast<std::size_t>(b)];
        });
        double best = 0.0;
        for (const int a : heavy) {
          const double wa = w[static_cast<std::size_t>(a)];
          const double target = wa - (delta / 2.0);
          const auto first_not_below =
              std::lower_bound(light.begin(), light.end(), target,
                               [&](int b, double t) { return w[static_cast<std::size_t>(b)] < t; });
          const std::ptrdiff_t pos = std::min<std::ptrdiff_t>(
              first_not_below - light.begin(), static_cast<std::ptrdiff_t>(light.size()) - 1);
          for (const std::ptrdiff_t k : {pos, std::max<std::ptrdiff_t>(pos - 1, 0)}) {
            const int b = light[static_cast<std::size_t>(k)];
            const double resid = std::abs(delta - 2.0 * (wa - w[static_cast<std::size_t>(b)]));
            if (best_a < 0 || resid < best) {
              best = resid;
              best_a = a;
              best_b = b;
            }
          }
        }
        return best;
      });
}

TEST(Refiners, KSwapMatchesTheLiteralPassPerStepRefiner) {
  std::mt19937_64 rng(23);
  int moved = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int m = 2 + static_cast<int>(rng() % 31);
    const int cap = 2 + static_cast<int>(rng() % 9);
    std::vector<double> w = random_row(rng, m * cap);
    if (trial % 3 == 0) {  // duplicated weights: ties between candidate pairs
      for (double& x : w) x = std::round(x);
    }
    Packing start;
    greedy_pack(w, m, start);
    for (const int k : {1, 2, 3, cap}) {
      const int steps = 1 + static_cast<int>(rng() % 6);
      const Packing got = refined(stage(RefineKind::kKSwap, steps, k), w, m, start);
      const Packing want = literal_k_swap(w, m, start, k, steps);
      ASSERT_EQ(got.pack, want.pack) << "trial " << trial << " k " << k;
      ASSERT_EQ(got.rank, want.rank) << "trial " << trial << " k " << k;
      if (got.pack != start.pack) ++moved;
    }
  }
  EXPECT_GT(moved, 200);  // not vacuous: most cases swap at least once
}

TEST(Refiners, NearestMatchesTheLiteralRefinerUnderEveryKernelIsa) {
  for (const KernelIsa isa : test::available_isas()) {
    const test::IsaScope scope(isa);
    std::mt19937_64 rng(29);
    int moved = 0;
    for (int trial = 0; trial < 300; ++trial) {
      const int m = 2 + static_cast<int>(rng() % 15);
      const int cap = 1 + static_cast<int>(rng() % 20);
      std::vector<double> w = random_row(rng, m * cap);
      if (trial % 3 == 0) {  // duplicated weights: equal light weights and tied residuals
        for (double& x : w) x = std::round(x / 7.0);
      }
      Packing start;
      greedy_pack(w, m, start);
      const int steps = 1 + static_cast<int>(rng() % 4);
      const Packing got = refined(stage(RefineKind::kNearest, steps), w, m, start);
      const Packing want = literal_nearest(w, m, start, steps);
      ASSERT_EQ(got.pack, want.pack) << "trial " << trial << " isa " << static_cast<int>(isa);
      ASSERT_EQ(got.rank, want.rank) << "trial " << trial << " isa " << static_cast<int>(isa);
      if (got.pack != start.pack) ++moved;
    }
    EXPECT_GT(moved, 150);  // not vacuous: most cases swap at least once
  }
}

// ---- whole presets through the registry ---------------------------------------------------------

// The finding above, end to end: seed001 and seed000 give the same placements with their
// peak-aware tails replaced by the Sainte-Lague (2c-1) hybrid tail. 256 experts, 384 replicas on
// 8 nodes: 16 redundant slots per node, tail 2.
TEST(Presets, FindingSeed001AndSeed000TailsEqualTheSainteLagueHybridTail) {
  LoadMatrix load(6, 256);
  for (Eigen::Index l = 0; l < load.rows(); ++l) {
    for (Eigen::Index e = 0; e < load.cols(); ++e) {
      const double rank = static_cast<double>((e * (7 + 2 * l)) % 256 + 1);
      load(l, e) = std::floor(1e5 / std::pow(rank, 0.8 + 0.1 * static_cast<double>(l)));
    }
  }
  Topology topo;
  topo.num_replicas = 384;
  topo.num_groups = 8;
  topo.num_nodes = 8;
  topo.num_gpus = 64;
  for (const char* preset : {"seed001", "seed000"}) {
    const Placement peak_tail = make_strategy(preset).product->plan(load, topo);
    const Placement hybrid_tail =
        make_strategy(std::string(preset) + ":replicate=hybrid_tail").product->plan(load, topo);
    EXPECT_TRUE(peak_tail.phy2log == hybrid_tail.phy2log) << preset;
    EXPECT_TRUE(peak_tail.logcnt == hybrid_tail.logcnt) << preset;
  }
  // The tail does matter: plain D'Hondt (tail 0) changes seed001's counts on these rows.
  const Placement dhondt = make_strategy("seed001:tail_min=0,tail=0").product->plan(load, topo);
  EXPECT_FALSE(dhondt.logcnt == make_strategy("seed001").product->plan(load, topo).logcnt);
}

}  // namespace
}  // namespace eplb
