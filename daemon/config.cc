#include "daemon/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/status_macros.h"
#include "daemon/files.h"
#include "daemon/http/http_server.h"
#include "daemon/replication/session_terms.h"
#include "record/node_key.h"
#include "toml++/toml.h"

namespace ldgs::daemon {
namespace {

const std::set<std::string> kTopLevelKeys = {
    "data_dir",    "role",  "admin_listen", "listen", "http_listen", "log_level", "limits",
    "replication", "peers", "hub",          "tls",    "insecure",    "storage"};

template <typename T>
absl::Status Read(const toml::table& table, const std::string& key, T* out,
                  const std::string& where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  std::optional<T> value = node->value<T>();
  if (!value) {
    return absl::InvalidArgumentError(where + ": '" + key + "' has the wrong type");
  }
  *out = *value;
  return absl::OkStatus();
}

absl::Status ReadSize(const toml::table& table, const std::string& key, size_t* out,
                      const std::string& where) {
  int64_t value = static_cast<int64_t>(*out);
  LDGS_RETURN_IF_ERROR(Read(table, key, &value, where));
  if (value <= 0) return absl::InvalidArgumentError(where + ": '" + key + "' must be positive");
  *out = static_cast<size_t>(value);
  return absl::OkStatus();
}

// A TOML basic string holding `text` exactly (quotes, backslashes and control characters
// escaped), so that nothing a caller passes can add a key to the file.
std::string TomlString(const std::string& text) {
  std::ostringstream out;
  out << toml::value<std::string>(text);
  return out.str();
}

bool IsLoopback(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) return true;
  return address.rfind("127.", 0) == 0 || address.rfind("[::1]:", 0) == 0 ||
         address.rfind("localhost:", 0) == 0;
}

}  // namespace

absl::StatusOr<v1::Role> ParseRole(const std::string& text) {
  if (text == "chapter") return v1::ROLE_CHAPTER;
  if (text == "hub") return v1::ROLE_HUB;
  return absl::InvalidArgumentError("role must be 'chapter' or 'hub', not '" + text + "'");
}

std::string RoleName(v1::Role role) { return role == v1::ROLE_HUB ? "hub" : "chapter"; }

