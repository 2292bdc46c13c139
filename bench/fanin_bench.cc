// Hub fan-in: one process simulating many chapters against one real ldgsd hub on
// 127.0.0.1. Every simulated chapter has its own key, its own enrollment on the hub and its
// own connection (its own channel: gRPC would otherwise share one connection between
// identical channels); it says Hello, keeps a Pull stream open as a chapter does, and pushes
// records it signed before the clock started, so the sender costs the machine little.
// Plaintext: a TLS handshake per simulated chapter would measure the simulator, not the hub.
//
//   fanin_bench fanin N [--batch K] [--steady-seconds S] [--rate R]
//       N chapters connect at once, then push one batch of K records each at once (the
//       wave), then batches of K at R records a second in all, each from a chapter picked in
//       turn, for S seconds (the steady phase). Each batch is timed from the moment it is
//       due to the hub's acknowledgement that it is applied and durable.
//   fanin_bench replay C N
//       C chapters push N records in all, as fast as the hub takes them (batches of 500, 4 in
//       flight each, as ldgsd pushes): the hub's rate against a near-free sender.
//
// Every figure is one line "RESULT name value unit" (bench/run.sh collects them).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "common/base32.h"
#include "daemon/replication/session_table.h"
#include "grpcpp/grpcpp.h"
#include "ldgs/v1/admin.grpc.pb.h"
#include "ldgs/v1/replication.grpc.pb.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace {

using ldgs::bench::Clock;
using ldgs::bench::ProcessUse;
using ldgs::bench::Result;
using ldgs::bench::Seconds;
using ldgs::bench::UseOf;
using ldgs::testing::NodeProcess;
namespace v1 = ldgs::v1;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fanin_bench: %s\n", what.c_str());
  std::exit(1);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5)];
}

// The simulated chapters' records: stories of about 300 bytes signed, for the hub only (a
// chapter's metrics and stories mostly go no further than its hub).
std::string SealStory(const ldgs::record::NodeKey& key, uint64_t n) {
  v1::Record r;
  r.set_origin(key.node_id());
  r.set_id(absl::StrCat("story-", n));
  r.set_version(n);
  r.set_kind(v1::KIND_STORY);
  r.set_visibility(v1::VISIBILITY_HUB);
  r.mutable_story()->set_title(absl::StrCat("Story ", n, " of a simulated chapter"));
  r.mutable_story()->set_body(std::string(180, 'a' + static_cast<char>(n % 26)));
  r.mutable_story()->add_tags("fanin");
  return ldgs::record::SealRecord(r, key);
}

// Counts done things and wakes the main thread when a target is reached.
class Tally {
 public:
  void Add(size_t n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    count_ += n;
    changed_.notify_all();
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  bool WaitFor(size_t target, double timeout_s) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                             [&] { return count_ >= target; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  size_t count_ = 0;
};

struct Shared {
  std::string hub_address;
  Tally connected;  // chapters whose Pull delivered its first batch
  Tally acked;      // batches acknowledged
  Tally failed;     // streams or Hellos that ended in error
  std::mutex latency_mu;
  std::vector<double> latencies_ms;  // of batches acknowledged, in the current phase
  std::atomic<size_t> pulled_records{0};
  std::atomic<bool> shutting_down{false};
  std::mutex error_mu;
  std::string first_error;

  void Fail(const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(error_mu);
      if (first_error.empty()) first_error = what;
    }
    failed.Add();
  }
};

// One simulated chapter: its key, its pre-signed batches, its channel and its two streams.
class Chapter {
 public:
  Chapter(Shared* shared, int index, ldgs::record::NodeKey key, std::vector<v1::Batch> batches,
          size_t window)
      : shared_(shared),
        key_(std::move(key)),
        batches_(std::move(batches)),
        due_(batches_.size()),
        push_(this, window),
        pull_(this) {
    grpc::ChannelArguments args;
    // Its own connection: without these, channels to one address share a subchannel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ldgs.bench.chapter", index);
    args.SetMaxReceiveMessageSize(64 << 20);
    stub_ = v1::Replication::NewStub(
        grpc::CreateCustomChannel(shared_->hub_address, grpc::InsecureChannelCredentials(), args));
  }

