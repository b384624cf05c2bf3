#include "joint/joint_search.hpp"

#include <algorithm>
#include <limits>

namespace eplb::joint {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A move must cut the max GPU load by this relative margin: rounding noise never counts as
// progress, so the search cannot cycle on ties.
constexpr double kStrict = 1e-12;

}  // namespace

JointSearch::JointSearch(std::span<const double> weights, int replicas, int gpus) {
  reset(weights, replicas, gpus);
}

void JointSearch::reset(std::span<const double> weights, int replicas, int gpus) {
  const std::size_t n = weights.size();
  w_.assign(weights.begin(), weights.end());
  replicas_ = replicas;
  gpus_ = gpus;
  slots_ = replicas / gpus;
  cnt_.resize(n);
  size_.resize(n);
  shrunk_.resize(n);
  grown_.resize(n);
  slot_expert_.resize(static_cast<std::size_t>(replicas));
  expert_slots_.resize(n);  // lists are cleared (keeping their capacity) by recompute
  load_.resize(static_cast<std::size_t>(gpus));
  delta_.assign(static_cast<std::size_t>(gpus), 0.0);
  mark_.assign(static_cast<std::size_t>(gpus), 0);
  stamp_ = 0;
  best_max_ = start_max_ = 0.0;
  iterations_ = 0;
}

void JointSearch::start(std::span<const int> slot_expert) {
  slot_expert_.assign(slot_expert.begin(), slot_expert.end());
  recompute();
  best_slot_expert_ = slot_expert_;
  best_max_ = max_load();
  start_max_ = best_max_;
}

void JointSearch::recompute() {
  std::fill(cnt_.begin(), cnt_.end(), 0);
  for (auto& list : expert_slots_) list.clear();
  for (int s = 0; s < replicas_; ++s) {
    const int e = slot_expert_[static_cast<std::size_t>(s)];
    ++cnt_[static_cast<std::size_t>(e)];
    expert_slots_[static_cast<std::size_t>(e)].push_back(s);
  }
  for (std::size_t e = 0; e < w_.size(); ++e) resize(e);
  for (int q = 0; q < gpus_; ++q) {
    double g = 0.0;
    for (int s = q * slots_; s < (q + 1) * slots_; ++s)
      g += size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(s)])];
    load_[static_cast<std::size_t>(q)] = g;
  }
}

void JointSearch::resize(std::size_t e) {
  size_[e] = w_[e] / cnt_[e];
  shrunk_[e] = w_[e] / (cnt_[e] + 1);
  grown_[e] = cnt_[e] > 1 ? w_[e] / (cnt_[e] - 1) : kInf;
}

double JointSearch::max_load() const { return *std::max_element(load_.begin(), load_.end()); }

int JointSearch::argmax_gpu() const {
  return static_cast<int>(std::max_element(load_.begin(), load_.end()) - load_.begin());
}

int JointSearch::gpus_at(double level) const {
  int n = 0;
  for (double g : load_) n += g >= level * (1.0 - kStrict) ? 1 : 0;
  return n;
}

void JointSearch::swap_slots(int a, int b) {
  int& ea = slot_expert_[static_cast<std::size_t>(a)];
  int& eb = slot_expert_[static_cast<std::size_t>(b)];
  if (ea == eb) return;
  auto& la = expert_slots_[static_cast<std::size_t>(ea)];
  auto& lb = expert_slots_[static_cast<std::size_t>(eb)];
  *std::find(la.begin(), la.end(), a) = b;
  *std::find(lb.begin(), lb.end(), b) = a;
  std::swap(ea, eb);
  for (int gpu : {a / slots_, b / slots_}) {
    double g = 0.0;
    for (int s = gpu * slots_; s < (gpu + 1) * slots_; ++s)
      g += size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(s)])];
    load_[static_cast<std::size_t>(gpu)] = g;
  }
}

