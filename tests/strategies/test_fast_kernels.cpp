// Differential tests of the fast shared kernels (strategies/src/common.cpp) against literal
// reference implementations of COMPOSITION.md 1.3 and 3.1, on many random rows full of ties,
// zeros (both signs) and duplicates, under every kernel instruction set this CPU runs
// (eplb/kernel_isa.hpp); and plan_layers (CONTRACTS.md 2) against strategy.plan for
// every preset, both policies and several thread counts.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "argmax/first_extreme_avx512.hpp"  // white-box: the wide kernels
#include "eplb/error.hpp"
#include "eplb/parallel_plan.hpp"
#include "eplb/pipeline.hpp"
#include "eplb/strategy.hpp"
#include "kernel_isa_scope.hpp"
#include "refine/pack_members.hpp"  // white-box: every pack's items
#include "refine/refine_swap.hpp"   // white-box: RERANK after a swap
#include "replicate/apportion.hpp"  // white-box: the tail scans
#include "splitmix_rng.hpp"

namespace eplb {
namespace {

using test::available_isas;
using test::IsaScope;
using test::Rng;

// A row mixing the hard cases: exact duplicates, +0.0 and -0.0, values one ulp apart, w/c
// fractions, huge and tiny magnitudes. `kind` picks the mix.
std::vector<double> random_row(Rng& rng, int n, int kind) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) {
    switch (kind % 5) {
      case 0:
        x = static_cast<double>(rng.uniform(0, 3));
        break;  // few distinct values
      case 1:
        x = rng.unit() * 1000.0;
        break;
      case 2:
        x = std::ldexp(rng.unit(), rng.uniform(-1074, 1000));
        break;  // incl. subnormals
      case 3:
        x = static_cast<double>(rng.uniform(1, 50)) / rng.uniform(1, 7);
        break;
      default:
        x = 1.0 + static_cast<double>(rng.uniform(0, 2)) * 0x1.0p-52;
        break;  // 1-ulp ties
    }
    const int r = rng.uniform(0, 9);
    if (r == 0) x = 0.0;
    if (r == 1) x = -0.0;
  }
  for (int k = 0; k < n / 4; ++k)  // duplicates of other entries
    v[static_cast<std::size_t>(rng.uniform(0, n - 1))] =
        v[static_cast<std::size_t>(rng.uniform(0, n - 1))];
  return v;
}

std::vector<int> reference_order(const std::vector<double>& v, bool descending) {
  std::vector<int> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const double x = v[static_cast<std::size_t>(a)];
    const double y = v[static_cast<std::size_t>(b)];
    return descending ? x > y : x < y;
  });
  return order;
}

TEST(FastKernels, SortDescAndAscMatchStableSortOnTiesZerosAndDuplicates) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(9);
    std::vector<int> order;
    int rows = 0;
    // Lengths on both sides of the insertion-only cut (16) and of the wide passes' 8 keys and
    // 16 counts.
    for (int n : {0, 1, 2, 3, 7, 15, 16, 17, 31, 64, 72, 100, 288, 512, 1000}) {
      for (int t = 0; t < 60; ++t) {
        std::vector<double> v = random_row(rng, n, t);
        if (t % 3 == 2)  // negative values too
          for (double& x : v) x = rng.uniform(0, 1) == 0 ? -x : x;
        const std::string where = fmt::format("{} n={} kind={}", to_string(isa), n, t % 5);
        sort_desc(v, order);
        ASSERT_EQ(order, reference_order(v, true)) << "sort_desc " << where;
        sort_asc(v, order);
        ASSERT_EQ(order, reference_order(v, false)) << "sort_asc " << where;
        ++rows;
      }
    }
    EXPECT_EQ(rows, 15 * 60);
  }
}

TEST(FastKernels, SortHandlesNegativeValuesAndInfinities) {
  const std::vector<double> v = {-1.0,
                                 2.0,
                                 -0.0,
                                 0.0,
                                 -1.0,
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 2.0,
                                 -3.5,
                                 0.0,
                                 1e-300,
                                 -1e-300,
                                 7.0,
                                 7.0,
                                 -7.0,
                                 0.5,
                                 0.25,
                                 0.125};
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    std::vector<int> order;
    sort_desc(v, order);
    EXPECT_EQ(order, reference_order(v, true)) << to_string(isa);
    sort_asc(v, order);
    EXPECT_EQ(order, reference_order(v, false)) << to_string(isa);
  }
}