  const std::string& node_id() const { return key_.node_id(); }

  // Hello, then the Pull and Push streams; `done` runs when Hello has answered.
  void Connect(std::function<void()> done) {
    hello_request_.set_protocol_version(ldgs::daemon::replication::kProtocolVersion);
    hello_request_.set_node_id(node_id());
    hello_request_.set_role(v1::ROLE_CHAPTER);
    hello_request_.set_nonce(ldgs::record::RandomBytes(32));
    hello_context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stub_->async()->Hello(&hello_context_, &hello_request_, &hello_response_,
                          [this, done = std::move(done)](grpc::Status status) {
                            OnHello(status);
                            done();
                          });
  }

  // Makes the next `n` batches due now.
  void Due(size_t n) { push_.Due(n); }

  void Cancel() {
    push_context_.TryCancel();
    pull_context_.TryCancel();
  }
  bool WaitDone(double timeout_s) {
    return push_.done.WaitFor(1, timeout_s) && pull_.done.WaitFor(1, timeout_s);
  }

 private:
  void OnHello(const grpc::Status& status) {
    if (!status.ok()) return shared_->Fail("hello: " + status.error_message());
    using ldgs::daemon::replication::HelloTranscript;
    if (!ldgs::record::VerifySignature(
            hello_response_.node_id(),
            HelloTranscript(hello_request_.nonce(), node_id(), hello_response_.challenge()),
            hello_response_.signature())) {
      return shared_->Fail("the hub's hello signature does not verify");
    }
    Prepare(&pull_context_);
    Prepare(&push_context_);
    pull_request_.set_since(0);
    pull_request_.set_since_epoch(hello_response_.feed_epoch());
    stub_->async()->Pull(&pull_context_, &pull_request_, &pull_);
    pull_.Begin();
    stub_->async()->Push(&push_context_, &push_);
    push_.Begin();
  }

  void Prepare(grpc::ClientContext* context) const {
    using ldgs::daemon::replication::SessionProofMessage;
    const std::string& challenge = hello_response_.challenge();
    context->AddMetadata("ldgs-node-id", node_id());
    context->AddMetadata("ldgs-session", ldgs::Base32Encode(challenge));
    context->AddMetadata(
        "ldgs-proof",
        ldgs::Base32Encode(key_.Sign(SessionProofMessage(challenge, hello_response_.node_id()))));
  }

  class PushStream : public grpc::ClientBidiReactor<v1::Batch, v1::PushAck> {
   public:
    PushStream(Chapter* chapter, size_t window) : chapter_(chapter), window_(window) {}

    void Begin() {
      StartRead(&ack_);
      StartCall();
      std::lock_guard<std::mutex> lock(mu_);
      started_ = true;
      MaybeWriteLocked();
    }

    void Due(size_t n) {
      const auto now = Clock::now();
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < n && due_count_ < chapter_->due_.size(); ++i) {
        chapter_->due_[due_count_++] = now;
      }
      MaybeWriteLocked();
    }

    void OnWriteDone(bool ok) override {
      if (!ok) return;  // the stream broke: OnDone reports it
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      MaybeWriteLocked();
    }

    void OnReadDone(bool ok) override {
      if (!ok) return;
      size_t newly = 0;
      std::vector<double> latencies;
      {
        std::lock_guard<std::mutex> lock(mu_);
        const auto now = Clock::now();
        while (acked_ < written_ && chapter_->batches_[acked_].up_to() <= ack_.up_to()) {
          latencies.push_back(
              std::chrono::duration<double, std::milli>(now - chapter_->due_[acked_]).count());
          ++acked_;
          ++newly;
        }
        MaybeWriteLocked();
      }
      if (newly > 0) {
        {
          std::lock_guard<std::mutex> lock(chapter_->shared_->latency_mu);
          auto& all = chapter_->shared_->latencies_ms;
          all.insert(all.end(), latencies.begin(), latencies.end());
        }
        chapter_->shared_->acked.Add(newly);
      }
      StartRead(&ack_);
    }

