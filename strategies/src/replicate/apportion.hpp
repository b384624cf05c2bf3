// Building blocks of the sequential apportionment replicators (dhondt, hybrid_tail, peak_tail): the
// column layout (COMPOSITION.md section 3.4), the apportionment priorities of section 3.5, and an
// indexed max-heap that returns exactly what a left-to-right ARGMAX scan would.
//
// Why a heap: eplb.py and the seeds rescan all n experts per extra slot, O(red * n) per node. The
// heap keeps every expert's current priority as the very double the scan would compare, ordered
// by (priority descending, index ascending); its top is therefore the lowest index attaining the
// maximum, and one slot costs O(log n).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "components.hpp"
#include "eplb/pipeline.hpp"

namespace eplb::detail {

// Throws InputError unless tail_fraction is in [0, 1] and tail_min >= 0 (tail_size.cpp).
void check_tail_options(const ReplicateOptions& options, const char* replicator);

// Apportionment priorities (section 3.5). The count is converted to double and one correctly
// rounded division (and, for Huntington-Hill, one square root) is performed, as in the oracles.
inline double dhondt_priority(double w, int c) { return w / c; }
inline double sainte_lague_plus_priority(double w, int c) { return w / (2 * c + 1); }
inline double sainte_lague_minus_priority(double w, int c) { return w / (2.0 * c - 1.0); }
inline double huntington_hill_priority(double w, int c) { return w / std::sqrt(c * (c + 1.0)); }

// COLUMN layout with one replica per expert: slot j holds expert j with replica rank 0.
inline void init_column_layout(int n, int slots, ReplicaLayout& out) {
  out.cnt.assign(static_cast<std::size_t>(n), 1);
  out.phy2m.resize(static_cast<std::size_t>(slots));
  out.rank.resize(static_cast<std::size_t>(slots));
  for (int j = 0; j < n; ++j) {
    out.phy2m[static_cast<std::size_t>(j)] = j;
    out.rank[static_cast<std::size_t>(j)] = 0;
  }
}

// Appends slot `s` for expert `e`: replica rank = cnt[e] before the increment.
inline void append_replica(int s, int e, ReplicaLayout& out) {
  int& c = out.cnt[static_cast<std::size_t>(e)];
  out.phy2m[static_cast<std::size_t>(s)] = e;
  out.rank[static_cast<std::size_t>(s)] = c;
  ++c;
}

// Max-heap over the indices 0..n-1 keyed by priority; ties go to the lower index. Entries hold
// their key, so comparisons touch one array. The storage is reused between calls (hold it in
// thread_local scratch).
class PriorityHeap {
 public:
  // Builds the heap with key(j) for every j in 0..n-1 (n >= 1). O(n).
  template <class Key>
  void build(int n, Key key) {
    heap_.resize(static_cast<std::size_t>(n));
    pos_.resize(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) heap_[static_cast<std::size_t>(j)] = {key(j), j};
    for (int i = n / 2 - 1; i >= 0; --i) sift_down(i, heap_[static_cast<std::size_t>(i)]);
    for (int i = 0; i < n; ++i)
      pos_[static_cast<std::size_t>(heap_[static_cast<std::size_t>(i)].index)] = i;
  }

  // ARGMAX of the keys (the lowest index attaining the maximum).
  int top() const { return heap_[0].index; }

  // The value at position 1 of SORT_DESC(keys), i.e. the second-largest key counted with
  // multiplicity; with a single key, that key. In a binary heap it is the larger child of the root.
  double second_value() const {
    const std::size_t n = heap_.size();
    if (n == 1) return heap_[0].key;
    return n == 2 ? heap_[1].key : std::max(heap_[1].key, heap_[2].key);
  }

  // Sets the key of index j and restores the heap order. O(log n).
  void update(int j, double key) {
    const int i = pos_[static_cast<std::size_t>(j)];
    const Entry e{key, j};
    if (i > 0 && before(e, heap_[static_cast<std::size_t>((i - 1) / 2)]))
      sift_up(i, e);
    else
      sift_down(i, e);
  }

 private:
  struct Entry {
    double key;
    int index;
  };
  static bool before(const Entry& a, const Entry& b) {
    return a.key > b.key || (a.key == b.key && a.index < b.index);
  }
  void place(int i, const Entry& e) {
    heap_[static_cast<std::size_t>(i)] = e;
    pos_[static_cast<std::size_t>(e.index)] = i;
  }
  // Moves `e` (destined for position i) up while it beats its parent.
  void sift_up(int i, Entry e) {
    while (i > 0) {
      const int parent = (i - 1) / 2;
      if (!before(e, heap_[static_cast<std::size_t>(parent)])) break;
      place(i, heap_[static_cast<std::size_t>(parent)]);
      i = parent;
    }
    place(i, e);
  }
  // Moves `e` (destined for position i) down while a child beats it.
  void sift_down(int i, Entry e) {
    const int n = static_cast<int>(heap_.size());
    while (true) {
      int child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[static_cast<std::size_t>(child + 1)],
                                  heap_[static_cast<std::size_t>(child)]))
        ++child;
      if (!before(heap_[static_cast<std::size_t>(child)], e)) break;
      place(i, heap_[static_cast<std::size_t>(child)]);
      i = child;
    }
    place(i, e);
  }

  std::vector<Entry> heap_;  // [n] heap order
  std::vector<int> pos_;     // [n] position of each index in heap_
};

