// Diversity-aware greedy packing with one micro swap (seed 002, "waterfill_and_light_pair_refine";
// COMPOSITION.md section 4.6 DIVERSE).
//
// Greedy pass, heaviest item first. When the row has duplicate labels (GPU stage with redundant
// replicas: several slots of one expert), a pack is judged by its load after taking the item;
// packs within eps = 1e-6 * mean item weight of the best count as tied, and the tie goes to the
// pack holding fewer replicas of the item's expert, then to the pack with fewer items. Without
// duplicates (the node stage gets no labels; a row with R == E) it is DeepSeek's greedy with a
// 1e-12 tie band broken by fewer items.
//
// Then at most one 1x1 swap ("micro swap", `micro_swap`): between the heaviest pack and each of the
// two lightest others, top-2 heavy items against bottom-2 light items; the candidate with the
// lowest (new peak, new max-min spread, label-duplication penalty) is applied if it lowers the peak
// (or keeps it and lowers the spread) by more than 1e-12. The swap uses the greedy's accumulated
// loads, and the two touched packs are re-ranked by list position (item b takes a's position).
//
// Known weaknesses:
//  * One swap at most, judged on greedy-accumulated loads, so it fixes little on large rows.
//  * The label preference only acts inside the eps band; a hot expert whose replicas are much
//    heavier than the rest can still land twice on one GPU when that is clearly lighter.
//  * Label counters are a dense [packs x labels] table, sized by the largest label (kept zero
//    between calls, so a call only resets the entries of its own items).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "argmax/least_keys_avx512.hpp"
#include "argmax/winner_tree.hpp"
#include "components.hpp"
#include "eplb/kernel_isa.hpp"
#include "interleaved_lanes.hpp"
#include "refine/pack_members.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

constexpr double kTie = 1e-12;

struct Scratch {
  std::vector<int> order;
  std::vector<double> load;  // [pack] greedy-accumulated loads (the micro swap reads them)
  std::vector<int> used;     // [pack] items placed
  int cap = 0;               // a pack has room while used < cap (no char flags: see near_tie)
  std::vector<int> hist;   // [pack * num_labels + label], label counts per pack; zero between calls
  std::vector<char> seen;  // [label], the duplicate check; false between calls
  PackMembers members;     // the micro swap's view of the greedy result
  std::vector<int> top;
  std::vector<int> bottom;
  std::vector<int> others;
  std::vector<int> lights;  // the two lightest of `others`
};

// The greedy pass of one instance, item by item, so that several instances can advance side by
// side (each item's scan waits for the previous item's load update).
// `Open` keeps each open pack's load, +inf for a full one: a WinnerTree<false>, or WideLeastKeys
// when the kernels are wide.
template <class Open>
struct Lane {
  Scratch s;
  Open tree;
  std::span<const double> w;
  std::span<const int> labels;
  Packing* out = nullptr;
  int m = 0;
  int cap = 0;
  int num_labels = 0;
  bool has_dup = false;
  double eps = 0.0;
  std::size_t opened = 0;  // items placed by the opening
};

class DiversePacker final : public Packer {
 public:
  explicit DiversePacker(bool micro_swap) : micro_swap_(micro_swap) {}

  void pack(std::span<const double> w, int m, std::span<const int> labels,
            Packing& out) const override {
    const int n = static_cast<int>(w.size());
    const int cap = n / m;
    if (cap == 1 || m == 1) {
      greedy_pack(w, m, out);
      return;
    }
    thread_local Lane<WinnerTree<false>> lane;
    start(lane, w, m, labels, out, row_sum(w));
    for (std::size_t t = 0; t < w.size(); ++t) step(lane, t);
    finish(lane);
  }

  void pack_many(std::span<const PackJob> jobs, int m) const override {
    const bool trivial = jobs.empty() || jobs.front().w.size() / static_cast<std::size_t>(m) == 1 ||
                         m == 1;  // pack() hands these to greedy_pack
    bool interleaved = false;
    if (!trivial) {
#if EPLB_HAVE_AVX512_KERNELS
      if (kernel_isa() == KernelIsa::kAvx512 && m <= kMaxWideKeys)
        interleaved = pack_lanes_avx512(jobs, m);
      else
#endif
        interleaved = pack_lanes<WinnerTree<false>>(jobs, m);
    }
    if (!interleaved) Packer::pack_many(jobs, m);
  }

