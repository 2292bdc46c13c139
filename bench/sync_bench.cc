// Replication and bulk-load benchmarks, one measurement per invocation; bench/run.sh runs
// each several times and writes the medians to bench/RESULTS.md. Every figure is printed
// as one line "RESULT name value unit" for the script to collect.
//
//   sync_bench docs N FILE      the benchmark's N documents as import lines (JSON, or CSV
//                               for FILE.csv), which the PouchDB peer (bench/peers) loads too
//   sync_bench ceilings N       Ed25519 verification on all cores and on one; RocksDB
//                               WriteBatch ingest of the same signed record bytes
//   sync_bench sync N [--plain] initial sync of N records, chapter to hub, real ldgsd
//                               processes, mutual TLS unless --plain
//   sync_bench import FILE      `ldgsctl import` of FILE into a fresh chapter
//   sync_bench rss N            RSS of a fresh idle chapter and of one holding N records
//   sync_bench reconnect [--plain]
//                               a chapter restarted with nothing new to sync, through a
//                               recording proxy: bytes each way and the dialer's round
//                               trips (plaintext: every HTTP/2 frame on stderr)
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "daemon/data_dir.h"
#include "google/protobuf/util/json_util.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

namespace {

using ldgs::bench::Clock;
using ldgs::bench::ProcessUse;
using ldgs::bench::Result;
using ldgs::bench::Seconds;
using ldgs::bench::UseOf;
using ldgs::testing::NodeProcess;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sync_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(what + ": " + value.status().ToString());
  return std::move(*value);
}

// The benchmark's documents: stories of about 300 bytes once signed, the same for ldgs and
// PouchDB (deterministic, so every run and both systems get the same bytes).
ldgs::v1::Record StoryBody(int i) {
  static const char* kWords[] = {"housing",  "youth",     "outreach", "shelter",   "families",
                                 "winter",   "coalition", "data",     "case",      "landlord",
                                 "veterans", "county",    "service",  "volunteer", "school"};
  std::mt19937 random(static_cast<uint32_t>(i));
  std::string text;
  while (text.size() < 110) {
    text += kWords[random() % 15];
    text += ' ';
  }
  ldgs::v1::Record body;
  body.mutable_story()->set_title(absl::StrCat("Story ", i, " of the benchmark"));
  body.mutable_story()->set_body(text);
  body.mutable_story()->add_tags(kWords[i % 15]);
  return body;
}

std::string StoryId(int i) { return absl::StrCat("story-", 1000000 + i); }

std::string ImportLine(int i) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(StoryBody(i).story(), &body);
  return absl::StrCat(R"({"kind":"story","visibility":"network","id":")", StoryId(i),
                      R"(","body":)", body, "}");
}

int ParseCount(const char* text) {
  const long n = std::strtol(text, nullptr, 10);
  if (n <= 0 || n > 20000000) Die("N must be 1..20000000");
  return static_cast<int>(n);
}

// The same story as a CSV row under the header "kind,id,visibility,title,body,tags".
std::string CsvRow(int i) {
  const ldgs::v1::Record body = StoryBody(i);
  return absl::StrCat("story,", StoryId(i), ",network,", body.story().title(), ",",
                      body.story().body(), ",", body.story().tags(0));
}

int RunDocs(int n, const std::string& path) {
  std::ofstream out(path);
  const bool csv = path.size() > 4 && path.substr(path.size() - 4) == ".csv";
  if (csv) out << "kind,id,visibility,title,body,tags\n";
  for (int i = 0; i < n; ++i) out << (csv ? CsvRow(i) : ImportLine(i)) << '\n';
  out.close();
  if (!out) Die("cannot write " + path);
  return 0;
}

std::vector<std::string> SealStories(int n, const ldgs::record::NodeKey& key) {
  std::vector<std::string> sealed;
  sealed.reserve(n);
  for (int i = 0; i < n; ++i) {
    ldgs::v1::Record r = StoryBody(i);
    r.set_origin(key.node_id());
    r.set_id(StoryId(i));
    r.set_version(static_cast<uint64_t>(i) + 1);
    r.set_kind(ldgs::v1::KIND_STORY);
    r.set_visibility(ldgs::v1::VISIBILITY_NETWORK);
    sealed.push_back(ldgs::record::SealRecord(r, key));
  }
  return sealed;
}