absl::StatusOr<NodeConfig> LoadConfig(const std::string& path) {
  if (!std::filesystem::exists(path)) return absl::NotFoundError("no config file at " + path);
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    std::ostringstream message;
    message << path << ":" << error.source().begin.line << ": " << error.description();
    return absl::InvalidArgumentError(message.str());
  }
  for (const auto& [key, value] : table) {
    if (!kTopLevelKeys.count(std::string(key.str()))) {
      return absl::InvalidArgumentError(path + ": unknown key '" + std::string(key.str()) + "'");
    }
  }
  NodeConfig config;
  std::string role = RoleName(config.role);
  LDGS_RETURN_IF_ERROR(Read(table, "data_dir", &config.data_dir, path));
  LDGS_RETURN_IF_ERROR(Read(table, "role", &role, path));
  LDGS_RETURN_IF_ERROR(Read(table, "admin_listen", &config.admin_listen, path));
  LDGS_RETURN_IF_ERROR(Read(table, "listen", &config.listen, path));
  LDGS_RETURN_IF_ERROR(Read(table, "http_listen", &config.http_listen, path));
  LDGS_RETURN_IF_ERROR(Read(table, "log_level", &config.log_level, path));
  LDGS_ASSIGN_OR_RETURN(config.role, ParseRole(role));
  if (const toml::table* limits = table["limits"].as_table()) {
    const std::string where = path + " [limits]";
    record::RecordLimits& l = config.limits;
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_record_bytes", &l.max_record_bytes, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_id_bytes", &l.max_id_bytes, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_short_text_bytes", &l.max_short_text_bytes, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_long_text_bytes", &l.max_long_text_bytes, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_tags", &l.max_tags, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "max_tag_bytes", &l.max_tag_bytes, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*limits, "min_free_disk_bytes", &l.min_free_disk_bytes, where));
  }
  if (const toml::table* replication = table["replication"].as_table()) {
    const std::string where = path + " [replication]";
    replication::BatchLimits& b = config.batch_limits;
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "batch_records", &b.max_records, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "batch_bytes", &b.max_bytes, where));
    if (b.max_records < replication::kMinBatchRecords) {
      return absl::InvalidArgumentError(where + ": 'batch_records' must be at least " +
                                        std::to_string(replication::kMinBatchRecords));
    }
    if (b.max_bytes < replication::kMinBatchBytes) {
      return absl::InvalidArgumentError(where + ": 'batch_bytes' must be at least " +
                                        std::to_string(replication::kMinBatchBytes));
    }
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "max_message_bytes", &b.max_message_bytes, where));
    LDGS_RETURN_IF_ERROR(
        ReadSize(*replication, "max_streams_per_peer", &b.max_streams_per_peer, where));
    LDGS_RETURN_IF_ERROR(
        ReadSize(*replication, "max_records_per_minute", &b.max_records_per_minute, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "burst_records", &b.burst_records, where));
    size_t initial_ms = static_cast<size_t>(config.reconnect.initial.count());
    size_t max_ms = static_cast<size_t>(config.reconnect.max.count());
    size_t lifetime_s = static_cast<size_t>(config.reconnect.stream_lifetime.count());
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "reconnect_initial_ms", &initial_ms, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "reconnect_max_ms", &max_ms, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*replication, "stream_lifetime_s", &lifetime_s, where));
    config.reconnect.initial = std::chrono::milliseconds(initial_ms);
    config.reconnect.max = std::chrono::milliseconds(max_ms);
    config.reconnect.stream_lifetime = std::chrono::seconds(lifetime_s);
  }
  LDGS_RETURN_IF_ERROR(Read(table, "insecure", &config.insecure, path));
  if (const toml::table* store = table["storage"].as_table()) {
    const std::string where = path + " [storage]";
    size_t purge_s = static_cast<size_t>(config.purge_interval.count());
    LDGS_RETURN_IF_ERROR(ReadSize(*store, "purge_interval_s", &purge_s, where));
    if (purge_s > 7 * 24 * 3600) {
      return absl::InvalidArgumentError(where + ": 'purge_interval_s' must be 1 to 604800");
    }
    config.purge_interval = std::chrono::seconds(purge_s);
    LDGS_RETURN_IF_ERROR(Read(*store, "compress", &config.store.compress, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*store, "memory_mb", &config.store.memory_mb, where));
    if (config.store.memory_mb < 16 || config.store.memory_mb > 1024 * 1024) {
      return absl::InvalidArgumentError(where + ": 'memory_mb' must be 16 to 1048576");
    }
  }
  if (const toml::table* tls = table["tls"].as_table()) {
    const std::string where = path + " [tls]";
    LDGS_RETURN_IF_ERROR(Read(*tls, "ca", &config.tls_ca, where));
    LDGS_RETURN_IF_ERROR(Read(*tls, "cert", &config.tls_cert, where));
    LDGS_RETURN_IF_ERROR(Read(*tls, "key", &config.tls_key, where));
  }
  if (const toml::table* hub = table["hub"].as_table()) {
    const std::string where = path + " [hub]";
    size_t min_reporting = config.rollups.min_reporting;
    size_t suppress_below = static_cast<size_t>(config.rollups.suppress_below);
    int64_t delay_hours = config.rollups.publish_delay_us / (3600LL * 1000000);
    LDGS_RETURN_IF_ERROR(ReadSize(*hub, "min_reporting", &min_reporting, where));
    LDGS_RETURN_IF_ERROR(ReadSize(*hub, "suppress_below", &suppress_below, where));
    LDGS_RETURN_IF_ERROR(Read(*hub, "publish_delay_hours", &delay_hours, where));
    // 3 is the floor: with 2, each of the two learns the other's value by subtraction.
    if (min_reporting < 3) {
      return absl::InvalidArgumentError(where + ": 'min_reporting' must be at least 3");
    }
    if (delay_hours < 0 || delay_hours > 24 * 366) {
      return absl::InvalidArgumentError(where + ": 'publish_delay_hours' must be 0 to 8784");
    }
    config.rollups.min_reporting = static_cast<uint32_t>(min_reporting);
    config.rollups.suppress_below = static_cast<double>(suppress_below);
    config.rollups.publish_delay_us = delay_hours * 3600LL * 1000000;
  }
  if (const toml::node* peers = table.get("peers")) {
    const toml::array* list = peers->as_array();
    if (list == nullptr)
      return absl::InvalidArgumentError(path + ": 'peers' must be [[peers]] tables");
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = path + " peers[" + std::to_string(i) + "]";
      const toml::table* entry = list->get(i)->as_table();
      if (entry == nullptr) return absl::InvalidArgumentError(where + " is not a table");
      replication::DialPeer peer;
      std::string relation = "hub";
      LDGS_RETURN_IF_ERROR(Read(*entry, "node_id", &peer.node_id, where));
      LDGS_RETURN_IF_ERROR(Read(*entry, "address", &peer.address, where));
      LDGS_RETURN_IF_ERROR(Read(*entry, "relation", &relation, where));
      if (relation == "hub") {
        peer.relation = v1::RELATION_HUB;
      } else if (relation == "sister") {
        peer.relation = v1::RELATION_SISTER;
      } else {
        return absl::InvalidArgumentError(where + ": relation must be 'hub' or 'sister'");
      }
      if (peer.node_id.empty() || peer.address.empty()) {
        return absl::InvalidArgumentError(where + " needs node_id and address");
      }
      config.peers.push_back(std::move(peer));
    }
  }
  return config;
}