 private:
  // The batch side by side (pack_interleaved); false if it declined.
  template <class Open>
  bool pack_lanes(std::span<const PackJob> jobs, int m) const {
    thread_local std::array<Lane<Open>, kMaxLanes> lanes;
    return pack_interleaved(
        jobs, m, lanes,
        [m](Lane<Open>& lane, const PackJob& job, double sum) {
          start(lane, job.w, m, job.labels, *job.out, sum);
        },
        [](Lane<Open>& lane, std::size_t t) { step(lane, t); },
        [this](Lane<Open>& lane) { finish(lane); }, std::numeric_limits<int>::max());
  }

#if EPLB_HAVE_AVX512_KERNELS
  EPLB_AVX512_WARNINGS_OFF
  // A run-time count of key vectors (least_keys_avx512.hpp says why).
  EPLB_AVX512_FLATTEN bool pack_lanes_avx512(std::span<const PackJob> jobs, int m) const {
    return pack_lanes<WideLeastKeys<0>>(jobs, m);
  }
  EPLB_AVX512_WARNINGS_ON
#endif

  // sum: row_sum(w).
  template <class Open>
  static void start(Lane<Open>& lane, std::span<const double> w, int m, std::span<const int> labels,
                    Packing& out, double sum) {
    Scratch& s = lane.s;
    const int n = static_cast<int>(w.size());
    lane.w = w;
    lane.labels = labels;
    lane.out = &out;
    lane.m = m;
    lane.cap = n / m;
    const int num_labels = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
    lane.num_labels = num_labels;
    if (s.hist.size() < at(m) * at(num_labels)) s.hist.resize(at(m) * at(num_labels), 0);
    if (s.seen.size() < at(num_labels)) s.seen.resize(at(num_labels), 0);
    // More items than label values: some label repeats (the GPU stage, where a node's replicas
    // outnumber its experts), without the two passes of the check.
    bool has_dup = static_cast<std::size_t>(num_labels) < labels.size();
    if (!has_dup) {
      for (const int label : labels) {
        has_dup = has_dup || s.seen[at(label)] != 0;
        s.seen[at(label)] = 1;
      }
      for (const int label : labels) s.seen[at(label)] = 0;
    }
    lane.has_dup = has_dup;

    sort_desc(w, s.order);
    s.load.assign(at(m), 0.0);
    s.used.assign(at(m), 0);
    s.cap = lane.cap;
    lane.tree.build(m, [](int) { return 0.0; });
    out.pack.resize(at(n));
    out.rank.resize(at(n));
    lane.eps = 0.0;
    if (has_dup) {
      lane.eps = 1e-6 * (sum / n);
    }
    // The opening: item t < m goes to pack t, the first empty pack, whatever the weights (>= 0).
    // In the seed's scan an empty pack is never heavier than a loaded one, and within the tie
    // band it wins on items (its label count is 0 too), so the scan takes the first empty pack
    // when it reaches it, and the later empty packs tie with it without winning. These are the
    // scan's slowest steps (every pack is tied or close).
    lane.opened = m >= 2 ? at(m) : 0;
    for (std::size_t t = 0; t < lane.opened; ++t) place(lane, s.order[t], static_cast<int>(t));
  }

  // Places the t-th heaviest item (the greedy pass).
  template <class Open>
  static void step(Lane<Open>& lane, std::size_t t) {
    if (t < lane.opened) return;
    Scratch& s = lane.s;
    const int i = s.order[t];
    const double x = lane.w[at(i)];
    if constexpr (kWideLeastKeys<Open>) {
      if (lane.has_dup) {
        place(lane, i,
              wide_projected(lane.tree, s, lane.m, x, lane.eps, s.hist.data() + lane.labels[at(i)],
                             lane.num_labels));
        return;
      }
    }
    const Extremes open_loads = lane.tree.extremes();
    place(lane, i,
          lane.has_dup ? scan_projected(s, open_loads, lane.m, x, lane.eps,
                                        s.hist.data() + lane.labels[at(i)], lane.num_labels)
                       : scan_plain(s, open_loads, lane.m));
  }

