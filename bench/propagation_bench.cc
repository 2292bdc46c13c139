// How long a change written at one chapter takes to be held by another chapter through
// their hub: three real ldgsd processes on 127.0.0.1. Each change is timed from just before
// the Admin put at chapter A until chapter B's Admin API reports the record held (B waits
// on its change notifier, not a poll).
//
//   propagation_bench [CHANGES]           closed loop: one change at a time (default 1000)
//   propagation_bench steady RATE SECONDS open loop under mutual TLS: a change due every
//                                         1/RATE s whether or not the earlier ones arrived,
//                                         each timed from when it was due (a slow node
//                                         cannot hide its backlog); RESULT lines
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace {

double Percentile(std::vector<double> sorted, double p) {
  const size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[index];
}

ldgs::v1::PutRecordRequest Change(int i) {
  ldgs::v1::PutRecordRequest request;
  request.set_visibility(ldgs::v1::VISIBILITY_NETWORK);
  request.mutable_body()->mutable_practice()->set_title("change " + std::to_string(i));
  return request;
}

// Senders wait for their change's due time and write it at A: many threads, so that a change
// is sent when due even while earlier ones are still being written. Eight observers wait at
// B, each for every eighth change in turn (GetRecord waits on B's change notifier): a few
// waiters, as real readers would be, not one per change in flight. A change that arrives
// before the one its observer waits for is timed when the observer reaches it.
constexpr int kObservers = 8;

int RunSteady(int rate, int seconds) {
  using ldgs::testing::NodeProcess;
  ldgs::testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "bench");
  NodeProcess& a = fed.AddChapter("Chapter A", "bench", &hub);
  NodeProcess& b = fed.AddChapter("Chapter B", "bench", &hub);
  if (!fed.Start()) return 1;

  const int changes = rate * seconds;
  std::vector<double> latencies_ms(changes, -1);
  std::vector<double> put_ms(changes, -1);  // due to A's acknowledgement of the write
  std::vector<ldgs::v1::Record> written(changes);
  std::vector<bool> known(changes, false);  // written[i] is set (under mu)
  std::mutex mu;
  std::condition_variable written_changed;
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto fail = [&](int i, const grpc::Status& status) {
    std::fprintf(stderr, "change %d: %s\n", i, status.error_message().c_str());
    std::lock_guard<std::mutex> lock(mu);
    failed = true;
    written_changed.notify_all();
  };
  // 64 senders carry 1,000 writes a second up to 64 ms each; a slower node shows up as
  // latency, since each change is timed from when it was due.
  const int senders = 64;
  const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  const auto due = [&](int i) {
    return start + std::chrono::microseconds(static_cast<int64_t>(i) * 1000000 / rate);
  };
  const auto since_due_ms = [&](int i) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - due(i))
        .count();
  };
  // One channel to each node, shared by the threads (a channel per call costs the bench more
  // than the write costs the node).
  const std::unique_ptr<ldgs::v1::Admin::Stub> a_admin = a.AdminStub();
  const std::unique_ptr<ldgs::v1::Admin::Stub> b_admin = b.AdminStub();
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < changes && !failed; i = next++) {
        std::this_thread::sleep_until(due(i));  // pacing the load, not waiting for a result
        ldgs::v1::Record record;
        grpc::ClientContext context;
        a.Authorize(&context);
        grpc::Status put = a_admin->PutRecord(&context, Change(i), &record);
        put_ms[i] = since_due_ms(i);
        if (!put.ok()) return fail(i, put);
        std::lock_guard<std::mutex> lock(mu);
        written[i] = std::move(record);
        known[i] = true;
        written_changed.notify_all();
      }
    });
  }
  for (int o = 0; o < kObservers; ++o) {
    threads.emplace_back([&, o] {
      for (int i = o; i < changes; i += kObservers) {
        {
          std::unique_lock<std::mutex> lock(mu);
          written_changed.wait(lock, [&] { return known[i] || failed; });
          if (failed) return;
        }
        grpc::ClientContext context;
        b.Authorize(&context);
        ldgs::v1::GetRecordRequest wait;
        wait.set_origin(written[i].origin());
        wait.set_id(written[i].id());
        wait.set_wait_ms(30000);
        wait.set_min_version(written[i].version());
        ldgs::v1::Record held;
        grpc::Status got = b_admin->GetRecord(&context, wait, &held);
        if (!got.ok()) return fail(i, got);
        latencies_ms[i] = since_due_ms(i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (failed) return 1;
  const double span_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::sort(put_ms.begin(), put_ms.end());
  std::printf("RESULT steady_offered_rate %d writes/s\n", rate);
  std::printf("RESULT steady_delivered_rate %.1f writes/s\n", changes / span_s);
  std::printf("RESULT steady_propagation_p50 %.2f ms\n", Percentile(latencies_ms, 0.5));
  std::printf("RESULT steady_propagation_p99 %.2f ms\n", Percentile(latencies_ms, 0.99));
  std::printf("RESULT steady_propagation_max %.2f ms\n", latencies_ms.back());
  std::printf("RESULT steady_write_ack_p50 %.2f ms\n", Percentile(put_ms, 0.5));
  std::printf("RESULT steady_write_ack_p99 %.2f ms\n", Percentile(put_ms, 0.99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "steady") == 0) {
    const int rate = std::atoi(argv[2]);
    const int seconds = std::atoi(argv[3]);
    if (rate <= 0 || rate > 10000 || seconds <= 0 || seconds > 600) {
      std::fprintf(stderr, "propagation_bench: steady RATE (1..10000) SECONDS (1..600)\n");
      return 2;
    }
    return RunSteady(rate, seconds);
  }
  const int changes = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (changes <= 0 || changes > 100000) {
    std::fprintf(stderr, "propagation_bench: CHANGES must be 1..100000\n");
    return 2;
  }
  using ldgs::testing::NodeProcess;
  ldgs::testing::Federation fed;
  NodeProcess& hub = fed.AddHub("Hub", "bench");
  NodeProcess& a = fed.AddChapter("Chapter A", "bench", &hub);
  NodeProcess& b = fed.AddChapter("Chapter B", "bench", &hub);
  if (!fed.Start()) return 1;

  std::vector<double> latencies_ms;
  latencies_ms.reserve(changes);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < changes; ++i) {
    ldgs::v1::Record written;
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status put = a.Put(Change(i), &written);
    if (!put.ok()) {
      std::fprintf(stderr, "put failed: %s\n", put.error_message().c_str());
      return 1;
    }
    ldgs::v1::Record held;
    grpc::Status got = b.Get(written.origin(), written.id(), &held, 30000, written.version());
    const auto t1 = std::chrono::steady_clock::now();
    if (!got.ok()) {
      std::fprintf(stderr, "change %d never arrived: %s\n", i, got.error_message().c_str());
      return 1;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("propagation chapter A -> hub -> chapter B, %d changes in %.1f s\n", changes,
              total_s);
  std::printf("latency ms: median %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
              Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.9),
              Percentile(latencies_ms, 0.99), latencies_ms.back());
  return 0;
}