void JointSearch::give(int slot, int expert) {
  const auto f = static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(slot)]);
  const auto e = static_cast<std::size_t>(expert);
  auto& lf = expert_slots_[f];
  lf.erase(std::find(lf.begin(), lf.end(), slot));
  expert_slots_[e].push_back(slot);
  slot_expert_[static_cast<std::size_t>(slot)] = expert;
  --cnt_[f];
  ++cnt_[e];
  resize(f);
  resize(e);
  // Re-sum every GPU that holds f or e (exactly, so no drift accumulates).
  touched_.clear();
  for (std::size_t x : {f, e}) {
    for (int s : expert_slots_[x]) touched_.push_back(s / slots_);
  }
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (int gpu : touched_) {
    double g = 0.0;
    for (int s = gpu * slots_; s < (gpu + 1) * slots_; ++s)
      g += size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(s)])];
    load_[static_cast<std::size_t>(gpu)] = g;
  }
}

// Max load over the GPUs a give(slot, expert) would change, or +inf as soon as it reaches
// `limit` (or the move is not allowed).
double JointSearch::evaluate_give(int slot, int expert, double limit) {
  const auto f = static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(slot)]);
  const auto e = static_cast<std::size_t>(expert);
  if (f == e || cnt_[f] < 2) return kInf;
  const double grown = grown_[f];
  const double shrunk = shrunk_[e];
  touched_.clear();
  ++stamp_;
  auto add = [&](int gpu, double d) {
    auto g = static_cast<std::size_t>(gpu);
    if (mark_[g] != stamp_) {
      mark_[g] = stamp_;
      delta_[g] = 0.0;
      touched_.push_back(gpu);
    }
    delta_[g] += d;
  };
  for (int s : expert_slots_[f]) add(s / slots_, (s == slot ? shrunk : grown) - size_[f]);
  for (int s : expert_slots_[e]) add(s / slots_, shrunk - size_[e]);
  double worst = 0.0;
  for (int gpu : touched_) {
    const auto g = static_cast<std::size_t>(gpu);
    worst = std::max(worst, load_[g] + delta_[g]);
  }
  return worst < limit ? worst : kInf;
}

bool JointSearch::improve_once(int i) {
  const double top = load_[static_cast<std::size_t>(i)];
  Move best;
  best.value = top * (1.0 - kStrict);
  const int first = i * slots_;
  const int last = first + slots_;

  // 1-1 swaps between the max GPU and any other.
  for (int j = 0; j < gpus_; ++j) {
    const double lj = load_[static_cast<std::size_t>(j)];
    if (j == i || lj >= best.value) continue;
    for (int a = first; a < last; ++a) {
      const double sa = size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(a)])];
      for (int b = j * slots_; b < (j + 1) * slots_; ++b) {
        const double d =
            sa - size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(b)])];
        if (d <= 0.0) continue;
        const double v = std::max(top - d, lj + d);
        if (v < best.value) best = {0, a, b, -1, -1, -1, v};
      }
    }
  }
  // Count moves that shrink a replica on the max GPU: the slot of a donor f on this GPU goes to
  // a lighter expert e ...
  const int num_experts = static_cast<int>(w_.size());
  for (int x = first; x < last; ++x) {
    const auto f = static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(x)]);
    if (cnt_[f] < 2) continue;
    // f's other replicas grow wherever they are: a GPU already too full rules out every e.
    const double growth = grown_[f] - size_[f];
    bool blocked = false;
    for (int y : expert_slots_[f]) {
      if (y / slots_ != i && load_[static_cast<std::size_t>(y / slots_)] + growth >= best.value)
        blocked = true;
    }
    if (blocked) continue;
    for (int e = 0; e < num_experts; ++e) {
      if (top - size_[f] + shrunk_[static_cast<std::size_t>(e)] >= best.value) continue;
      const double v = evaluate_give(x, e, best.value);
      if (v < best.value) best = {1, x, -1, -1, -1, e, v};
    }
  }
  // ... or an expert e on this GPU gains a replica taken from any donor f.
  for (int y = first; y < last; ++y) {
    const int e = slot_expert_[static_cast<std::size_t>(y)];
    bool seen = false;
    for (int z = first; z < y; ++z) seen = seen || slot_expert_[static_cast<std::size_t>(z)] == e;
    if (seen) continue;
    // With the donor slot on another GPU, this GPU only changes by e's shrinking replicas and
    // f's growing ones: it stays at least top - (e's replicas here) * (size - shrunk). When that
    // cannot beat the best move, only donors on this GPU are left (the order of evaluation, and
    // so the move picked among equal ones, is unchanged). The margin covers rounding.
    int here = 0;
    for (int z = y; z < last; ++z) here += slot_expert_[static_cast<std::size_t>(z)] == e ? 1 : 0;
    const auto ue = static_cast<std::size_t>(e);
    const double floor = top - here * (size_[ue] - shrunk_[ue]);
    for (int f = 0; f < num_experts; ++f) {
      if (f == e || cnt_[static_cast<std::size_t>(f)] < 2) continue;
      const bool only_here = floor * (1.0 - 1e-9) >= best.value;
      for (int x : expert_slots_[static_cast<std::size_t>(f)]) {
        if (only_here && (x < first || x >= last)) continue;
        const double v = evaluate_give(x, e, best.value);
        if (v < best.value) best = {1, x, -1, -1, -1, e, v};
      }
    }
  }
  if (best.kind < 0 && exchanges_) {
    // 2-2 exchanges with any other GPU.
    for (int j = 0; j < gpus_; ++j) {
      const double lj = load_[static_cast<std::size_t>(j)];
      if (j == i || lj >= best.value) continue;
      const int jf = j * slots_;
      for (int a1 = first; a1 < last; ++a1) {
        for (int a2 = a1 + 1; a2 < last; ++a2) {
          const double sa =
              size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(a1)])] +
              size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(a2)])];
          for (int b1 = jf; b1 < jf + slots_; ++b1) {
            for (int b2 = b1 + 1; b2 < jf + slots_; ++b2) {
              const double d =
                  sa - size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(b1)])] -
                  size_[static_cast<std::size_t>(slot_expert_[static_cast<std::size_t>(b2)])];
              if (d <= 0.0) continue;
              const double v = std::max(top - d, lj + d);
              if (v < best.value) best = {2, a1, b1, a2, b2, -1, v};
            }
          }
        }
      }
    }
  }
  if (best.kind < 0) return false;
  apply(best);
  return true;
}

