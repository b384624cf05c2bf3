// A process-wide pool of worker threads for fork-join loops (parallel_plan.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace eplb::detail {

class WorkerPool {
 public:
  static WorkerPool& instance();
  ~WorkerPool();

  // Calls task(0..tasks-1), each exactly once, on the calling thread and up to threads - 1
  // workers; returns when all have finished. `task` must not throw. One loop runs at a time:
  // concurrent callers wait for their turn.
  void run(int tasks, int threads, const std::function<void(int)>& task);

 private:
  WorkerPool() = default;
  void work();
  // Takes task indices until none is left.
  void drain();

  std::mutex turn_;  // held by the caller of run() for the whole loop
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};  // next task index
  int seats_ = 0;             // workers that may still join the current loop
  int active_ = 0;            // workers inside the current loop
  std::atomic<int> busy_{0};  // active_, readable without the lock (the caller spins on it)
  std::uint64_t loop_ = 0;
  std::atomic<std::uint64_t> posted_{0};  // loop_, readable without the lock (workers spin on it)
  bool stop_ = false;
};

}  // namespace eplb::detail
