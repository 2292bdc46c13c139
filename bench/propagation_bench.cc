// How long a change written at one chapter takes to be held by another chapter through
// their hub: three real ldgsd processes on 127.0.0.1. Each change is timed from just before
// the Admin put at chapter A until chapter B's Admin API reports the record held (B waits
// on its change notifier, not a poll). Changes are written one at a time.
//
// Usage: propagation_bench [CHANGES]   (default 1000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace {

double Percentile(std::vector<double> sorted, double p) {
  const size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
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
    ldgs::v1::PutRecordRequest request;
    request.set_visibility(ldgs::v1::VISIBILITY_NETWORK);
    request.mutable_body()->mutable_practice()->set_title("change " + std::to_string(i));
    ldgs::v1::Record written;
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status put = a.Put(request, &written);
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