  // Item i into pack `best`.
  template <class Open>
  static void place(Lane<Open>& lane, int i, int best) {
    Scratch& s = lane.s;
    Packing& out = *lane.out;
    const double x = lane.w[at(i)];
    out.pack[at(i)] = best;
    out.rank[at(i)] = s.used[at(best)];
    s.load[at(best)] += x;
    if (!lane.labels.empty()) {
      ++s.hist[at(best * lane.num_labels + lane.labels[at(i)])];
    }
    const bool full = ++s.used[at(best)] == lane.cap;
    lane.tree.update(best, full ? std::numeric_limits<double>::infinity() : s.load[at(best)]);
  }

  // The micro swap, then the label counters back to zero for the next call.
  template <class Open>
  void finish(Lane<Open>& lane) const {
    Scratch& s = lane.s;
    const std::array<int, 2> swapped =
        micro_swap_
            ? swap_once(lane.w, lane.m, lane.labels, lane.has_dup, lane.num_labels, s, *lane.out)
            : std::array<int, 2>{-1, -1};
    // The entries place() incremented: every item's (pack, label) as the greedy left it (no list
    // of them, which cost a push_back per step). A swapped item's greedy pack is its partner's
    // pack now; zeroing its entry in the new pack as well is harmless (this call's or zero).
    if (lane.labels.empty()) return;
    const auto entry = [&](int pack, int item) {
      return at(pack * lane.num_labels + lane.labels[at(item)]);
    };
    const Packing& out = *lane.out;
    for (std::size_t i = 0; i < lane.w.size(); ++i)
      s.hist[entry(out.pack[i], static_cast<int>(i))] = 0;
    const auto [a, b] = swapped;
    if (a >= 0) {
      s.hist[entry(out.pack[at(b)], a)] = 0;
      s.hist[entry(out.pack[at(a)], b)] = 0;
    }
  }

  // No duplicate labels: the first open pack of least load, a later pack within kTie taking over
  // if it holds fewer items (the seed's scan over the open packs in ascending order,
  // branch-free). Returns the pack.
  static int scan_plain(const Scratch& s, const Extremes& open_loads, int m) {
    // Fast exact path: if the first open pack of least load has no other open pack within kTie,
    // the scan takes it when it reaches it (its load is below every earlier one) and nothing
    // after it. |q - least| grows with q, so the least other load (the tree's runner-up; +inf for
    // full packs, which pass) decides it for every q. A +inf least (an overflowing row) may be a
    // full pack's: the scan decides.
    {
      const double least = open_loads.key;
      if (least < std::numeric_limits<double>::infinity() &&
          !(std::abs(open_loads.second - least) <= kTie))
        return open_loads.index;
    }
    int best = -1;
    for (int p = 0; p < m; ++p) {
      const bool first = best < 0;
      const int b = first ? p : best;
      const double lp = s.load[at(p)];
      const double lb = s.load[at(b)];
      const bool take =
          s.used[at(p)] < s.cap &&
          (first || lp < lb || (std::abs(lp - lb) <= kTie && s.used[at(p)] < s.used[at(b)]));
      best = take ? p : best;
    }
    return best;
  }