    void OnDone(const grpc::Status& status) override {
      // Before the shutdown cancels it, a stream that ends is a failure, whatever its code.
      if (!chapter_->shared_->shutting_down) {
        chapter_->shared_->Fail(absl::StrCat("push ended with code ", status.error_code(), ": ",
                                             status.error_message()));
      }
      done.Add();
    }

    Tally done;

   private:
    // One write at a time (the reactor's rule), at most `window_` unacknowledged. A batch
    // counts as written from StartWrite on: its ack may be read before OnWriteDone runs.
    void MaybeWriteLocked() {
      if (!started_ || writing_ || written_ >= due_count_ || written_ - acked_ >= window_) return;
      writing_ = true;
      StartWrite(&chapter_->batches_[written_++]);
    }

    Chapter* chapter_;
    const size_t window_;
    std::mutex mu_;
    v1::PushAck ack_;
    bool started_ = false;
    bool writing_ = false;
    size_t due_count_ = 0;
    size_t written_ = 0;
    size_t acked_ = 0;
  };

  class PullStream : public grpc::ClientReadReactor<v1::Batch> {
   public:
    explicit PullStream(Chapter* chapter) : chapter_(chapter) {}
    void Begin() {
      StartRead(&batch_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      chapter_->shared_->pulled_records += static_cast<size_t>(batch_.records_size());
      if (!first_) {
        first_ = true;
        chapter_->shared_->connected.Add();
      }
      StartRead(&batch_);
    }
    void OnDone(const grpc::Status& status) override {
      if (!chapter_->shared_->shutting_down) {
        chapter_->shared_->Fail(absl::StrCat("pull ended with code ", status.error_code(), ": ",
                                             status.error_message()));
      }
      done.Add();
    }
    Tally done;

   private:
    Chapter* chapter_;
    v1::Batch batch_;
    bool first_ = false;
  };