std::string FormatConfig(const NodeConfig& config) {
  toml::table table{{"data_dir", config.data_dir},         {"role", RoleName(config.role)},
                    {"admin_listen", config.admin_listen}, {"listen", config.listen},
                    {"http_listen", config.http_listen},   {"log_level", config.log_level}};
  std::ostringstream out;
  out << "# ldgsd configuration. Command-line flags override these values.\n" << table << "\n";
  return out.str();
}

absl::Status SetConfigDataDir(const std::string& path, const std::string& data_dir) {
  LDGS_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  std::istringstream in(text);
  std::string rewritten;
  for (std::string line; std::getline(in, line);) {
    rewritten += (line.rfind("data_dir", 0) == 0 ? "data_dir = " + TomlString(data_dir) : line);
    rewritten += "\n";
  }
  return WriteFileAtomically(path, rewritten, 0644);
}

absl::Status AppendPeerToConfig(const std::string& path, const replication::DialPeer& peer) {
  // The whole file is rewritten atomically: a full disk leaves the old config, never half a
  // table that would stop the next start.
  LDGS_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  std::ostringstream added;
  added << "\n[[peers]]\nnode_id = " << TomlString(peer.node_id)
        << "\naddress = " << TomlString(peer.address) << "\nrelation = \""
        << (peer.relation == v1::RELATION_SISTER ? "sister" : "hub") << "\"\n";
  return WriteFileAtomically(path, text + added.str(), 0644);
}

absl::Status ValidateConfig(const NodeConfig& config) {
  if (config.data_dir.empty()) return absl::InvalidArgumentError("data_dir is not set");
  if (!IsLoopback(config.admin_listen)) {
    return absl::InvalidArgumentError("admin_listen '" + config.admin_listen +
                                      "' must be a loopback address or unix:PATH");
  }
  if (!config.http_listen.empty()) {
    LDGS_RETURN_IF_ERROR(http::CheckListenAddress(config.http_listen));
  }
  if (!config.insecure &&
      (config.tls_ca.empty() || config.tls_cert.empty() || config.tls_key.empty())) {
    return absl::InvalidArgumentError(
        "node-to-node traffic needs [tls] ca, cert and key (ldgsctl ca issue makes them), or "
        "--insecure for plaintext");
  }
  for (const replication::DialPeer& peer : config.peers) {
    if (!record::IsNodeId(peer.node_id)) {
      return absl::InvalidArgumentError("peer node_id '" + peer.node_id + "' is not a node ID");
    }
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.count(config.log_level)) {
    return absl::InvalidArgumentError(
        "log_level must be one of trace, debug, info, warn, "
        "error, off");
  }
  return absl::OkStatus();
}

}  // namespace ldgs::daemon