void JointSearch::apply(const Move& m) {
  switch (m.kind) {
    case 0:
      swap_slots(m.a, m.b);
      break;
    case 1:
      give(m.a, m.expert);
      break;
    case 2:
      swap_slots(m.a, m.b);
      swap_slots(m.c, m.d);
      break;
    default:
      break;
  }
}

void JointSearch::local_search(double target) {
  while (iterations_ < iteration_limit_) {
    const int i = argmax_gpu();
    if (load_[static_cast<std::size_t>(i)] <= target) return;
    if (!improve_once(i)) return;
    ++iterations_;
  }
}

void JointSearch::kick() {
  auto pick = [&](int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); };
  for (int step = 0; step < 2; ++step) {
    const int kind = pick(3);
    if (kind < 2 && gpus_ > 1) {
      const int i = kind == 0 ? argmax_gpu() : pick(gpus_);
      int j = pick(gpus_ - 1);
      if (j >= i) ++j;
      swap_slots(i * slots_ + pick(slots_), j * slots_ + pick(slots_));
    } else {
      for (int attempt = 0; attempt < 8; ++attempt) {
        const int x = pick(replicas_);
        const int f = slot_expert_[static_cast<std::size_t>(x)];
        if (cnt_[static_cast<std::size_t>(f)] < 2) continue;
        const int e = pick(static_cast<int>(w_.size()));
        if (e == f) continue;
        give(x, e);
        break;
      }
    }
  }
}

void JointSearch::run(double target, const Budget& budget, std::uint64_t seed) {
  rng_.seed(seed);
  iterations_ = 0;
  iteration_limit_ = budget.iterations;
  exchanges_ = budget.exchanges;
  if (best_max_ <= target) return;
  local_search(target);
  double current = max_load();
  if (current < best_max_) {
    best_max_ = current;
    best_slot_expert_ = slot_expert_;
  }
  for (int k = 0; k < budget.kicks && best_max_ > target && iterations_ < iteration_limit_; ++k) {
    saved_ = slot_expert_;
    const int at_top = gpus_at(current);
    kick();
    local_search(target);
    const double now = max_load();
    if (now < current || (now == current && gpus_at(now) <= at_top)) {
      current = now;
      if (now < best_max_) {
        best_max_ = now;
        best_slot_expert_ = slot_expert_;
      }
    } else {
      slot_expert_ = saved_;
      recompute();
    }
  }
}

}  // namespace eplb::joint
