#include "daemon/config.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "common/status_macros.h"
#include "common/text.h"
#include "daemon/config_section.h"
#include "daemon/files.h"
#include "daemon/http/http_server.h"
#include "daemon/replication/session_terms.h"
#include "record/node_key.h"
#include "toml++/toml.h"

namespace ldgs::daemon {
namespace {

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

namespace {

// The table at `key` of `parent`, as a section; nullopt when absent, an error when it is
// not a table.
absl::StatusOr<std::optional<ConfigSection>> SubSection(ConfigSection* parent, std::string_view key,
                                                        const std::string& path,
                                                        std::vector<std::string>* asked) {
  const toml::node* node = parent->Node(key);
  if (node == nullptr) return std::nullopt;
  const toml::table* table = node->as_table();
  if (table == nullptr) return parent->Error(key, "must be a [" + std::string(key) + "] table");
  return std::optional<ConfigSection>(std::in_place, *table, path, "[" + std::string(key) + "]",
                                      asked);
}

absl::Status ReadLimits(ConfigSection* limits, record::RecordLimits* l) {
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_record_bytes", &l->max_record_bytes));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_id_bytes", &l->max_id_bytes));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_short_text_bytes", &l->max_short_text_bytes));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_long_text_bytes", &l->max_long_text_bytes));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_tags", &l->max_tags));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("max_tag_bytes", &l->max_tag_bytes));
  LDGS_RETURN_IF_ERROR(limits->ReadSize("min_free_disk_bytes", &l->min_free_disk_bytes));
  return limits->RefuseUnknown();
}

absl::Status ReadReplication(ConfigSection* replication, NodeConfig* config) {
  replication::BatchLimits& b = config->batch_limits;
  LDGS_RETURN_IF_ERROR(replication->ReadSize("batch_records", &b.max_records));
  LDGS_RETURN_IF_ERROR(replication->ReadSize("batch_bytes", &b.max_bytes));
  if (b.max_records < replication::kMinBatchRecords) {
    return replication->Error("batch_records",
                              "must be at least " + std::to_string(replication::kMinBatchRecords));
  }
  if (b.max_bytes < replication::kMinBatchBytes) {
    return replication->Error("batch_bytes",
                              "must be at least " + std::to_string(replication::kMinBatchBytes));
  }
  LDGS_RETURN_IF_ERROR(replication->ReadSize("max_message_bytes", &b.max_message_bytes));
  // gRPC takes it as an int: past that it would wrap to no limit, or to none accepted.
  if (b.max_message_bytes > 1024 * 1024 * 1024) {
    return replication->Error("max_message_bytes", "must be at most 1073741824");
  }
  LDGS_RETURN_IF_ERROR(replication->ReadSize("max_streams_per_peer", &b.max_streams_per_peer));
  LDGS_RETURN_IF_ERROR(replication->ReadSize("max_records_per_minute", &b.max_records_per_minute));
  LDGS_RETURN_IF_ERROR(replication->ReadSize("burst_records", &b.burst_records));
  size_t initial_ms = static_cast<size_t>(config->reconnect.initial.count());
  size_t max_ms = static_cast<size_t>(config->reconnect.max.count());
  size_t lifetime_s = static_cast<size_t>(config->reconnect.stream_lifetime.count());
  LDGS_RETURN_IF_ERROR(replication->ReadSize("reconnect_initial_ms", &initial_ms));
  LDGS_RETURN_IF_ERROR(replication->ReadSize("reconnect_max_ms", &max_ms));
  LDGS_RETURN_IF_ERROR(replication->ReadSize("stream_lifetime_s", &lifetime_s));
  // Deadlines are computed from these: bounded so that now + them cannot overflow.
  if (initial_ms > 86400000)
    return replication->Error("reconnect_initial_ms", "must be at most 86400000");
  if (max_ms > 86400000) return replication->Error("reconnect_max_ms", "must be at most 86400000");
  if (lifetime_s > 31536000)
    return replication->Error("stream_lifetime_s", "must be at most 31536000");
  config->reconnect.initial = std::chrono::milliseconds(initial_ms);
  config->reconnect.max = std::chrono::milliseconds(max_ms);
  config->reconnect.stream_lifetime = std::chrono::seconds(lifetime_s);
  return replication->RefuseUnknown();
}