  // Duplicate labels: packs judged by their projected load; within eps of the best, fewer
  // replicas of the item's label win, then fewer items. `hist_col` points at the item's label in
  // pack 0's histogram row (stride num_labels). Returns the pack.
  static int scan_projected(const Scratch& s, const Extremes& open_loads, int m, double x,
                            double eps, const int* hist_col, int num_labels) {
    // Fast exact path, as in the near-tie packer: let b be the first open pack of least load.
    // If every other open pack q is clearly heavier after taking the item (b + x + eps < q + x
    // and |(q + x) - (b + x)| > eps, in the scan's own floating-point expressions), the scan
    // takes b (`lower`, or as the first pack) and nothing after it. Adding x and both tests are
    // monotone in q, so the least other load (the tree's runner-up) decides them for every q;
    // and when they hold, b + x is the strict least projected load, the scan's own b.
    {
      const double least = open_loads.key + x;
      const double second = open_loads.second + x;
      if (least + eps < second && !(std::abs(second - least) <= eps)) return open_loads.index;
      // Exact ties at the least projected load (typically the empty packs at the start): if
      // every open pack not exactly at `least` is clearly heavier as above, the scan takes the
      // first tied pack (`lower`), then a later tied pack only on fewer replicas of the label,
      // then fewer items (`tie`); a heavier pack is neither. One pass without a loop-carried
      // choice; a +inf least (an overflowing row) is left to the scan.
      if (least == second && least < std::numeric_limits<double>::infinity()) {
        const auto tie_key = [&](int p) {
          return DiversePacker::tie_key(s, hist_col, num_labels, p);
        };
        int close = 0;
        std::uint64_t least_key = std::numeric_limits<std::uint64_t>::max();
        for (int p = 0; p < m; ++p) {
          const double base = s.load[at(p)] + x;
          const bool open = s.used[at(p)] < s.cap;
          const bool tied = open && base == least;
          close +=
              (open && !tied && (!(least + eps < base) || std::abs(base - least) <= eps)) ? 1 : 0;
          least_key =
              std::min(least_key, tied ? tie_key(p) : std::numeric_limits<std::uint64_t>::max());
        }
        if (close == 0) {
          for (int p = 0; p < m; ++p) {
            if (s.used[at(p)] < s.cap && s.load[at(p)] + x == least && tie_key(p) == least_key)
              return p;
          }
        }
      }
    }
    return full_projected(s, m, x, eps, hist_col, num_labels);
  }

