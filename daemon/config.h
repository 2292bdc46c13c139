#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/hub/rollup.h"
#include "daemon/replication/batch_limits.h"
#include "daemon/replication/dial_peer.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"
#include "storage/db.h"

namespace ldgs::daemon {

inline constexpr char kDefaultAdminListen[] = "127.0.0.1:7710";
inline constexpr char kDefaultListen[] = "127.0.0.1:7700";
inline constexpr char kDefaultHttpListen[] = "127.0.0.1:7720";

// What `ldgsd run` needs, from the TOML file with command-line flags laid over it.
struct NodeConfig {
  std::string data_dir;
  v1::Role role = v1::ROLE_CHAPTER;
  std::string admin_listen = kDefaultAdminListen;  // loopback host:port, or unix:PATH
  std::string listen = kDefaultListen;             // replication (node to node)
  // HTTP endpoint; empty: off. `ldgsd init` writes kDefaultHttpListen; a config from
  // before the endpoint existed has no key and keeps running without it.
  std::string http_listen;
  std::string log_level = "info";
  record::RecordLimits limits;
  replication::BatchLimits batch_limits;
  replication::ReconnectPolicy reconnect;
  std::vector<replication::DialPeer> peers;  // [[peers]]: nodes this one dials
  hub::RollupSettings rollups;               // [hub]: used when role = "hub"
  // [tls]: PEM files for mutual TLS between nodes (ldgsctl ca issue makes them).
  std::string tls_ca, tls_cert, tls_key;
  bool insecure = false;  // plaintext node-to-node traffic; must be asked for explicitly
  // [storage]
  storage::DbOptions store;
  // A retracted record's bytes leave the data dir's files within this time.
  std::chrono::seconds purge_interval{600};
};

// Parses a TOML config. INVALID_ARGUMENT with the file, line and reason on a syntax error,
// an unknown key (in any section or [[peers]] table), a value of the wrong type or out of
// bounds; NOT_FOUND when the file is missing. `asked`, when given, gets every key the
// loader reads ("key", "[section].key", "[[peers]] N.key"), present or not.
absl::StatusOr<NodeConfig> LoadConfig(const std::string& path,
                                      std::vector<std::string>* asked = nullptr);

// The config as TOML, as `ldgsd init` writes it.
std::string FormatConfig(const NodeConfig& config);

// Rewrites the `data_dir` line of the config file at `path` to `data_dir` (after a restore).
absl::Status SetConfigDataDir(const std::string& path, const std::string& data_dir);

// Appends `peer` as a [[peers]] table to the config file at `path`, so that the node dials
// it again after a restart.
absl::Status AppendPeerToConfig(const std::string& path, const replication::DialPeer& peer);

// Checks values that the parser cannot: the admin address is loopback, the data dir set.
absl::Status ValidateConfig(const NodeConfig& config);

// "chapter" / "hub" to Role; INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::Role> ParseRole(const std::string& text);
std::string RoleName(v1::Role role);

}  // namespace ldgs::daemon
