#include "daemon/node_metrics.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/clock.h"
#include "daemon/http/prometheus_text.h"
#include "record/kind.h"
#include "storage/db_stats.h"

namespace ldgs::daemon {
namespace {

constexpr int64_t kRecountAfterUs = 60LL * 1000000;

// "VISIBILITY_HUB" -> "hub", "RELATION_MEMBER_HUB" -> "member_hub".
std::string LowerSuffix(const std::string& name, std::string_view prefix) {
  std::string out = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

double Seconds(int64_t us) { return static_cast<double>(us) / 1e6; }

}  // namespace

NodeMetrics::NodeMetrics(Sources sources) : sources_(std::move(sources)) {}

const NodeMetrics::Counts& NodeMetrics::CountsLocked() {
  const int64_t now = NowMicros();
  if (counts_.counted_us != 0 && now - counts_.counted_us < kRecountAfterUs) return counts_;
  Counts counts;
  counts.status = sources_.records->Scan(
      storage::ListFilter(), [&](const storage::StoredEntry& entry, std::string_view) {
        ++counts.by_kind[{entry.record.kind(), entry.record.visibility()}];
        if (entry.record.kind() == v1::KIND_ROLLUP && entry.record.origin() == sources_.node_id) {
          ++counts.own_rollups;
        }
        return true;
      });
  // Stamped when done: a scan slower than the interval does not run again at once.
  counts.counted_us = NowMicros();
  counts_ = std::move(counts);
  return counts_;
}

std::string NodeMetrics::Render() {
  http::PrometheusText out;
  const int64_t now = NowMicros();
  out.Family("ldgs_info", "gauge", "This node: its ID, role and ldgsd version (always 1).");
  out.Sample({{"node_id", sources_.node_id},
              {"role", sources_.is_hub ? "hub" : "chapter"},
              {"version", sources_.version}},
             1);
  out.Family("ldgs_start_time_seconds", "gauge", "When this ldgsd started (Unix time).");
  out.Sample(Seconds(sources_.started_us));
  out.Family("ldgs_feed_head", "gauge", "The last sequence of this node's change feed.");
  out.Sample(static_cast<double>(sources_.records->LastSequence()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Counts& counts = CountsLocked();
    out.Family("ldgs_records", "gauge",
               "Records held (deleted ones left out), by kind and visibility (counted at most "
               "once a minute).");
    for (const auto& [key, count] : counts.by_kind) {
      out.Sample(
          {{"kind", std::string(record::KindName(std::get<0>(key)))},
           {"visibility", LowerSuffix(v1::Visibility_Name(std::get<1>(key)), "VISIBILITY_")}},
          static_cast<double>(count));
    }
    out.Family("ldgs_records_count_age_seconds", "gauge", "How old the record count is.");
    out.Sample(Seconds(std::max<int64_t>(0, now - counts.counted_us)));
    out.Family("ldgs_records_count_ok", "gauge", "Whether the last count read the whole store.");
    out.Sample(counts.status.ok() ? 1 : 0);
    if (sources_.is_hub) {
      out.Family("ldgs_rollups_published", "gauge",
                 "Rollup records this hub has computed and published.");
      out.Sample(static_cast<double>(counts.own_rollups));
    }
  }

  // Peers: the peers view for relation and lag, the registry for the counters.
  absl::StatusOr<v1::ListPeersResponse> listed = sources_.peers();
  // One row per peer: a node both dialed and enrolled (a hub this node also revoked, say)
  // is listed twice by the peers view; a page must not repeat a sample.
  absl::StatusOr<v1::ListPeersResponse> peers = listed;
  if (listed.ok()) {
    std::map<std::string, v1::PeerStatus> merged;
    for (const v1::PeerStatus& p : listed->peers()) {
      auto [it, fresh] = merged.emplace(p.node_id(), p);
      if (fresh) continue;
      v1::PeerStatus& m = it->second;
      m.set_connected(m.connected() || p.connected());
      m.set_revoked(m.revoked() || p.revoked());
      if (m.throttled().empty()) m.set_throttled(p.throttled());
      m.set_outbound_behind(std::max(m.outbound_behind(), p.outbound_behind()));
      m.set_inbound_behind(std::max(m.inbound_behind(), p.inbound_behind()));
      m.set_last_sync_us(std::max(m.last_sync_us(), p.last_sync_us()));
    }
    peers->clear_peers();
    for (auto& [id, p] : merged) *peers->add_peers() = std::move(p);
  }
  const std::map<std::string, replication::PeerRegistry::State> states =
      sources_.registry->Snapshot();
  std::map<std::string, std::string> relation;
  if (peers.ok()) {
    for (const v1::PeerStatus& p : peers->peers()) {
      relation[p.node_id()] = LowerSuffix(v1::Relation_Name(p.relation()), "RELATION_");
    }
  }
  auto labels = [&](const std::string& id) -> http::PrometheusText::Labels {
    auto it = relation.find(id);
    return {{"peer", id}, {"relation", it == relation.end() ? "unknown" : it->second}};
  };
  out.Family("ldgs_peers_ok", "gauge", "Whether the peers view could be read.");
  out.Sample(peers.ok() ? 1 : 0);
  if (peers.ok()) {
    out.Family("ldgs_peer_connected", "gauge", "Whether a session or stream with the peer is up.");
    for (const v1::PeerStatus& p : peers->peers()) out.Sample(labels(p.node_id()), p.connected());
    out.Family("ldgs_peer_outbound_behind", "gauge",
               "Feed sequences this node has still to send the peer (an upper bound on records).");
    for (const v1::PeerStatus& p : peers->peers()) {
      out.Sample(labels(p.node_id()), static_cast<double>(p.outbound_behind()));
    }
    out.Family("ldgs_peer_inbound_behind", "gauge",
               "Feed sequences of the peer's this node has still to receive.");
    for (const v1::PeerStatus& p : peers->peers()) {
      out.Sample(labels(p.node_id()), static_cast<double>(p.inbound_behind()));
    }
    out.Family("ldgs_peer_last_sync_timestamp_seconds", "gauge",
               "When a batch last went to or came from the peer (Unix time; 0: never).");
    for (const v1::PeerStatus& p : peers->peers()) {
      out.Sample(labels(p.node_id()), Seconds(p.last_sync_us()));
    }
    out.Family("ldgs_peer_revoked", "gauge", "Whether this node revoked the peer.");
    for (const v1::PeerStatus& p : peers->peers()) out.Sample(labels(p.node_id()), p.revoked());
    out.Family("ldgs_peer_throttled", "gauge", "Whether pushes are held back by a rate limit.");
    for (const v1::PeerStatus& p : peers->peers()) {
      out.Sample(labels(p.node_id()), !p.throttled().empty());
    }
  }
  out.Family("ldgs_peer_batches_received_total", "counter",
             "Batches received from the peer and applied.");
  for (const auto& [id, s] : states) {
    out.Sample(labels(id), static_cast<double>(s.batches_received));
  }
  out.Family("ldgs_peer_records_received_total", "counter",
             "Records in the batches received from the peer, refused ones included.");
  for (const auto& [id, s] : states) {
    out.Sample(labels(id), static_cast<double>(s.records_received));
  }
  out.Family("ldgs_peer_records_refused_total", "counter",
             "Records from the peer skipped: they did not parse, verify or validate, or the peer "
             "may not send them.");
  for (const auto& [id, s] : states) out.Sample(labels(id), static_cast<double>(s.refused));
  out.Family("ldgs_peer_forks_total", "counter",
             "Records from the peer refused as forks (two versions signed with one number).");
  for (const auto& [id, s] : states) out.Sample(labels(id), static_cast<double>(s.forks));
  out.Family(
      "ldgs_peer_errors_total", "counter",
      "Errors with the peer by kind (the status code: unavailable, permission_denied, ...).");
  for (const auto& [id, s] : states) {
    for (const auto& [kind, count] : s.errors) {
      http::PrometheusText::Labels with_kind = labels(id);
      with_kind.emplace_back("kind", kind);
      out.Sample(with_kind, static_cast<double>(count));
    }
  }

  const storage::DbStats db = storage::ReadDbStats(*sources_.db);
  out.Family("ldgs_rocksdb_memtable_bytes", "gauge", "Bytes in memtables, every column family.");
  out.Sample(static_cast<double>(db.memtable_bytes));
  out.Family("ldgs_rocksdb_block_cache_bytes", "gauge", "Bytes in the shared block cache.");
  out.Sample(static_cast<double>(db.block_cache_bytes));
  out.Family("ldgs_rocksdb_sst_bytes", "gauge", "Bytes of SST files.");
  out.Sample(static_cast<double>(db.sst_bytes));
  out.Family("ldgs_rocksdb_pending_compaction_bytes", "gauge",
             "Bytes RocksDB estimates compaction has still to rewrite.");
  out.Sample(static_cast<double>(db.pending_compaction_bytes));
  out.Family("ldgs_rocksdb_running_compactions", "gauge", "Compactions running.");
  out.Sample(static_cast<double>(db.running_compactions));
  out.Family("ldgs_rocksdb_running_flushes", "gauge", "Flushes running.");
  out.Sample(static_cast<double>(db.running_flushes));
  out.Family("ldgs_rocksdb_write_stopped", "gauge", "Whether RocksDB stopped writes (a stall).");
  out.Sample(db.writes_stopped);
  out.Family("ldgs_rocksdb_delayed_write_rate_bytes", "gauge",
             "The write rate RocksDB slows writes to; 0 when it does not.");
  out.Sample(static_cast<double>(db.delayed_write_rate));
  out.Family("ldgs_rocksdb_background_errors_total", "counter", "RocksDB background errors.");
  out.Sample(static_cast<double>(db.background_errors));
  return out.text();
}

}  // namespace ldgs::daemon