// The fix-ups' TOPK / BOTTOMK with k = 2 over all experts, by AVX-512 passes.
TEST(FastKernels, WideFirstTwoAreTopKAndBottomKOfTwo) {
#if EPLB_HAVE_AVX512_KERNELS
  if (!kernel_isa_available(KernelIsa::kAvx512)) GTEST_SKIP() << "no AVX-512 on this CPU";
  Rng rng(23);
  int rows = 0;
  for (int n : {2, 3, 7, 8, 9, 16, 17, 64, 65, 256, 300}) {
    for (int t = 0; t < 60; ++t) {
      std::vector<double> v = random_row(rng, n, t);
      if (t % 3 == 2)
        for (double& x : v) x = rng.uniform(0, 1) == 0 ? -x : x;
      std::vector<int> all(static_cast<std::size_t>(n));
      std::iota(all.begin(), all.end(), 0);
      std::vector<int> want;
      top_k(v, all, 2, want);
      const std::array<int, 2> top = detail::first_two_avx512<true>(v.data(), n);
      ASSERT_EQ(std::vector<int>(top.begin(), top.end()), want) << "top n=" << n << " t=" << t;
      bottom_k(v, all, 2, want);
      const std::array<int, 2> bottom = detail::first_two_avx512<false>(v.data(), n);
      ASSERT_EQ(std::vector<int>(bottom.begin(), bottom.end()), want)
          << "bottom n=" << n << " t=" << t;
      ++rows;
    }
  }
  EXPECT_EQ(rows, 11 * 60);
#else
  GTEST_SKIP() << "no AVX-512 kernels in this build";
#endif
}

// The peak-aware tail's wide scans: ARGMAX of the Sainte-Lague (2c-1) and Huntington-Hill
// priorities, against the scalar priority functions.
TEST(FastKernels, WideTailScansMatchTheScalarPriorities) {
#if EPLB_HAVE_AVX512_KERNELS
  if (!kernel_isa_available(KernelIsa::kAvx512)) GTEST_SKIP() << "no AVX-512 on this CPU";
  Rng rng(29);
  std::vector<double> scratch;
  int rows = 0;
  for (int n : {1, 2, 7, 8, 9, 64, 65, 300}) {
    for (int t = 0; t < 50; ++t) {
      std::vector<double> w = random_row(rng, n, t);
      for (double& x : w) x = std::abs(x);
      std::vector<int> c(static_cast<std::size_t>(n));
      for (int& x : c) x = rng.uniform(0, 3) == 0 ? rng.uniform(2, 40) : 1;
      const auto literal = [&](auto priority) {
        int best = 0;
        for (int j = 1; j < n; ++j)
          if (priority(w[static_cast<std::size_t>(j)], c[static_cast<std::size_t>(j)]) >
              priority(w[static_cast<std::size_t>(best)], c[static_cast<std::size_t>(best)]))
            best = j;
        return best;
      };
      // The argmax, and every priority the scan computed on the way (its scratch), bit for bit:
      // the Huntington-Hill roots come from a table for counts below 16.
      const auto priorities = [&](auto priority) {
        std::vector<double> p(static_cast<std::size_t>(n));
        for (std::size_t j = 0; j < p.size(); ++j) p[j] = priority(w[j], c[j]);
        return p;
      };
      ASSERT_EQ(detail::tail_argmax_avx512<false>(w.data(), c.data(), n, scratch),
                literal(detail::sainte_lague_minus_priority))
          << "n=" << n << " t=" << t;
      ASSERT_EQ(scratch, priorities(detail::sainte_lague_minus_priority)) << "n=" << n;
      ASSERT_EQ(detail::tail_argmax_avx512<true>(w.data(), c.data(), n, scratch),
                literal(detail::huntington_hill_priority))
          << "n=" << n << " t=" << t;
      ASSERT_EQ(scratch, priorities(detail::huntington_hill_priority)) << "n=" << n;
      ++rows;
    }
  }
  EXPECT_EQ(rows, 8 * 50);
#else
  GTEST_SKIP() << "no AVX-512 kernels in this build";
#endif
}

// Zeroes all but 0..m entries of w: greedy's first m items then meet empty packs tied at zero
// (the case its direct placement of the first m items must leave to the search).
void keep_few_positive(Rng& rng, std::vector<double>& w, int m) {
  const int keep = rng.uniform(0, m);
  for (std::size_t i = 0; i < w.size(); ++i)
    if (static_cast<int>(i) >= keep) w[i] = 0.0;
  for (std::size_t i = w.size(); i > 1; --i)
    std::swap(w[i - 1], w[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(i) - 1))]);
}

// COMPOSITION.md 3.1 literally: items in SORT_DESC order (reference sort), each to the first pack
// of least load among those with room.
Packing reference_greedy(const std::vector<double>& w, int m, std::vector<double>& load) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  Packing out;
  out.pack.assign(w.size(), -1);
  out.rank.assign(w.size(), -1);
  load.assign(static_cast<std::size_t>(m), 0.0);
  std::vector<int> used(static_cast<std::size_t>(m), 0);
  for (const int i : reference_order(w, true)) {
    int best = -1;
    for (int p = 0; p < m; ++p) {
      if (used[static_cast<std::size_t>(p)] == cap) continue;
      if (best < 0 || load[static_cast<std::size_t>(p)] < load[static_cast<std::size_t>(best)])
        best = p;
    }
    out.pack[static_cast<std::size_t>(i)] = best;
    out.rank[static_cast<std::size_t>(i)] = used[static_cast<std::size_t>(best)]++;
    load[static_cast<std::size_t>(best)] += w[static_cast<std::size_t>(i)];
  }
  return out;
}