absl::Status ReadStorage(ConfigSection* store, NodeConfig* config) {
  size_t purge_s = static_cast<size_t>(config->purge_interval.count());
  LDGS_RETURN_IF_ERROR(store->ReadSize("purge_interval_s", &purge_s));
  if (purge_s > 7 * 24 * 3600) return store->Error("purge_interval_s", "must be 1 to 604800");
  config->purge_interval = std::chrono::seconds(purge_s);
  LDGS_RETURN_IF_ERROR(store->Read("compress", &config->store.compress));
  LDGS_RETURN_IF_ERROR(store->ReadSize("memory_mb", &config->store.memory_mb));
  if (config->store.memory_mb < 16 || config->store.memory_mb > 1024 * 1024) {
    return store->Error("memory_mb", "must be 16 to 1048576");
  }
  return store->RefuseUnknown();
}

absl::Status ReadTls(ConfigSection* tls, NodeConfig* config) {
  LDGS_RETURN_IF_ERROR(tls->Read("ca", &config->tls_ca));
  LDGS_RETURN_IF_ERROR(tls->Read("cert", &config->tls_cert));
  LDGS_RETURN_IF_ERROR(tls->Read("key", &config->tls_key));
  return tls->RefuseUnknown();
}

absl::Status ReadHub(ConfigSection* hub, hub::RollupSettings* rollups) {
  size_t min_reporting = rollups->min_reporting;
  size_t suppress_below = static_cast<size_t>(rollups->suppress_below);
  int64_t delay_hours = rollups->publish_delay_us / (3600LL * 1000000);
  LDGS_RETURN_IF_ERROR(hub->ReadSize("min_reporting", &min_reporting));
  LDGS_RETURN_IF_ERROR(hub->ReadSize("suppress_below", &suppress_below));
  LDGS_RETURN_IF_ERROR(hub->Read("publish_delay_hours", &delay_hours));
  // 3 is the floor: with 2, each of the two learns the other's value by subtraction.
  if (min_reporting < 3) return hub->Error("min_reporting", "must be at least 3");
  if (min_reporting > 1000000) return hub->Error("min_reporting", "must be at most 1000000");
  if (suppress_below > 1000000000) {
    return hub->Error("suppress_below", "must be at most 1000000000");
  }
  if (delay_hours < 0 || delay_hours > 24 * 366) {
    return hub->Error("publish_delay_hours", "must be 0 to 8784");
  }
  rollups->min_reporting = static_cast<uint32_t>(min_reporting);
  rollups->suppress_below = static_cast<double>(suppress_below);
  rollups->publish_delay_us = delay_hours * 3600LL * 1000000;
  return hub->RefuseUnknown();
}