// Runs `unit(u)` for u in [0, units) on `threads` threads, each taking the next unit;
// returns `items` per second of the whole. Dies if a unit reports a failed check.
double RateOnThreads(size_t items, size_t units, int threads,
                     const std::function<bool(size_t)>& unit) {
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t u = next++; u < units; u = next++) {
        if (!unit(u)) ++failures;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  const double rate = static_cast<double>(items) / Seconds(start);
  if (failures > 0) Die("a signature did not verify");
  return rate;
}

// Verifies every record's signature over its payload on `threads` threads; returns rec/s.
double VerifyRate(const std::vector<std::string>& sealed, int threads) {
  std::vector<ldgs::v1::SignedRecord> parsed(sealed.size());
  for (size_t i = 0; i < sealed.size(); ++i) parsed[i].ParseFromString(sealed[i]);
  // Every record has the same origin; the ceiling is the curve arithmetic, not the decode.
  ldgs::v1::Record first;
  first.ParseFromString(parsed[0].payload());
  return RateOnThreads(parsed.size(), parsed.size(), threads, [&](size_t i) {
    return ldgs::record::VerifySignature(first.origin(), parsed[i].payload(),
                                         parsed[i].signature());
  });
}

// Signs n records' payloads on `threads` threads; returns rec/s.
double SignRate(int n, int threads) {
  ldgs::record::NodeKey key = ldgs::record::NodeKey::Generate();
  std::vector<std::string> payloads;
  for (int i = 0; i < n; ++i) payloads.push_back(StoryBody(i).SerializeAsString());
  return RateOnThreads(payloads.size(), payloads.size(), threads,
                       [&](size_t i) { return !key.Sign(payloads[i]).empty(); });
}

// The prototype of one origin signature over a batch manifest: per batch of 500, a BLAKE2b
// hash of each record's payload, checked against a manifest of the hashes whose one
// signature is verified. Returns rec/s on `threads` threads.
double ManifestVerifyRate(const std::vector<std::string>& sealed, const ldgs::record::NodeKey& key,
                          int threads) {
  constexpr size_t kBatch = 500;
  std::vector<ldgs::v1::SignedRecord> parsed(sealed.size());
  for (size_t i = 0; i < sealed.size(); ++i) parsed[i].ParseFromString(sealed[i]);
  auto manifest_of = [&](size_t first) {
    std::string manifest;
    for (size_t i = first; i < std::min(sealed.size(), first + kBatch); ++i) {
      unsigned char hash[32];
      const std::string& payload = parsed[i].payload();
      crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size(), nullptr, 0);
      manifest.append(reinterpret_cast<const char*>(hash), sizeof hash);
    }
    return manifest;
  };
  std::vector<std::string> signatures;  // made by the origin, once per batch
  for (size_t first = 0; first < sealed.size(); first += kBatch) {
    signatures.push_back(key.Sign(manifest_of(first)));
  }
  return RateOnThreads(sealed.size(), signatures.size(), threads, [&](size_t b) {
    return ldgs::record::VerifySignature(key.node_id(), manifest_of(b * kBatch), signatures[b]);
  });
}