TEST(FastKernels, GreedyPackMatchesTheLiteralScanForSmallAndLargePackCounts) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(11);
    int rows = 0;
    // Pack counts on both sides of the first_least / winner tree switch (16), odd and even (the
    // lightest pack is searched two loads at a time), the compile-time counts 4, 8 and 32, and
    // the wide kernels' 8, 16, 32 and 64.
    for (int m : {1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 31, 32, 33, 64, 100}) {
      for (int t = 0; t < 40; ++t) {
        const int cap = rng.uniform(1, 12);
        std::vector<double> w = random_row(rng, m * cap, t);
        for (double& x : w) x = t % 7 == 6 && x == 0.0 ? -0.0 : std::abs(x);  // -0.0 rows too
        if (t % 6 == 5) keep_few_positive(rng, w, m);
        std::vector<double> ref_load;
        const Packing ref = reference_greedy(w, m, ref_load);
        Packing got;
        std::vector<double> load;
        greedy_pack(w, m, got, &load);
        const std::string where =
            fmt::format("{} m={} cap={} kind={}", to_string(isa), m, cap, t % 5);
        ASSERT_EQ(got.pack, ref.pack) << where;
        ASSERT_EQ(got.rank, ref.rank) << where;
        ASSERT_EQ(load, ref_load) << where;
        ++rows;
      }
    }
    EXPECT_EQ(rows, 15 * 40);
  }
}

TEST(FastKernels, GreedyPackManyEqualsGreedyPackOnEachJob) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(12);
    int batches = 0;
    for (int m : {2, 4, 8, 16, 17, 32, 64}) {
      for (int t = 0; t < 30; ++t) {
        const int cap = rng.uniform(2, 10);
        const int count = rng.uniform(1, 19);  // across the 8-lane groups
        std::vector<std::vector<double>> rows;
        for (int k = 0; k < count; ++k) {
          rows.push_back(random_row(rng, m * cap, t + k));
          for (double& x : rows.back()) x = std::abs(x);
          if ((t + k) % 4 == 3) keep_few_positive(rng, rows.back(), m);
        }
        std::vector<Packing> got(static_cast<std::size_t>(count));
        std::vector<PackJob> jobs;
        for (int k = 0; k < count; ++k)
          jobs.push_back(
              {rows[static_cast<std::size_t>(k)], {}, &got[static_cast<std::size_t>(k)]});
        greedy_pack_many(jobs, m);
        for (int k = 0; k < count; ++k) {
          Packing ref;
          greedy_pack(rows[static_cast<std::size_t>(k)], m, ref);
          const std::string where = fmt::format("{} m={} job {}", to_string(isa), m, k);
          ASSERT_EQ(got[static_cast<std::size_t>(k)].pack, ref.pack) << where;
          ASSERT_EQ(got[static_cast<std::size_t>(k)].rank, ref.rank) << where;
        }
        ++batches;
      }
    }
    EXPECT_EQ(batches, 7 * 30);
  }
}

TEST(FastKernels, AnUnavailableKernelIsaIsRejectedWithTheFix) {
  EXPECT_NO_THROW(set_kernel_isa(kernel_isa()));
  if (kernel_isa_available(KernelIsa::kAvx512)) GTEST_SKIP() << "this CPU runs every kernel ISA";
  try {
    set_kernel_isa(KernelIsa::kAvx512);
    FAIL() << "avx512 accepted on a CPU without it";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("use 'portable'"), std::string::npos) << e.what();
  }
}

TEST(FastKernels, RerankAndPackMembersMatchTheLiteralDefinitions) {
  Rng rng(14);
  for (int t = 0; t < 500; ++t) {
    const int m = rng.uniform(1, 9);
    const int cap = rng.uniform(1, 12);
    const int n = m * cap;
    Packing p;
    for (int i = 0; i < n; ++i) {
      p.pack.push_back(rng.uniform(0, m - 1));
      // Ranks as refiners leave them (gaps, duplicates) and, now and then, large ones.
      p.rank.push_back(rng.uniform(0, 9) == 0 ? rng.uniform(0, 1000) : rng.uniform(0, cap));
    }
    const int pack = rng.uniform(0, m - 1);
    std::vector<int> literal;
    for (int i = 0; i < n; ++i) {
      if (p.pack[static_cast<std::size_t>(i)] == pack) literal.push_back(i);
    }
    std::vector<int> members;
    pack_members(pack, p, members);
    ASSERT_EQ(members, literal);
    Packing expected = p;
    std::stable_sort(literal.begin(), literal.end(), [&](int a, int b) {
      return p.rank[static_cast<std::size_t>(a)] < p.rank[static_cast<std::size_t>(b)];
    });
    for (std::size_t k = 0; k < literal.size(); ++k)
      expected.rank[static_cast<std::size_t>(literal[k])] = static_cast<int>(k);
    rerank(pack, p);
    ASSERT_EQ(p.rank, expected.rank) << "trial " << t;
  }
}