// ARGMAX over 0..n-1 of a priority that changes for one index per step, for a known number of
// steps. A heap costs an O(n) build plus O(log n) per step; a left-to-right scan costs O(n) per
// step and nothing up front, so short runs (the usual tail of one or two slots) scan. Both return
// the lowest index attaining the maximum of the same doubles.
class StepArgmax {
 public:
  template <class Key>
  void start(int n, int steps, Key key) {
    n_ = n;
    use_heap_ = steps > kMaxScanSteps;
    if (use_heap_) heap_.build(n, key);
  }
  template <class Key>
  int top(Key key) const {
    if (use_heap_) return heap_.top();
    int best = 0;
    double best_key = key(0);
    for (int j = 1; j < n_; ++j) {
      const double k = key(j);
      if (k > best_key) {
        best = j;
        best_key = k;
      }
    }
    return best;
  }
  // Index j's priority is now `key`.
  void update(int j, double key) {
    if (use_heap_) heap_.update(j, key);
  }

 private:
  static constexpr int kMaxScanSteps = 2;
  int n_ = 0;
  bool use_heap_ = false;
  PriorityHeap heap_;
};

// The common first phase of the tail replicators: the COLUMN layout with one replica each, then
// red - tail D'Hondt steps (red = slots - n, tail = tail_size(options, red)). Returns `tail`, the
// number of slots still to fill, which are the last `tail` slots. Leaves `heap` keyed by w/c (the
// current averages), which the peak-aware tail reads.
// COLUMN layout, then D'Hondt steps for the slots n .. end-1. The heap is built whenever there
// are redundant slots (even if end == n), since tail choosers read it afterwards.
inline void dhondt_fill(std::span<const double> w, int slots, int end, PriorityHeap& heap,
                        ReplicaLayout& out) {
  const int n = static_cast<int>(w.size());
  init_column_layout(n, slots, out);
  if (slots == n) return;
  heap.build(n, [&](int j) { return dhondt_priority(w[static_cast<std::size_t>(j)], 1); });
  for (int s = n; s < end; ++s) {
    const int e = heap.top();
    append_replica(s, e, out);
    heap.update(
        e, dhondt_priority(w[static_cast<std::size_t>(e)], out.cnt[static_cast<std::size_t>(e)]));
  }
}

// dhondt_fill for callers that need only the layout, not the heap: a short run (at most
// kMaxScanSlots extra slots, e.g. 8 per node on V3) scans an array of the current priorities
// instead, branch-free, which beats building the heap; a longer run uses the heap. Both give the
// lowest index attaining the maximum of the same doubles (w / 1 == w exactly).
inline constexpr int kMaxScanSlots = 16;
inline void dhondt_fill_layout(std::span<const double> w, int slots, int end, PriorityHeap& heap,
                               ReplicaLayout& out) {
  const int n = static_cast<int>(w.size());
  if (end - n > kMaxScanSlots) {
    dhondt_fill(w, slots, end, heap, out);
    return;
  }
  init_column_layout(n, slots, out);
  thread_local std::vector<double> priority;
  priority.assign(w.begin(), w.end());
  for (int s = n; s < end; ++s) {
    int best = 0;
    double best_key = priority[0];
    for (int j = 1; j < n; ++j) {
      const double k = priority[static_cast<std::size_t>(j)];
      best = k > best_key ? j : best;
      best_key = k > best_key ? k : best_key;
    }
    append_replica(s, best, out);
    priority[static_cast<std::size_t>(best)] = dhondt_priority(
        w[static_cast<std::size_t>(best)], out.cnt[static_cast<std::size_t>(best)]);
  }
}

// D'Hondt for the bulk of the redundant slots; returns the tail size left for the caller. With
// `keep_heap` the heap is left keyed by the current averages (see dhondt_fill); without, the
// bulk may scan (dhondt_fill_layout).
inline int dhondt_bulk(std::span<const double> w, int slots, const ReplicateOptions& options,
                       PriorityHeap& heap, ReplicaLayout& out, bool keep_heap = true) {
  const int red = slots - static_cast<int>(w.size());
  const int tail = red == 0 ? 0 : tail_size(options, red);
  if (keep_heap)
    dhondt_fill(w, slots, slots - tail, heap, out);
  else
    dhondt_fill_layout(w, slots, slots - tail, heap, out);
  return tail;
}

}  // namespace eplb::detail
