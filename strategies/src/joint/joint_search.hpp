// The joint local search on one subproblem (a whole layer under the global policy, one node's
// experts under the hierarchical one): replica counts and placement searched together.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace eplb::joint {

struct Budget {
  int iterations = 4000;  // improving moves applied, over all local searches of the subproblem
  int kicks = 100;        // perturbations of the iterated local search
  bool exchanges = true;  // try 2-2 exchanges when no 1-1 or count move improves
};

class JointSearch {
 public:
  // `weights` of the subproblem's experts, `replicas` slots on `gpus` GPUs of replicas/gpus slots.
  JointSearch(std::span<const double> weights, int replicas, int gpus);
  JointSearch() = default;
  // Makes this a fresh search of another subproblem, keeping the storage (a plan solves hundreds
  // of subproblems of one size; allocating them was a tenth of a cheap search's time).
  void reset(std::span<const double> weights, int replicas, int gpus);

  // Starts from `slot_expert` (local expert of each local slot, every expert at least once).
  void start(std::span<const int> slot_expert);
  // Improves the state until its max GPU load is at most `target` or the budget is spent; the
  // best state seen is kept, so the result is never worse than the start.
  void run(double target, const Budget& budget, std::uint64_t seed);

  const std::vector<int>& best_slots() const { return best_slot_expert_; }
  double best_max() const { return best_max_; }
  double start_max() const { return start_max_; }
  int iterations_used() const { return iterations_; }

 private:
  struct Move {
    int kind = -1;  // 0 swap (slot_a, slot_b); 1 count (donor slot_a -> expert e); 2 exchange
    int a = -1, b = -1, c = -1, d = -1;
    int expert = -1;
    double value = 0.0;
  };

  void recompute();
  void resize(std::size_t expert);
  int argmax_gpu() const;
  bool improve_once(int gpu);
  void apply(const Move& move);
  void give(int slot, int expert);  // the slot's replica now belongs to `expert`
  void swap_slots(int a, int b);
  double evaluate_give(int slot, int expert, double limit);
  void local_search(double target);
  void kick();
  double max_load() const;
  int gpus_at(double level) const;

  std::vector<double> w_;
  int replicas_ = 0;
  int gpus_ = 0;
  int slots_ = 0;
  std::vector<int> cnt_;
  std::vector<double> size_;    // w / c: the replica size
  std::vector<double> shrunk_;  // w / (c + 1): after gaining a replica
  std::vector<double> grown_;   // w / (c - 1): after giving one away (+inf at c == 1)
  std::vector<int> slot_expert_;
  std::vector<std::vector<int>> expert_slots_;
  std::vector<double> load_;
  std::vector<double> delta_;  // scratch of evaluate_give, valid where mark_ == stamp_
  std::vector<int> mark_;
  int stamp_ = 0;
  bool exchanges_ = true;
  std::vector<int> touched_;

  std::vector<int> saved_;  // the state before a kick
  std::vector<int> best_slot_expert_;
  double best_max_ = 0.0;
  double start_max_ = 0.0;
  int iterations_ = 0;
  int iteration_limit_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace eplb::joint