// PackMembers (every pack's items at once; wide for up to 16 packs) against the literal lists,
// on packings of unequal pack sizes, empty packs included, then after 1x1 swaps.
TEST(FastKernels, PackMembersListEveryPacksItemsInOrderUnderEveryKernelIsa) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(15);
    detail::PackMembers members;
    for (int t = 0; t < 300; ++t) {
      const int m = rng.uniform(1, 20);
      const int n = rng.uniform(0, 70);
      Packing p;
      for (int i = 0; i < n; ++i) p.pack.push_back(rng.uniform(0, m - 1));
      p.rank.assign(p.pack.size(), 0);
      const auto literal = [&](int q) {
        std::vector<int> items;
        for (int i = 0; i < n; ++i) {
          if (p.pack[static_cast<std::size_t>(i)] == q) items.push_back(i);
        }
        return items;
      };
      const auto expect_lists = [&](const std::string& where) {
        for (int q = 0; q < m; ++q) {
          const std::span<const int> got = members.of(q);
          ASSERT_EQ(std::vector<int>(got.begin(), got.end()), literal(q))
              << to_string(isa) << " trial " << t << " pack " << q << " " << where;
        }
      };
      members.build(p, m);
      expect_lists("built");
      for (int swaps = 0; swaps < 3 && n >= 2; ++swaps) {
        const int a = rng.uniform(0, n - 1);
        const int b = rng.uniform(0, n - 1);
        const int from = p.pack[static_cast<std::size_t>(a)];
        const int to = p.pack[static_cast<std::size_t>(b)];
        if (from == to) continue;
        members.swap(a, from, b, to);
        std::swap(p.pack[static_cast<std::size_t>(a)], p.pack[static_cast<std::size_t>(b)]);
        expect_lists("after a swap");
      }
    }
  }
}

// The swap refiners' RERANK after a 1x1 swap, against the general one: packs whose ranks are
// permutations, one item of each swapped.
TEST(FastKernels, RerankAfterSwapEqualsRerank) {
  Rng rng(31);
  int swaps = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int m = rng.uniform(2, 6);
    const int cap = rng.uniform(1, 12);
    const int n = m * cap;
    // A random packing with every pack's ranks a permutation of 0..cap-1.
    std::vector<int> slots(static_cast<std::size_t>(n));
    std::iota(slots.begin(), slots.end(), 0);
    for (int i = n - 1; i > 0; --i)
      std::swap(slots[static_cast<std::size_t>(i)],
                slots[static_cast<std::size_t>(rng.uniform(0, i))]);
    Packing p;
    p.pack.resize(static_cast<std::size_t>(n));
    p.rank.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      p.pack[static_cast<std::size_t>(i)] = slots[static_cast<std::size_t>(i)] / cap;
      p.rank[static_cast<std::size_t>(i)] = slots[static_cast<std::size_t>(i)] % cap;
    }
    for (int step = 0; step < 4; ++step) {
      const int h = rng.uniform(0, m - 1);
      const int l = (h + rng.uniform(1, m - 1)) % m;
      std::vector<int> in_h;
      std::vector<int> in_l;
      pack_members(h, p, in_h);
      pack_members(l, p, in_l);
      const int a = in_h[static_cast<std::size_t>(rng.uniform(0, cap - 1))];
      const int b = in_l[static_cast<std::size_t>(rng.uniform(0, cap - 1))];
      const int rank_a = p.rank[static_cast<std::size_t>(a)];
      const int rank_b = p.rank[static_cast<std::size_t>(b)];
      p.pack[static_cast<std::size_t>(a)] = l;
      p.pack[static_cast<std::size_t>(b)] = h;
      Packing want = p;
      pack_members(h, want, in_h);
      pack_members(l, want, in_l);
      rerank_members(in_h, want);
      rerank_members(in_l, want);
      detail::rerank_after_swap(in_h, b, rank_a, p);
      detail::rerank_after_swap(in_l, a, rank_b, p);
      ASSERT_EQ(p.rank, want.rank) << "trial " << trial << " step " << step;
      ++swaps;
    }
  }
  EXPECT_EQ(swaps, 400 * 4);
}

TEST(FastKernels, TopKAndBottomKArePrefixesOfTheStableSorts) {
  for (const KernelIsa isa : available_isas()) {  // k = 2 of up to 16 items has a wide kernel
    const IsaScope scope(isa);
    Rng rng(15);
    for (int t = 0; t < 600; ++t) {
      const int n = rng.uniform(1, 40);
      std::vector<double> w = random_row(rng, n, t);
      for (double& x : w) x = std::abs(x);
      // A subset of the items in a shuffled order: the result must not depend on it.
      std::vector<int> items;
      for (int i = 0; i < n; ++i) {
        if (rng.uniform(0, 3) != 0) items.push_back(i);
      }
      for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1],
                  items[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(i) - 1))]);
      for (const int k : {rng.uniform(0, 12), 2})
        for (const bool descending : {true, false}) {
          std::vector<int> expected = items;
          std::sort(expected.begin(), expected.end(), [&](int a, int b) {
            const double x = w[static_cast<std::size_t>(a)];
            const double y = w[static_cast<std::size_t>(b)];
            return (descending ? x > y : x < y) || (x == y && a < b);
          });
          expected.resize(std::min(expected.size(), static_cast<std::size_t>(k)));
          std::vector<int> got;
          if (descending) {
            top_k(w, items, k, got);
          } else {
            bottom_k(w, items, k, got);
          }
          ASSERT_EQ(got, expected)
              << to_string(isa) << " trial " << t << " k=" << k << " descending=" << descending;
        }
    }
  }
}

