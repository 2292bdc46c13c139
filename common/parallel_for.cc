#include "common/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace ldgs {
namespace {

// Shared by the caller and its helpers; a helper that starts after the caller returned
// finds nothing left to take and never calls `fn`.
struct Work {
  explicit Work(size_t count, const std::function<void(size_t)>* function)
      : n(count), fn(function) {}
  const size_t n;
  const std::function<void(size_t)>* fn;  // valid while some item is unfinished
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable all_done;
  size_t done = 0;  // guarded by mu

  void TakeItems() {
    size_t finished = 0;
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      (*fn)(i);
      ++finished;
    }
    if (finished == 0) return;
    std::lock_guard<std::mutex> lock(mu);
    done += finished;
    if (done == n) all_done.notify_all();
  }
};

}  // namespace

void ParallelFor(const Executor& executor, int helpers, size_t n,
                 const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  auto work = std::make_shared<Work>(n, &fn);
  const size_t wanted = std::min(static_cast<size_t>(helpers > 0 ? helpers : 0), n - 1);
  for (size_t h = 0; h < wanted && executor; ++h) {
    executor([work] { work->TakeItems(); });
  }
  work->TakeItems();
  std::unique_lock<std::mutex> lock(work->mu);
  work->all_done.wait(lock, [&] { return work->done == work->n; });
}

}  // namespace ldgs
