#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "daemon/config.h"
#include "daemon/files.h"
#include "storage/db.h"

namespace ldgs::daemon {

// Files in a node's data dir. The key and token are mode 0600.
std::string KeyPath(const std::string& data_dir);    // node.key
std::string TokenPath(const std::string& data_dir);  // admin.token
// metrics.token: the bearer token /metrics asks for (made at the first start; it reads
// figures, nothing else).
std::string MetricsTokenPath(const std::string& data_dir);
std::string ConfigPath(const std::string& data_dir);         // ldgsd.toml
std::string AdminAddressPath(const std::string& data_dir);   // admin.addr, while running
std::string ListenAddressPath(const std::string& data_dir);  // listen.addr, while running
std::string HttpAddressPath(const std::string& data_dir);    // http.addr, while running
std::string CataloguePath(const std::string& data_dir);      // catalogue/: the search index

struct InitOptions {
  std::string data_dir;
  std::string name;
  std::string region;
  v1::Role role = v1::ROLE_CHAPTER;
};

// Creates a node's data dir: key pair, admin token, config, store with the node's profile
// record. ALREADY_EXISTS when the dir already holds a node. Returns the node ID.
absl::StatusOr<std::string> InitDataDir(const InitOptions& options);

// Makes `to` (which must not exist) a copy of the backup in `from` (made by the Admin
// Backup call) and marks its store as restored, so that on its next sessions it fetches
// its own newer records back from its peers and never reissues a version. Returns the
// node ID.
absl::StatusOr<std::string> RestoreDataDir(const std::string& from, const std::string& to);

// Writes a backup of a running node into `dir` (absolute, must not exist): a store
// checkpoint in dir/db, and the key, token and config.
absl::Status BackupDataDir(const storage::Db& db, const std::string& data_dir,
                           const std::string& dir);

}  // namespace ldgs::daemon