int RunCeilings(int n) {
  if (sodium_init() < 0) Die("libsodium");
  ldgs::record::NodeKey key = ldgs::record::NodeKey::Generate();
  const std::vector<std::string> sealed = SealStories(n, key);
  size_t bytes = 0;
  for (const std::string& s : sealed) bytes += s.size();
  Result("record_bytes", static_cast<double>(bytes) / n, "B");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Result("cores", cores, "");
  Result("sign_all_cores", SignRate(n, cores), "rec/s");
  Result("verify_one_core", VerifyRate(sealed, 1), "rec/s");
  Result("verify_all_cores", VerifyRate(sealed, cores), "rec/s");
  Result("manifest_verify_all_cores", ManifestVerifyRate(sealed, key, cores), "rec/s");

  // RocksDB's own ingest of the same bytes: default options, synced WriteBatches of 500
  // records (the replication batch), one key per record.
  ldgs::testing::TempDir dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir.Sub("rocks"), &raw).ok()) Die("rocksdb open");
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  const auto start = Clock::now();
  for (size_t i = 0; i < sealed.size();) {
    rocksdb::WriteBatch batch;
    for (size_t end = std::min(sealed.size(), i + 500); i < end; ++i) {
      batch.Put(StoryId(static_cast<int>(i)), sealed[i]);
    }
    if (!db->Write(synced, &batch).ok()) Die("rocksdb write");
  }
  Result("rocksdb_writebatch_ingest", n / Seconds(start), "rec/s");
  return 0;
}

// Loads N stories into a stopped chapter's store as its own records, through the storage
// library (LocalWriter::PutMany, one synced batch per 1,000). Returns rec/s.
double Preload(const NodeProcess& chapter, int n) {
  ldgs::record::NodeKey key =
      Must(ldgs::record::NodeKey::Load(ldgs::daemon::KeyPath(chapter.data_dir())), "load key");
  auto storage = Must(ldgs::storage::Storage::Open(chapter.data_dir()), "open chapter store");
  ldgs::storage::LocalWriter writer(&storage->records(), &key, ldgs::record::RecordLimits());
  const auto start = Clock::now();
  for (int i = 0; i < n;) {
    std::vector<ldgs::storage::PutItem> items;
    for (int end = std::min(n, i + 1000); i < end; ++i) {
      items.push_back({StoryId(i), ldgs::v1::VISIBILITY_NETWORK, StoryBody(i)});
    }
    Must(writer.PutMany(std::move(items)), "preload");
  }
  return n / Seconds(start);
}