// eplb.py's replicate_experts written out: each extra slot to the first argmax of w / c.
ReplicaLayout literal_dhondt(const std::vector<double>& w, int slots) {
  const int n = static_cast<int>(w.size());
  ReplicaLayout out;
  out.cnt.assign(w.size(), 1);
  for (int j = 0; j < n; ++j) {
    out.phy2m.push_back(j);
    out.rank.push_back(0);
  }
  for (int s = n; s < slots; ++s) {
    int best = 0;
    for (int j = 1; j < n; ++j) {
      if (w[static_cast<std::size_t>(j)] / out.cnt[static_cast<std::size_t>(j)] >
          w[static_cast<std::size_t>(best)] / out.cnt[static_cast<std::size_t>(best)])
        best = j;
    }
    out.phy2m.push_back(best);
    out.rank.push_back(out.cnt[static_cast<std::size_t>(best)]++);
  }
  return out;
}

TEST(FastKernels, DhondtMatchesTheLiteralScanForFewAndManyExtraSlots) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(13);
    const auto dhondt = make_replicator(ReplicateOptions{});
    int rows = 0;
    // Expert counts below, at and off the block size of the argmax (8), above 32 blocks, and
    // beyond the wide search's 64 blocks.
    for (int n : {1, 2, 5, 8, 9, 16, 64, 256, 300, 520}) {
      for (int extra : {0, 1, 2, 7, 8, 15, 16, 17, 40, n - 1, n, n + 3}) {
        if (extra < 0) continue;
        for (int t = 0; t < 10; ++t) {
          std::vector<double> w = random_row(rng, n, t);
          for (double& x : w) x = std::abs(x);
          ReplicaLayout got;
          dhondt->replicate(w, n + extra, got);
          const ReplicaLayout ref = literal_dhondt(w, n + extra);
          const std::string where =
              fmt::format("{} n={} extra={} kind={}", to_string(isa), n, extra, t % 5);
          ASSERT_EQ(got.phy2m, ref.phy2m) << where;
          ASSERT_EQ(got.rank, ref.rank) << where;
          ASSERT_EQ(got.cnt, ref.cnt) << where;
          ++rows;
        }
      }
    }
    EXPECT_GE(rows, 10 * 10 * 10);
  }
}

TEST(FastKernels, ReplicateManyEqualsReplicateOnEachJobForEveryReplicator) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(21);
    for (const ReplicateKind kind : {ReplicateKind::kDhondt, ReplicateKind::kHybridTail,
                                     ReplicateKind::kPeakTail, ReplicateKind::kWaterfill}) {
      ReplicateOptions options;
      options.kind = kind;
      const auto replicator = make_replicator(options);
      for (int n : {1, 3, 8, 64, 256}) {
        for (int t = 0; t < 12; ++t) {
          const int slots = n + rng.uniform(0, n + 8);
          const int count = rng.uniform(1, 11);  // across the lane groups
          std::vector<std::vector<double>> rows;
          for (int k = 0; k < count; ++k) {
            rows.push_back(random_row(rng, n, t + k));
            for (double& x : rows.back()) x = std::abs(x);
          }
          std::vector<ReplicaLayout> got(static_cast<std::size_t>(count));
          std::vector<ReplicateJob> jobs;
          for (std::size_t k = 0; k < got.size(); ++k) jobs.push_back({rows[k], &got[k]});
          replicator->replicate_many(jobs, slots);
          for (std::size_t k = 0; k < got.size(); ++k) {
            ReplicaLayout ref;
            replicator->replicate(rows[k], slots, ref);
            ASSERT_EQ(got[k].phy2m, ref.phy2m)
                << static_cast<int>(kind) << " n=" << n << " job " << k;
            ASSERT_EQ(got[k].rank, ref.rank)
                << static_cast<int>(kind) << " n=" << n << " job " << k;
            ASSERT_EQ(got[k].cnt, ref.cnt) << static_cast<int>(kind) << " n=" << n << " job " << k;
          }
        }
      }
    }
  }
}

