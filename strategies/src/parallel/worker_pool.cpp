// Fork-join worker pool: see worker_pool.hpp.
#include "worker_pool.hpp"

#include <algorithm>
#include <chrono>

namespace eplb::detail {
namespace {

// How long the caller spins for the last workers of a loop, and a worker for the next loop,
// before sleeping on a condition variable (see run() and work()).
constexpr std::chrono::microseconds kSpin{200};

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

WorkerPool& WorkerPool::instance() {
  static WorkerPool pool;
  return pool;
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::drain() {
  for (int t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) (*task_)(t);
}

void WorkerPool::work() {
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || (loop_ != seen && seats_ > 0); });
    if (stop_) return;
    seen = loop_;
    --seats_;
    ++active_;
    busy_.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    drain();
    lock.lock();
    busy_.fetch_sub(1, std::memory_order_release);
    if (--active_ == 0) finished_.notify_all();
    // Plans called back to back (a sweep, a rebalance loop, a benchmark) post the next loop
    // within microseconds; a worker asleep on wake_ joined it 30-80 us late (waking an idle
    // virtual CPU), which left the caller planning alone for a sixth of a large plan. So it
    // watches for the next loop a while first, as OpenMP runtimes spin before they block.
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    while (posted_.load(std::memory_order_acquire) == seen &&
           std::chrono::steady_clock::now() - start < kSpin)
      pause();
    lock.lock();
  }
}

void WorkerPool::run(int tasks, int threads, const std::function<void(int)>& task) {
  const std::lock_guard<std::mutex> turn(turn_);
  const int helpers = std::min(threads, tasks) - 1;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    while (static_cast<int>(workers_.size()) < helpers) workers_.emplace_back([this] { work(); });
    task_ = &task;
    tasks_ = tasks;
    next_.store(0);
    seats_ = std::max(helpers, 0);
    ++loop_;
    posted_.store(loop_, std::memory_order_release);
  }
  wake_.notify_all();
  drain();
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    seats_ = 0;  // a worker that wakes up late no longer joins this loop
  }
  // The workers still inside the loop are on their last task. Waiting for them on the condition
  // variable puts this thread to sleep, and waking it (an interrupt to an idle virtual CPU)
  // measured 30-80 us at the end of every call, a sixth of a large plan; spinning a while first
  // costs at most kSpin of this thread's time.
  const auto start = std::chrono::steady_clock::now();
  while (busy_.load(std::memory_order_acquire) != 0 &&
         std::chrono::steady_clock::now() - start < kSpin)
    pause();
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return active_ == 0; });
  task_ = nullptr;
}

}  // namespace eplb::detail