absl::Status ReadPeers(ConfigSection* top, const std::string& path, std::vector<std::string>* asked,
                       std::vector<replication::DialPeer>* out) {
  const toml::node* peers = top->Node("peers");
  if (peers == nullptr) return absl::OkStatus();
  const toml::array* list = peers->as_array();
  if (list == nullptr) return top->Error("peers", "must be [[peers]] tables");
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* entry = list->get(i)->as_table();
    if (entry == nullptr) return top->Error("peers", "must be [[peers]] tables");
    ConfigSection section(*entry, path, "[[peers]] " + std::to_string(i + 1), asked);
    replication::DialPeer peer;
    std::string relation = "hub";
    LDGS_RETURN_IF_ERROR(section.Read("node_id", &peer.node_id));
    LDGS_RETURN_IF_ERROR(section.Read("address", &peer.address));
    LDGS_RETURN_IF_ERROR(section.Read("relation", &relation));
    if (relation == "hub") {
      peer.relation = v1::RELATION_HUB;
    } else if (relation == "sister") {
      peer.relation = v1::RELATION_SISTER;
    } else {
      return section.Error("relation", "must be 'hub' or 'sister'");
    }
    if (peer.node_id.empty() || peer.address.empty()) {
      return section.TableError("needs node_id and address");
    }
    LDGS_RETURN_IF_ERROR(section.RefuseUnknown());
    out->push_back(std::move(peer));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NodeConfig> LoadConfig(const std::string& path, std::vector<std::string>* asked) {
  if (!std::filesystem::exists(path)) return absl::NotFoundError("no config file at " + path);
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    std::ostringstream message;
    message << path << ":" << error.source().begin.line << ": " << error.description();
    return absl::InvalidArgumentError(message.str());
  }
  NodeConfig config;
  ConfigSection top(table, path, "", asked);
  std::string role = RoleName(config.role);
  LDGS_RETURN_IF_ERROR(top.Read("data_dir", &config.data_dir));
  LDGS_RETURN_IF_ERROR(top.Read("role", &role));
  LDGS_RETURN_IF_ERROR(top.Read("admin_listen", &config.admin_listen));
  LDGS_RETURN_IF_ERROR(top.Read("listen", &config.listen));
  LDGS_RETURN_IF_ERROR(top.Read("http_listen", &config.http_listen));
  LDGS_RETURN_IF_ERROR(top.Read("log_level", &config.log_level));
  LDGS_RETURN_IF_ERROR(top.Read("insecure", &config.insecure));
  absl::StatusOr<v1::Role> parsed_role = ParseRole(role);
  if (!parsed_role.ok()) return top.Error("role", "must be 'chapter' or 'hub', not '" + role + "'");
  config.role = *parsed_role;
  LDGS_ASSIGN_OR_RETURN(std::optional<ConfigSection> limits,
                        SubSection(&top, "limits", path, asked));
  if (limits) LDGS_RETURN_IF_ERROR(ReadLimits(&*limits, &config.limits));
  LDGS_ASSIGN_OR_RETURN(std::optional<ConfigSection> replication,
                        SubSection(&top, "replication", path, asked));
  if (replication) LDGS_RETURN_IF_ERROR(ReadReplication(&*replication, &config));
  LDGS_ASSIGN_OR_RETURN(std::optional<ConfigSection> store,
                        SubSection(&top, "storage", path, asked));
  if (store) LDGS_RETURN_IF_ERROR(ReadStorage(&*store, &config));
  LDGS_ASSIGN_OR_RETURN(std::optional<ConfigSection> tls, SubSection(&top, "tls", path, asked));
  if (tls) LDGS_RETURN_IF_ERROR(ReadTls(&*tls, &config));
  LDGS_ASSIGN_OR_RETURN(std::optional<ConfigSection> hub, SubSection(&top, "hub", path, asked));
  if (hub) LDGS_RETURN_IF_ERROR(ReadHub(&*hub, &config.rollups));
  LDGS_RETURN_IF_ERROR(ReadPeers(&top, path, asked, &config.peers));
  LDGS_RETURN_IF_ERROR(top.RefuseUnknown());
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
  std::set<std::string> dialed;
  for (const replication::DialPeer& peer : config.peers) {
    if (!record::IsNodeId(peer.node_id)) {
      return absl::InvalidArgumentError(
          "peer node_id '" + std::string(TruncateUtf8(peer.node_id, 80)) + "' is not a node ID");
    }
    // Two sessions with one peer would race each other's checkpoints.
    if (!dialed.insert(peer.node_id).second) {
      return absl::InvalidArgumentError("peer " + peer.node_id + " is listed twice in [[peers]]");
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