// The seeds' label-aware greedy passes written out literally (COMPOSITION.md 4.5 NEAR_TIE_GREEDY
// and 4.6 DIVERSE's greedy pass): a left-to-right scan over the open packs per item.
Packing literal_near_tie(const std::vector<double>& w, int m, const std::vector<int>& labels) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  const bool labelled = !labels.empty();
  double sum = 0.0;
  for (const double x : w) sum += x;
  const double eps = 1e-6 * std::max(sum / n, 1e-12);
  const int num_labels = labelled ? *std::max_element(labels.begin(), labels.end()) + 1 : 1;
  std::vector<double> load(static_cast<std::size_t>(m), 0.0);
  std::vector<int> used(static_cast<std::size_t>(m), 0);
  std::vector<int> same(static_cast<std::size_t>(m * num_labels), 0);
  Packing out;
  out.pack.assign(w.size(), -1);
  out.rank.assign(w.size(), -1);
  constexpr int kNone = std::numeric_limits<int>::max();
  for (const int i : reference_order(w, true)) {
    const int label = labelled ? labels[static_cast<std::size_t>(i)] : 0;
    int best = -1;
    double best_load = std::numeric_limits<double>::infinity();
    int best_same = kNone;
    for (int p = 0; p < m; ++p) {
      if (used[static_cast<std::size_t>(p)] == cap) continue;
      const double lp = load[static_cast<std::size_t>(p)];
      const int sp = same[static_cast<std::size_t>(p * num_labels + label)];
      if (lp + eps < best_load) {
        best = p;
        best_load = lp;
        best_same = labelled ? sp : kNone;
      } else if (labelled && std::abs(lp - best_load) <= eps && sp < best_same) {
        best = p;
        best_load = lp;
        best_same = sp;
      }
    }
    out.pack[static_cast<std::size_t>(i)] = best;
    out.rank[static_cast<std::size_t>(i)] = used[static_cast<std::size_t>(best)]++;
    load[static_cast<std::size_t>(best)] += w[static_cast<std::size_t>(i)];
    ++same[static_cast<std::size_t>(best * num_labels + label)];
  }
  return out;
}

Packing literal_diverse_greedy(const std::vector<double>& w, int m,
                               const std::vector<int>& labels) {
  const int n = static_cast<int>(w.size());
  const int cap = n / m;
  const int num_labels = *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<int> seen(static_cast<std::size_t>(num_labels), 0);
  bool has_dup = false;
  for (const int label : labels) has_dup = has_dup || seen[static_cast<std::size_t>(label)]++ > 0;
  double eps = 0.0;
  if (has_dup) {
    double sum = 0.0;
    for (const double x : w) sum += x;
    eps = 1e-6 * (sum / n);
  }
  std::vector<double> load(static_cast<std::size_t>(m), 0.0);
  std::vector<int> used(static_cast<std::size_t>(m), 0);
  std::vector<int> hist(static_cast<std::size_t>(m * num_labels), 0);
  Packing out;
  out.pack.assign(w.size(), -1);
  out.rank.assign(w.size(), -1);
  auto at = [](int i) { return static_cast<std::size_t>(i); };
  for (const int i : reference_order(w, true)) {
    const double x = w[at(i)];
    const int label = labels[at(i)];
    int best = -1;
    double best_base = 0.0;
    int best_rep = 0;
    for (int p = 0; p < m; ++p) {
      if (used[at(p)] == cap) continue;
      if (!has_dup) {
        if (best < 0 || load[at(p)] < load[at(best)] ||
            (std::abs(load[at(p)] - load[at(best)]) <= 1e-12 && used[at(p)] < used[at(best)]))
          best = p;
        continue;
      }
      const double base = load[at(p)] + x;
      const int rep = hist[at(p * num_labels + label)];
      if (best < 0 || base + eps < best_base) {
        best = p;
        best_base = base;
        best_rep = rep;
      } else if (std::abs(base - best_base) <= eps &&
                 (rep < best_rep || (rep == best_rep && used[at(p)] < used[at(best)]))) {
        best = p;
        best_base = base;
        best_rep = rep;
      }
    }
    out.pack[at(i)] = best;
    out.rank[at(i)] = used[at(best)]++;
    load[at(best)] += x;
    ++hist[at(best * num_labels + label)];
  }
  return out;
}

// `packer` on w through pack_many (two copies side by side: the interleaved lanes, which the
// wide kernels run), the first copy's result.
Packing pack_interleaved_pair(const Packer& packer, const std::vector<double>& w, int m,
                              const std::vector<int>& labels) {
  std::vector<Packing> got(2);
  const std::vector<PackJob> jobs = {{w, labels, &got[0]}, {w, labels, &got[1]}};
  packer.pack_many(jobs, m);
  return got[0];
}