// Polls (with a deadline) the hub's view of `member` until it has received all of the
// member's feed. (Not GetStatus: it counts every record held, which would load the hub.)
bool WaitCaughtUp(const NodeProcess& hub, const NodeProcess& member, double timeout_s) {
  const auto start = Clock::now();
  bool behind = false;  // until the first batch arrives, nothing is known to be behind
  while (Seconds(start) < timeout_s) {
    std::optional<ldgs::v1::PeerStatus> seen = hub.PeerStatusOf(member.node_id());
    if (seen && seen->inbound_behind() > 0) behind = true;
    if (behind && seen && seen->inbound_behind() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int RunSync(int n, bool tls) {
  ldgs::testing::Federation fed({.tls = tls});
  NodeProcess& hub = fed.AddHub("Bench hub", "bench");
  NodeProcess& chapter = fed.AddChapter("Bench chapter", "bench", &hub);
  Result("preload_storage_library", Preload(chapter, n), "rec/s");
  if (!fed.StartNode(hub)) Die("hub did not start");
  const uint64_t hub_start = hub.LastSequence();
  const ProcessUse hub_before = UseOf(hub.pid());
  const auto start = Clock::now();
  if (!fed.StartNode(chapter)) Die("chapter did not start");
  if (!WaitCaughtUp(hub, chapter, 3600)) Die("the sync did not finish in an hour");
  const double elapsed = Seconds(start);
  // The chapter's profile and its N stories, each a new entry in the hub's feed.
  if (hub.LastSequence() < hub_start + n + 1) Die("the hub is missing records");
  const ProcessUse hub_after = UseOf(hub.pid());
  const ProcessUse chapter_after = UseOf(chapter.pid());
  const std::string mode = tls ? "mtls" : "plain";
  Result("sync_" + mode, n / elapsed, "rec/s");
  Result("sync_" + mode + "_hub_cpu_per_record", (hub_after.cpu_s - hub_before.cpu_s) * 1e6 / n,
         "us");
  Result("sync_" + mode + "_chapter_cpu_per_record", chapter_after.cpu_s * 1e6 / n, "us");
  Result("sync_" + mode + "_hub_rss", hub_after.rss_mb, "MB");
  Result("sync_" + mode + "_chapter_rss", chapter_after.rss_mb, "MB");
  return 0;
}

int RunImport(const std::string& file) {
  ldgs::testing::TempDir dir;
  NodeProcess chapter(dir.Sub("chapter"), "Import chapter");
  if (!chapter.Start()) Die("chapter did not start");
  std::ifstream in(file);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  const std::string format =
      file.size() > 4 && file.substr(file.size() - 4) == ".csv" ? "csv" : "jsonl";
  const int records = format == "csv" ? lines - 1 : lines;  // a CSV file has a header row
  const auto start = Clock::now();
  ldgs::testing::CommandResult imported = chapter.Ctl({"import", file});
  const double elapsed = Seconds(start);
  if (imported.exit_code != 0) Die("import failed: " + imported.err);
  Result("import_ldgsctl_" + format, records / elapsed, "rec/s");
  return 0;
}

int RunRss(int n) {
  ldgs::testing::TempDir dir;
  {
    NodeProcess idle(dir.Sub("idle"), "Idle chapter");
    if (!idle.Start()) Die("idle chapter did not start");
    std::this_thread::sleep_for(std::chrono::seconds(3));  // let start-up work settle
    Result("rss_idle_chapter", UseOf(idle.pid()).rss_mb, "MB");
  }
  NodeProcess full(dir.Sub("full"), "Full chapter");
  Preload(full, n);
  if (!full.Start()) Die("full chapter did not start");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let start-up work settle
  Result("rss_chapter_" + std::to_string(n), UseOf(full.pid()).rss_mb, "MB");
  return 0;
}

// What one connection carried, from the proxy's record of it. A flight is a run of chunks
// in one direction; each flight of the dialer's that carries calls is a round trip it waits
// for. In plaintext the HTTP/2 frames are read, to tell the calls' bytes (HEADERS, DATA,
// CONTINUATION, RST_STREAM) from the connection's own (the preface, SETTINGS, PING,
// WINDOW_UPDATE, GOAWAY) and to count only the flights that carry calls; over TLS every
// flight of the dialer's counts, the handshake's too.
struct Traffic {
  size_t up = 0, down = 0;            // every byte
  size_t call_up = 0, call_down = 0;  // the calls' frames (plaintext only)
  int dialer_flights = 0;             // carrying calls (plaintext), or all of them (TLS)
};

Traffic Measure(const std::vector<ldgs::testing::TcpProxy::Chunk>& chunks, int connection,
                bool parse_http2) {
  Traffic t;
  // Per direction: the frame parser's position and what it still needs of a frame.
  struct Parser {
    std::string pending;  // bytes not yet parsed into frames
    bool preface = false;
  } parsers[2];
  parsers[1].preface = true;  // the dialer's side starts with the 24-byte preface
  int last_direction = -1;
  bool flight_has_calls = false;
  auto close_flight = [&](int direction) {
    if (direction == 1 && (flight_has_calls || !parse_http2)) ++t.dialer_flights;
    flight_has_calls = false;
  };
  for (const auto& chunk : chunks) {
    if (chunk.connection != connection) continue;
    const int direction = chunk.up ? 1 : 0;
    if (direction != last_direction && last_direction != -1) close_flight(last_direction);
    last_direction = direction;
    (chunk.up ? t.up : t.down) += chunk.bytes.size();
    if (!parse_http2) continue;
    Parser& p = parsers[direction];
    p.pending += chunk.bytes;
    if (p.preface && p.pending.size() >= 24) {
      p.pending.erase(0, 24);
      p.preface = false;
    }
    while (!p.preface && p.pending.size() >= 9) {
      const auto* b = reinterpret_cast<const unsigned char*>(p.pending.data());
      const size_t length = (size_t{b[0]} << 16) | (size_t{b[1]} << 8) | b[2];
      if (p.pending.size() < 9 + length) break;
      const int type = b[3];
      const uint32_t stream =
          ((uint32_t{b[5]} & 0x7f) << 24) | (uint32_t{b[6]} << 16) | (uint32_t{b[7]} << 8) | b[8];
      // Where the bytes go, on stderr: direction, stream, frame type, size.
      std::fprintf(stderr, "frame %s stream %u type %d bytes %zu\n", chunk.up ? "up" : "down",
                   stream, type, 9 + length);
      if (type == 0 || type == 1 || type == 3 || type == 9) {
        (chunk.up ? t.call_up : t.call_down) += 9 + length;
        flight_has_calls = true;
      }
      p.pending.erase(0, 9 + length);
    }
  }
  if (last_direction != -1) close_flight(last_direction);
  return t;
}

// Syncs a chapter with a few records to its hub, stops it, then starts it again through a
// recording proxy: what the reconnect costs when there is nothing new either way.
int RunReconnect(bool tls) {
  ldgs::testing::Federation fed({.tls = tls});
  NodeProcess& hub = fed.AddHub("Bench hub", "bench");
  NodeProcess& chapter = fed.AddChapter("Bench chapter", "bench", &hub);
  Preload(chapter, 100);
  if (!fed.StartNode(hub)) Die("hub did not start");
  ldgs::testing::TcpProxy proxy(hub.listen_address());
  fed.DialThrough(chapter, hub, proxy.address());
  if (!fed.StartNode(chapter)) Die("chapter did not start");
  auto caught_up_since = [](int64_t since_us) {
    return [since_us](const ldgs::v1::PeerStatus& s) {
      return s.connected() && s.last_sync_us() >= since_us && s.inbound_behind() == 0 &&
             s.outbound_behind() == 0;
    };
  };
  // Caught up both ways, as each side sees it.
  if (!chapter.WaitForPeer(hub.node_id(), caught_up_since(0)) ||
      !hub.WaitForPeer(chapter.node_id(), caught_up_since(0))) {
    Die("the first sync did not finish");
  }
  if (chapter.Stop() != 0) Die("chapter did not stop cleanly");
  const int before = proxy.accepted();
  proxy.Record(true);
  const int64_t restarted_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  if (!chapter.Start()) Die("chapter did not restart");
  // Its Pull's first batch (which tells the head) has arrived: last_sync moves.
  if (!chapter.WaitForPeer(hub.node_id(), caught_up_since(restarted_us))) {
    Die("the restarted chapter did not reconnect");
  }
  if (!hub.WaitForPeer(chapter.node_id(), caught_up_since(restarted_us))) {
    Die("the hub did not see the reconnect");
  }
  proxy.Record(false);
  const std::vector<ldgs::testing::TcpProxy::Chunk> chunks = proxy.TakeRecorded();
  if (proxy.accepted() != before + 1) {
    Die("the reconnect opened " + std::to_string(proxy.accepted() - before) + " connections");
  }
  const Traffic t = Measure(chunks, before + 1, !tls);
  const std::string mode = tls ? "mtls" : "plain";
  Result("reconnect_" + mode + "_bytes_up", static_cast<double>(t.up), "B");
  Result("reconnect_" + mode + "_bytes_down", static_cast<double>(t.down), "B");
  Result("reconnect_" + mode + "_dialer_flights", t.dialer_flights, "flights");
  if (!tls) {
    Result("reconnect_plain_call_bytes_up", static_cast<double>(t.call_up), "B");
    Result("reconnect_plain_call_bytes_down", static_cast<double>(t.call_down), "B");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 3 && args[0] == "docs") return RunDocs(ParseCount(argv[2]), args[2]);
  if (args.size() == 2 && args[0] == "ceilings") return RunCeilings(ParseCount(argv[2]));
  if (args.size() >= 2 && args[0] == "sync") {
    return RunSync(ParseCount(argv[2]), !(args.size() == 3 && args[2] == "--plain"));
  }
  if (args.size() == 2 && args[0] == "import") return RunImport(args[1]);
  if (args.size() == 2 && args[0] == "rss") return RunRss(ParseCount(argv[2]));
  if (!args.empty() && args[0] == "reconnect") {
    return RunReconnect(!(args.size() == 2 && args[1] == "--plain"));
  }
  std::fprintf(stderr,
               "usage: sync_bench docs N FILE | ceilings N | sync N [--plain] | import FILE | "
               "rss N | reconnect [--plain]\n");
  return 2;
}