  // scan_projected's fast paths from one pass of the wide keys (exact ties, about a tenth of
  // seed002's GPU steps, took a mispredicted branch and two scalar scans over the packs there):
  // the clear least projected load, among its packs the first of least tie key.
  template <class Open>
  static int wide_projected(const Open& tree, const Scratch& s, int m, double x, double eps,
                            const int* hist_col, int num_labels) {
    const std::uint64_t tied = tree.clear_least(x, eps);
    if (tied == 0) return full_projected(s, m, x, eps, hist_col, num_labels);
    if ((tied & (tied - 1)) == 0) return std::countr_zero(tied);
    int best = -1;
    std::uint64_t best_key = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t left = tied; left != 0; left &= left - 1) {
      const int p = std::countr_zero(left);
      const std::uint64_t key = tie_key(s, hist_col, num_labels, p);
      best = key < best_key ? p : best;
      best_key = std::min(key, best_key);
    }
    return best;
  }

  // (replicas of the label, items) of pack p, lexicographic: the order of scan_projected's ties.
  static std::uint64_t tie_key(const Scratch& s, const int* hist_col, int num_labels, int p) {
    return (static_cast<std::uint64_t>(hist_col[static_cast<std::ptrdiff_t>(p) * num_labels])
            << 32) |
           static_cast<std::uint32_t>(s.used[at(p)]);
  }

  // The seed's scan itself.
  static int full_projected(const Scratch& s, int m, double x, double eps, const int* hist_col,
                            int num_labels) {
    int best = -1;
    double best_base = std::numeric_limits<double>::infinity();
    int best_rep = 0;
    int best_used = 0;
    for (int p = 0; p < m; ++p) {
      const double base = s.load[at(p)] + x;
      const int rep = hist_col[static_cast<std::ptrdiff_t>(p) * num_labels];
      const int used = s.used[at(p)];
      const bool lower = best < 0 || base + eps < best_base;
      const bool tie = std::abs(base - best_base) <= eps &&
                       (rep < best_rep || (rep == best_rep && used < best_used));
      const bool take = s.used[at(p)] < s.cap && (lower || tie);
      best = take ? p : best;
      best_base = take ? base : best_base;
      best_rep = take ? rep : best_rep;
      best_used = take ? used : best_used;
    }
    return best;
  }

  // Returns the two items it swapped ({-1, -1}: none).
  static std::array<int, 2> swap_once(std::span<const double> w, int m, std::span<const int> labels,
                                      bool has_dup, int num_labels, Scratch& s, Packing& out) {
    const std::vector<double>& load = s.load;
    // ARGMAX: max_element returns the first maximum (minmax_element would return the last).
    const auto max_it = std::max_element(load.begin(), load.end());
    const double cur_max = *max_it;
    const double cur_min = *std::min_element(load.begin(), load.end());
    if (!(cur_max > cur_min)) return {-1, -1};
    const int h = static_cast<int>(max_it - load.begin());

    // The two lightest other packs by (load, pack index).
    s.others.clear();
    for (int p = 0; p < m; ++p) {
      if (p != h) s.others.push_back(p);
    }
    // BOTTOMK(load, others, 2): the same strict order, without partial_sort's branches.
    bottom_k(load, s.others, 2, s.lights);

    s.members.build(out, m);
    const std::span<const int> heavy = s.members.of(h);
    top_k(w, heavy, 2, s.top);

    constexpr double kInf = std::numeric_limits<double>::infinity();
    bool found = false;
    double best_peak = 0.0;
    double best_imb = 0.0;
    int best_pen = 0;
    int best_a = -1;
    int best_b = -1;
    int best_l = -1;
    for (const int l : s.lights) {
      const std::span<const int> light = s.members.of(l);
      if (light.empty()) continue;
      bottom_k(w, light, 2, s.bottom);
      double other_max = -kInf;
      double other_min = kInf;
      for (int p = 0; p < m; ++p) {
        if (p == h || p == l) continue;
        other_max = std::max(other_max, load[at(p)]);
        other_min = std::min(other_min, load[at(p)]);
      }
      for (const int a : s.top) {
        for (const int b : s.bottom) {
          const double new_h = (load[at(h)] - w[at(a)]) + w[at(b)];
          const double new_l = (load[at(l)] - w[at(b)]) + w[at(a)];
          const double new_peak = std::max({new_h, new_l, other_max});
          const double new_bottom = std::min({new_h, new_l, other_min});
          const double new_imb = new_peak - new_bottom;
          int pen = 0;
          if (has_dup) {
            pen = (s.hist[at(h * num_labels + labels[at(b)])] > 0 ? 1 : 0) +
                  (s.hist[at(l * num_labels + labels[at(a)])] > 0 ? 1 : 0);
          }
          const bool better = !found || new_peak < best_peak ||
                              (new_peak == best_peak &&
                               (new_imb < best_imb || (new_imb == best_imb && pen < best_pen)));
          if (better) {
            found = true;
            best_peak = new_peak;
            best_imb = new_imb;
            best_pen = pen;
            best_a = a;
            best_b = b;
            best_l = l;
          }
        }
      }
    }
    if (!found) return {-1, -1};
    const bool apply = best_peak + kTie < cur_max || (std::abs(best_peak - cur_max) <= kTie &&
                                                      best_imb + kTie < cur_max - cur_min);
    if (!apply) return {-1, -1};
    // The loads are not read again, so only the membership and the ranks change. The two packs'
    // ranks become list positions in (ascending item index, b in a's place) order.
    const std::span<const int> light = s.members.of(best_l);
    out.pack[at(best_a)] = best_l;
    out.pack[at(best_b)] = h;
    for (std::size_t r = 0; r < heavy.size(); ++r) {
      const int item = heavy[r] == best_a ? best_b : heavy[r];
      out.rank[at(item)] = static_cast<int>(r);
    }
    for (std::size_t r = 0; r < light.size(); ++r) {
      const int item = light[r] == best_b ? best_a : light[r];
      out.rank[at(item)] = static_cast<int>(r);
    }
    return {best_a, best_b};
  }

  bool micro_swap_;
};

}  // namespace

std::unique_ptr<Packer> make_diverse_packer(bool micro_swap) {
  return std::make_unique<DiversePacker>(micro_swap);
}

}  // namespace eplb::detail