TEST(FastKernels, LabelAwarePackersMatchTheirLiteralScans) {
  for (const KernelIsa isa : available_isas()) {
    const IsaScope scope(isa);
    Rng rng(19);
    StageOptions near_tie;
    near_tie.pack = PackKind::kNearTie;
    StageOptions diverse;
    diverse.pack = PackKind::kDiverse;
    diverse.micro_swap = false;
    const auto near_tie_packer = make_packer(near_tie);
    const auto diverse_packer = make_packer(diverse);
    int rows = 0;
    // Pack counts of the wide kernels (8 to 64, and 33 beyond a multiple of 8) and others.
    for (int m : {2, 3, 4, 8, 16, 32, 33, 64}) {
      for (int t = 0; t < 40; ++t) {
        const int cap = rng.uniform(2, 10);
        const int n = m * cap;
        std::vector<double> w = random_row(rng, n, t);
        for (double& x : w) x = std::abs(x);
        if (t % 6 == 5) keep_few_positive(rng, w, m);  // no opening: empty packs stay tied
        // Labels with duplicates (replicas of one expert), sometimes all distinct.
        std::vector<int> labels(static_cast<std::size_t>(n));
        const int distinct = t % 4 == 0 ? n : rng.uniform(1, n);
        for (int& label : labels) label = rng.uniform(0, distinct - 1);
        if (t % 4 == 0) std::iota(labels.begin(), labels.end(), 0);
        const std::string where = fmt::format("{} m={} t={}", to_string(isa), m, t);
        const Packing near_tie_ref = literal_near_tie(w, m, labels);
        Packing got;
        near_tie_packer->pack(w, m, labels, got);
        ASSERT_EQ(got.pack, near_tie_ref.pack) << "near_tie " << where;
        ASSERT_EQ(pack_interleaved_pair(*near_tie_packer, w, m, labels).pack, near_tie_ref.pack)
            << "near_tie pack_many " << where;
        const Packing unlabelled_ref = literal_near_tie(w, m, {});
        near_tie_packer->pack(w, m, {}, got);
        ASSERT_EQ(got.pack, unlabelled_ref.pack) << "near_tie unlabelled " << where;
        ASSERT_EQ(pack_interleaved_pair(*near_tie_packer, w, m, {}).pack, unlabelled_ref.pack)
            << "near_tie unlabelled pack_many " << where;
        const Packing ref = literal_diverse_greedy(w, m, labels);
        for (const bool many : {false, true}) {
          if (many) {
            got = pack_interleaved_pair(*diverse_packer, w, m, labels);
          } else {
            diverse_packer->pack(w, m, labels, got);
          }
          ASSERT_EQ(got.pack, ref.pack) << "diverse " << where << " many=" << many;
          ASSERT_EQ(got.rank, ref.rank) << "diverse " << where << " many=" << many;
        }
        ++rows;
      }
    }
    EXPECT_EQ(rows, 8 * 40);
  }
}

TEST(FastKernels, PackManyEqualsPackOnEachJobForEveryPacker) {
  Rng rng(20);
  for (const PackKind kind : {PackKind::kGreedy, PackKind::kNearTie, PackKind::kDiverse}) {
    StageOptions options;
    options.pack = kind;
    const auto packer = make_packer(options);
    for (int m : {2, 4, 8, 16, 32}) {
      for (int t = 0; t < 12; ++t) {
        const int cap = rng.uniform(2, 9);
        const int n = m * cap;
        const int count = rng.uniform(1, 11);  // across the lane groups
        std::vector<std::vector<double>> rows;
        std::vector<std::vector<int>> labels;
        for (int k = 0; k < count; ++k) {
          rows.push_back(random_row(rng, n, t + k));
          for (double& x : rows.back()) x = std::abs(x);
          std::vector<int> row_labels(static_cast<std::size_t>(n));
          const int distinct = rng.uniform(1, n);
          for (int& label : row_labels) label = rng.uniform(0, distinct - 1);
          // Some jobs unlabelled (the node stage), as a batch of one kind never mixes them.
          if (t % 3 == 0) row_labels.clear();
          labels.push_back(std::move(row_labels));
        }
        std::vector<Packing> got(static_cast<std::size_t>(count));
        std::vector<PackJob> jobs;
        for (std::size_t k = 0; k < got.size(); ++k) jobs.push_back({rows[k], labels[k], &got[k]});
        packer->pack_many(jobs, m);
        for (std::size_t k = 0; k < got.size(); ++k) {
          Packing ref;
          packer->pack(rows[k], m, labels[k], ref);
          ASSERT_EQ(got[k].pack, ref.pack) << static_cast<int>(kind) << " m=" << m << " job " << k;
          ASSERT_EQ(got[k].rank, ref.rank) << static_cast<int>(kind) << " m=" << m << " job " << k;
        }
      }
    }
  }
}

LoadMatrix random_load(Rng& rng, int layers, int experts) {
  LoadMatrix w(layers, experts);
  for (int l = 0; l < layers; ++l) {
    const std::vector<double> row = random_row(rng, experts, l);
    for (int e = 0; e < experts; ++e) w(l, e) = std::abs(row[static_cast<std::size_t>(e)]);
  }
  return w;
}

template <class P>  // Placement; a template so that the phyrank check compiles with and without it
void expect_same(const P& a, const P& b, const std::string& what) {
  EXPECT_EQ(a.policy, b.policy) << what;
  EXPECT_EQ(a.phy2log, b.phy2log) << what;
  EXPECT_EQ(a.logcnt, b.logcnt) << what;
  if constexpr (requires { a.phyrank; }) {
    EXPECT_EQ(a.phyrank, b.phyrank) << what;
  }
}