  Shared* shared_;
  ldgs::record::NodeKey key_;
  std::vector<v1::Batch> batches_;
  std::vector<Clock::time_point> due_;  // when each batch became due
  std::unique_ptr<v1::Replication::Stub> stub_;
  grpc::ClientContext hello_context_;
  v1::HelloRequest hello_request_;
  v1::HelloResponse hello_response_;
  grpc::ClientContext pull_context_;
  v1::PullRequest pull_request_;
  grpc::ClientContext push_context_;
  PushStream push_;
  PullStream pull_;
};

void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// `n` chapters' keys, enrolled on the hub (on two threads), each with `batches` batches of
// `batch` records signed ahead.
std::vector<std::unique_ptr<Chapter>> MakeChapters(Shared* shared, const NodeProcess& hub, int n,
                                                   size_t batches, size_t batch, size_t window) {
  std::vector<std::unique_ptr<Chapter>> chapters(n);
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
    pool.emplace_back([&] {
      auto admin = hub.AdminStub();
      for (int i = next++; i < n; i = next++) {
        ldgs::record::NodeKey key = ldgs::record::NodeKey::Generate();
        v1::EnrollRequest request;
        request.set_node_id(key.node_id());
        request.set_region(absl::StrCat("region-", i % 20));
        grpc::ClientContext context;
        hub.Authorize(&context);
        v1::Enrollment enrollment;
        if (!admin->Enroll(&context, request, &enrollment).ok()) ++errors;
        std::vector<v1::Batch> signed_batches(batches);
        uint64_t seq = 0;
        for (v1::Batch& b : signed_batches) {
          for (size_t r = 0; r < batch; ++r) b.add_records(SealStory(key, ++seq));
          b.set_up_to(seq);
        }
        for (v1::Batch& b : signed_batches) b.set_head(seq);
        chapters[i] =
            std::make_unique<Chapter>(shared, i, std::move(key), std::move(signed_batches), window);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  if (errors > 0) Die(absl::StrCat(errors.load(), " enrollments failed"));
  Result("enroll_and_sign", n / Seconds(start), "chapters/s");
  return chapters;
}

// Hello from every chapter, at most 256 unanswered at once, then waits until every Pull
// has delivered its first batch.
void ConnectAll(Shared* shared, std::vector<std::unique_ptr<Chapter>>& chapters) {
  std::mutex mu;
  std::condition_variable answered;
  int in_flight = 0;
  const auto start = Clock::now();
  for (auto& chapter : chapters) {
    {
      std::unique_lock<std::mutex> lock(mu);
      answered.wait(lock, [&] { return in_flight < 256; });
      ++in_flight;
    }
    chapter->Connect([&] {
      std::lock_guard<std::mutex> lock(mu);
      --in_flight;
      answered.notify_all();
    });
  }
  if (!shared->connected.WaitFor(chapters.size(), 600) || shared->failed.count() > 0) {
    Die(absl::StrCat("only ", shared->connected.count(), " of ", chapters.size(),
                     " chapters connected: ", shared->first_error));
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    answered.wait(lock, [&] { return in_flight == 0; });
  }
  Result("connect_all", Seconds(start), "s");
}

std::vector<double> TakeLatencies(Shared* shared) {
  std::lock_guard<std::mutex> lock(shared->latency_mu);
  return std::exchange(shared->latencies_ms, {});
}

void Shutdown(Shared* shared, std::vector<std::unique_ptr<Chapter>>& chapters) {
  shared->shutting_down = true;
  for (auto& chapter : chapters) chapter->Cancel();
  for (auto& chapter : chapters) {
    if (!chapter->WaitDone(60)) Die("a stream did not end after its cancel");
  }
}

int RunFanIn(int n, size_t batch, double steady_s, double rate) {
  RaiseDescriptorLimit();
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Fan-in hub", "hub", "bench");
  if (!hub.Start()) Die("hub did not start");
  const size_t steady_batches = static_cast<size_t>(steady_s * rate / static_cast<double>(batch));
  const size_t per_chapter = 1 + (steady_batches + n - 1) / n;
  Shared shared;
  shared.hub_address = hub.listen_address();
  std::vector<std::unique_ptr<Chapter>> chapters =
      MakeChapters(&shared, hub, n, per_chapter, batch, 4);
  const ProcessUse idle = UseOf(hub.pid());
  ConnectAll(&shared, chapters);
  const ProcessUse connected = UseOf(hub.pid());
  Result("hub_rss_connected", connected.rss_mb, "MB");
  Result("hub_cpu_per_connect", (connected.cpu_s - idle.cpu_s) * 1e3 / n, "ms");

  // The wave: every chapter pushes one batch at once.
  auto start = Clock::now();
  for (auto& chapter : chapters) chapter->Due(1);
  if (!shared.acked.WaitFor(chapters.size(), 900) || shared.failed.count() > 0) {
    Die(absl::StrCat("the wave was not acknowledged: ", shared.acked.count(), " of ", n, " ",
                     shared.first_error));
  }
  const double wave_s = Seconds(start);
  std::vector<double> wave = TakeLatencies(&shared);
  Result("wave_rate", static_cast<double>(n * batch) / wave_s, "rec/s");
  Result("wave_ack_p50", Percentile(wave, 0.5), "ms");
  Result("wave_ack_p99", Percentile(wave, 0.99), "ms");
  const ProcessUse after_wave = UseOf(hub.pid());

  // The steady phase: batches due at a fixed pace (an open loop: a slow hub does not slow
  // the load down), from each chapter in turn in a shuffled order.
  std::vector<size_t> order(chapters.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  const double interval_s = static_cast<double>(batch) / rate;
  start = Clock::now();
  for (size_t i = 0; i < steady_batches; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(interval_s * i)));
    chapters[order[i % order.size()]]->Due(1);
  }
  if (!shared.acked.WaitFor(chapters.size() + steady_batches, 900) || shared.failed.count() > 0) {
    Die(absl::StrCat("the steady phase was not acknowledged: ", shared.acked.count(), " of ",
                     chapters.size() + steady_batches, " batches ", shared.first_error));
  }
  const double steady_elapsed = Seconds(start);
  std::vector<double> steady = TakeLatencies(&shared);
  const ProcessUse after_steady = UseOf(hub.pid());
  Result("steady_rate", static_cast<double>(steady_batches * batch) / steady_elapsed, "rec/s");
  Result("steady_ack_p50", Percentile(steady, 0.5), "ms");
  Result("steady_ack_p99", Percentile(steady, 0.99), "ms");
  Result(
      "steady_hub_cpu_per_record",
      (after_steady.cpu_s - after_wave.cpu_s) * 1e6 / static_cast<double>(steady_batches * batch),
      "us");
  Result("hub_rss", after_steady.rss_mb, "MB");
  Result("hub_peak_rss", after_steady.peak_rss_mb, "MB");
  Result("pulled_records", static_cast<double>(shared.pulled_records.load()), "");
  Shutdown(&shared, chapters);
  return 0;
}

int RunReplay(int c, int n) {
  RaiseDescriptorLimit();
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Replay hub", "hub", "bench");
  if (!hub.Start()) Die("hub did not start");
  constexpr size_t kBatch = 500;
  const size_t batches = (static_cast<size_t>(n / c) + kBatch - 1) / kBatch;
  Shared shared;
  shared.hub_address = hub.listen_address();
  std::vector<std::unique_ptr<Chapter>> chapters =
      MakeChapters(&shared, hub, c, batches, kBatch, 4);
  ConnectAll(&shared, chapters);
  const ProcessUse before = UseOf(hub.pid());
  const auto start = Clock::now();
  for (auto& chapter : chapters) chapter->Due(batches);
  if (!shared.acked.WaitFor(batches * c, 1800) || shared.failed.count() > 0) {
    Die(absl::StrCat("the replay was not acknowledged: ", shared.acked.count(), " of ", batches * c,
                     " batches ", shared.first_error));
  }
  const double elapsed = Seconds(start);
  const ProcessUse after = UseOf(hub.pid());
  const double records = static_cast<double>(batches * kBatch * c);
  Result("replay_rate", records / elapsed, "rec/s");
  Result("replay_hub_cpu_per_record", (after.cpu_s - before.cpu_s) * 1e6 / records, "us");
  Result("replay_hub_rss", after.rss_mb, "MB");
  Shutdown(&shared, chapters);
  return 0;
}

double Flag(const std::vector<std::string>& args, const std::string& name, double fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) return std::strtod(args[i + 1].c_str(), nullptr);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "fanin") {
    const int n = std::atoi(args[1].c_str());
    const double batch = Flag(args, "--batch", 10);
    const double steady_s = Flag(args, "--steady-seconds", 30);
    const double rate = Flag(args, "--rate", 5000);
    if (n <= 0 || n > 20000 || batch < 1 || batch > 500 || steady_s < 0 || rate <= 0) {
      Die("fanin N must be 1..20000, --batch 1..500, --rate > 0");
    }
    return RunFanIn(n, static_cast<size_t>(batch), steady_s, rate);
  }
  if (args.size() == 3 && args[0] == "replay") {
    const int c = std::atoi(args[1].c_str());
    const int n = std::atoi(args[2].c_str());
    if (c <= 0 || c > 64 || n < c * 500 || n > 20000000) Die("replay C (1..64) N (>= 500 C)");
    return RunReplay(c, n);
  }
  std::fprintf(stderr,
               "usage: fanin_bench fanin N [--batch K] [--steady-seconds S] [--rate R] | "
               "replay C N\n");
  return 2;
}
