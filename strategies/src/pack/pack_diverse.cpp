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
//  * Label counters are a dense [packs x labels] table, sized by the largest label.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "components.hpp"

namespace eplb::detail {
namespace {

std::size_t at(int i) { return static_cast<std::size_t>(i); }

constexpr double kTie = 1e-12;

struct Scratch {
  std::vector<int> order;
  std::vector<double> load;
  std::vector<int> used;
  std::vector<int> open;  // packs with room, ascending
  std::vector<int> hist;  // [pack * num_labels + label], label counts per pack
  std::vector<int> heavy;
  std::vector<int> light;
  std::vector<int> top;
  std::vector<int> bottom;
  std::vector<int> others;
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
    thread_local Scratch s;
    const int num_labels = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
    s.hist.assign(at(m) * at(num_labels), 0);
    // Pack 0's row of the histogram doubles as the "seen" set of the duplicate check.
    bool has_dup = false;
    for (const int label : labels) {
      if (s.hist[at(label)]++ > 0) {
        has_dup = true;
        break;
      }
    }
    std::fill(s.hist.begin(), s.hist.end(), 0);

    greedy(w, m, labels, has_dup, num_labels, s, out);
    if (micro_swap_) swap_once(w, m, labels, has_dup, num_labels, s, out);
  }

 private:
  static void greedy(std::span<const double> w, int m, std::span<const int> labels, bool has_dup,
                     int num_labels, Scratch& s, Packing& out) {
    const int n = static_cast<int>(w.size());
    const int cap = n / m;
    sort_desc(w, s.order);
    s.load.assign(at(m), 0.0);
    s.used.assign(at(m), 0);
    s.open.resize(at(m));
    std::iota(s.open.begin(), s.open.end(), 0);
    out.pack.resize(at(n));
    out.rank.resize(at(n));
    double eps = 0.0;
    if (has_dup) {
      double sum = 0.0;
      for (const double x : w) sum += x;
      eps = 1e-6 * (sum / n);
    }
    for (const int i : s.order) {
      const double x = w[at(i)];
      int best = -1;
      if (!has_dup) {
        for (const int p : s.open) {
          if (best < 0 || s.load[at(p)] < s.load[at(best)] ||
              (std::abs(s.load[at(p)] - s.load[at(best)]) <= kTie &&
               s.used[at(p)] < s.used[at(best)]))
            best = p;
        }
      } else {
        const int label = labels[at(i)];
        double best_base = 0.0;
        int best_rep = 0;
        for (const int p : s.open) {
          const double base = s.load[at(p)] + x;
          // The label count is only read when it can decide (first pack, clear win, or tie).
          if (best < 0 || base + eps < best_base) {
            best = p;
            best_base = base;
            best_rep = s.hist[at(p * num_labels + label)];
          } else if (std::abs(base - best_base) <= eps) {
            const int rep = s.hist[at(p * num_labels + label)];
            if (rep < best_rep || (rep == best_rep && s.used[at(p)] < s.used[at(best)])) {
              best = p;
              best_base = base;
              best_rep = rep;
            }
          }
        }
      }
      out.pack[at(i)] = best;
      out.rank[at(i)] = s.used[at(best)];
      if (++s.used[at(best)] == cap) s.open.erase(std::find(s.open.begin(), s.open.end(), best));
      s.load[at(best)] += x;
      if (!labels.empty()) ++s.hist[at(best * num_labels + labels[at(i)])];
    }
  }

  static void swap_once(std::span<const double> w, int m, std::span<const int> labels, bool has_dup,
                        int num_labels, Scratch& s, Packing& out) {
    const std::vector<double>& load = s.load;
    // ARGMAX: max_element returns the first maximum (minmax_element would return the last).
    const auto max_it = std::max_element(load.begin(), load.end());
    const double cur_max = *max_it;
    const double cur_min = *std::min_element(load.begin(), load.end());
    if (!(cur_max > cur_min)) return;
    const int h = static_cast<int>(max_it - load.begin());

    // The two lightest other packs by (load, pack index).
    s.others.clear();
    for (int p = 0; p < m; ++p) {
      if (p != h) s.others.push_back(p);
    }
    const auto nl = std::min<std::size_t>(2, s.others.size());
    std::partial_sort(s.others.begin(), s.others.begin() + static_cast<std::ptrdiff_t>(nl),
                      s.others.end(), [&](int a, int b) {
                        return load[at(a)] < load[at(b)] || (load[at(a)] == load[at(b)] && a < b);
                      });
    s.others.resize(nl);

    pack_members(h, out, s.heavy);
    top_k(w, s.heavy, 2, s.top);

    constexpr double kInf = std::numeric_limits<double>::infinity();
    bool found = false;
    double best_peak = 0.0;
    double best_imb = 0.0;
    int best_pen = 0;
    int best_a = -1;
    int best_b = -1;
    int best_l = -1;
    for (const int l : s.others) {
      pack_members(l, out, s.light);
      if (s.light.empty()) continue;
      bottom_k(w, s.light, 2, s.bottom);
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
    if (!found) return;
    const bool apply = best_peak + kTie < cur_max || (std::abs(best_peak - cur_max) <= kTie &&
                                                      best_imb + kTie < cur_max - cur_min);
    if (!apply) return;
    // The loads are not read again, so only the membership and the ranks change. The two packs'
    // ranks become list positions in (ascending item index, b in a's place) order.
    pack_members(best_l, out, s.light);
    out.pack[at(best_a)] = best_l;
    out.pack[at(best_b)] = h;
    for (std::size_t r = 0; r < s.heavy.size(); ++r) {
      const int item = s.heavy[r] == best_a ? best_b : s.heavy[r];
      out.rank[at(item)] = static_cast<int>(r);
    }
    for (std::size_t r = 0; r < s.light.size(); ++r) {
      const int item = s.light[r] == best_b ? best_a : s.light[r];
      out.rank[at(item)] = static_cast<int>(r);
    }
  }

  bool micro_swap_;
};

}  // namespace

std::unique_ptr<Packer> make_diverse_packer(bool micro_swap) {
  return std::make_unique<DiversePacker>(micro_swap);
}

}  // namespace eplb::detail
