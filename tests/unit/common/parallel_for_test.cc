#include "common/parallel_for.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ldgs {
namespace {

// Every index exactly once (counted, so a duplicate shows), whether helpers run at once,
// late (after the caller has taken everything) or never.
TEST(ParallelForTest, EveryIndexRunsExactlyOnceWhateverTheHelpersDo) {
  constexpr size_t kItems = 5000;
  std::mutex mu;
  std::vector<std::function<void()>> late;  // run after ParallelFor returned
  std::vector<std::thread> threads;
  const Executor at_once = [&](std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu);
    threads.emplace_back(std::move(task));
  };
  const Executor later = [&](std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu);
    late.push_back(std::move(task));
  };
  for (const Executor& executor : {at_once, later, Executor()}) {
    std::vector<std::atomic<int>> calls(kItems);
    ParallelFor(executor, 3, kItems, [&](size_t i) { ++calls[i]; });
    for (size_t i = 0; i < kItems; ++i) ASSERT_EQ(calls[i].load(), 1) << "item " << i;
    for (std::function<void()>& task : late) task();  // finds nothing left: no call
    for (size_t i = 0; i < kItems; ++i) ASSERT_EQ(calls[i].load(), 1) << "item " << i;
    late.clear();
  }
  for (std::thread& t : threads) t.join();
}

TEST(ParallelForTest, HelpersShareTheWork) {
  std::mutex mu;
  std::vector<std::thread> threads;
  const Executor executor = [&](std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu);
    threads.emplace_back(std::move(task));
  };
  std::mutex seen_mu;
  std::vector<std::thread::id> seen;
  // Each item waits (up to 10 s) until two threads have taken one: one thread alone would
  // run them one after the other, on one thread id.
  std::atomic<int> started{0};
  ParallelFor(executor, 1, 2, [&](size_t) {
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::lock_guard<std::mutex> lock(seen_mu);
    seen.push_back(std::this_thread::get_id());
  });
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0], seen[1]);
}

}  // namespace
}  // namespace ldgs