TEST(FastKernels, EveryPresetPlansTheSameUnderEveryKernelIsa) {
  const std::vector<KernelIsa> isas = available_isas();
  if (isas.size() < 2) GTEST_SKIP() << "this CPU runs only the portable kernels";
  Rng rng(19);
  // Node sizes of 8 and 16 GPUs, and 32 and 64 under the global policy: every wide pack count.
  const std::vector<std::pair<Topology, int>> configs = {{{288, 8, 4, 32}, 256},
                                                         {{576, 8, 4, 64}, 512}};
  int checked = 0;
  for (const auto& [topo, experts] : configs) {
    const LoadMatrix load = random_load(rng, 5, experts);
    for (const auto& entry : strategy_registry().entries()) {
      if (entry.kind != "preset") continue;
      for (const std::string& spec : {entry.name, entry.name + ":policy=global"}) {
        const auto strategy = make_strategy(spec).product;
        std::vector<Placement> plans;
        for (const KernelIsa isa : isas) {
          const IsaScope scope(isa);
          plans.push_back(strategy->plan(load, topo));
        }
        expect_same(plans.back(), plans.front(), spec + " E=" + std::to_string(experts));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2 * 6 * 2);
}

TEST(PlanLayers, EqualsStrategyPlanForEveryPresetPolicyAndThreadCount) {
  Rng rng(13);
  const LoadMatrix load = random_load(rng, 13, 32);  // 13 layers: blocks of unequal length
  const Topology topo{48, 8, 2, 8};
  int checked = 0;
  for (const auto& entry : strategy_registry().entries()) {
    if (entry.kind != "preset") continue;
    for (const std::string& spec : {entry.name, entry.name + ":policy=global"}) {
      const auto strategy = make_strategy(spec).product;
      const Placement reference = strategy->plan(load, topo);
      Placement shaped;  // the pipeline plans blocks in place
      EXPECT_TRUE(strategy->shape_rows(load.rows(), load.cols(), topo, shaped)) << spec;
      for (const int threads : {1, 2, 3, 4, 16}) {
        expect_same(plan_layers(*strategy, load, topo, threads), reference,
                    spec + " threads=" + std::to_string(threads));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 2 * 5);
  // A strategy without replica ranks (joint) stays without them when planned in blocks.
  const auto joint = make_strategy("joint:kicks=1,iters=50").product;
  const Placement reference = joint->plan(load, topo);
  ASSERT_EQ(reference.phyrank.size(), 0);
  Placement shaped;  // joint's blocks are planned apart and copied
  EXPECT_FALSE(joint->shape_rows(load.rows(), load.cols(), topo, shaped));
  for (const int threads : {2, 3}) {
    expect_same(plan_layers(*joint, load, topo, threads), reference,
                "joint threads=" + std::to_string(threads));
  }
}

// plan_layers cuts blocks at whole pipeline batches: 8 (layer, node) units, so 2 layers of 4
// nodes, 1 of 8, 8 under the global policy; a topology plan() rejects gets a hint, not an error.
TEST(PlanLayers, PipelineLayerBatchFollowsThePolicyAndNeverThrows) {
  const auto deepseek = make_strategy("deepseek").product;
  const auto global = make_strategy("deepseek:policy=global").product;
  EXPECT_EQ(deepseek->layer_batch(Topology{288, 8, 4, 32}), 2);
  EXPECT_EQ(deepseek->layer_batch(Topology{512, 8, 8, 64}), 1);
  EXPECT_EQ(global->layer_batch(Topology{288, 8, 4, 32}), 8);
  EXPECT_EQ(deepseek->layer_batch(Topology{288, 5, 2, 32}), 8);  // auto resolves to global
  EXPECT_EQ(deepseek->layer_batch(Topology{288, 8, 0, 32}), 1);
  EXPECT_EQ(
      make_strategy("deepseek:policy=hierarchical").product->layer_batch(Topology{288, 5, 2, 32}),
      8);
}

TEST(PlanLayers, OneLayerAndConcurrentCallers) {
  Rng rng(17);
  const Topology topo{48, 8, 2, 8};
  const auto strategy = make_strategy("seed001").product;
  const LoadMatrix one = random_load(rng, 1, 32);
  expect_same(plan_layers(*strategy, one, topo, 4), strategy->plan(one, topo), "one layer");
  const LoadMatrix load = random_load(rng, 20, 32);
  const Placement reference = strategy->plan(load, topo);
  std::vector<std::thread> callers;
  std::vector<Placement> got(3);
  for (std::size_t c = 0; c < got.size(); ++c)
    callers.emplace_back([&, c] { got[c] = plan_layers(*strategy, load, topo, 2); });
  for (std::thread& t : callers) t.join();
  for (const Placement& p : got) expect_same(p, reference, "concurrent caller");
}

TEST(PlanLayers, RejectsBadThreadCountsAndRethrowsStrategyErrors) {
  const auto strategy = make_strategy("deepseek").product;
  const LoadMatrix load = LoadMatrix::Ones(4, 32);
  const Topology topo{48, 8, 2, 8};
  EXPECT_THROW(plan_layers(*strategy, load, topo, 0), InputError);
  EXPECT_THROW(plan_layers(*strategy, load, topo, kMaxPlanThreads + 1), InputError);
  const Topology too_few{16, 8, 2, 8};  // R < E
  EXPECT_THROW(plan_layers(*strategy, load, too_few, 3), TopologyError);
}

}  // namespace
}  // namespace eplb
