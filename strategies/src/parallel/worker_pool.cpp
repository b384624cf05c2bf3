// Fork-join worker pool: see worker_pool.hpp.
#include "worker_pool.hpp"

#include <algorithm>

namespace eplb::detail {

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
    lock.unlock();
    drain();
    lock.lock();
    if (--active_ == 0) finished_.notify_all();
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
  }
  wake_.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mutex_);
  seats_ = 0;  // a worker that wakes up late no longer joins this loop
  finished_.wait(lock, [&] { return active_ == 0; });
  task_ = nullptr;
}

}  // namespace eplb::detail
