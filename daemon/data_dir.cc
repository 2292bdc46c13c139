#include "daemon/data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/base32.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "daemon/files.h"
#include "daemon/replication/restore_recovery.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "storage/local_writer.h"
#include "storage/storage.h"

namespace ldgs::daemon {

std::string KeyPath(const std::string& data_dir) { return data_dir + "/node.key"; }
std::string TokenPath(const std::string& data_dir) { return data_dir + "/admin.token"; }
std::string MetricsTokenPath(const std::string& data_dir) { return data_dir + "/metrics.token"; }
std::string ConfigPath(const std::string& data_dir) { return data_dir + "/ldgsd.toml"; }
std::string AdminAddressPath(const std::string& data_dir) { return data_dir + "/admin.addr"; }
std::string ListenAddressPath(const std::string& data_dir) { return data_dir + "/listen.addr"; }
std::string HttpAddressPath(const std::string& data_dir) { return data_dir + "/http.addr"; }
std::string CataloguePath(const std::string& data_dir) { return data_dir + "/catalogue"; }

absl::StatusOr<std::string> InitDataDir(const InitOptions& options) {
  namespace fs = std::filesystem;
  v1::Record profile;
  profile.mutable_node_profile()->set_name(options.name);
  profile.mutable_node_profile()->set_region(options.region);
  profile.mutable_node_profile()->set_role(options.role);
  NodeConfig config;
  // Checked before anything is created, so that bad input leaves no half-made node.
  LDGS_RETURN_IF_ERROR(record::ValidateBody(profile, config.limits));
  std::error_code error;
  if (fs::exists(KeyPath(options.data_dir))) {
    return absl::AlreadyExistsError(options.data_dir + " already holds a node (node.key exists)");
  }
  fs::create_directories(options.data_dir, error);
  if (error)
    return absl::InternalError("cannot create " + options.data_dir + ": " + error.message());
  fs::permissions(options.data_dir, fs::perms::owner_all, error);

  record::NodeKey key = record::NodeKey::Generate();
  LDGS_RETURN_IF_ERROR(key.Save(KeyPath(options.data_dir)));
  LDGS_RETURN_IF_ERROR(WriteFileAtomically(TokenPath(options.data_dir),
                                           Base32Encode(record::RandomBytes(20)) + "\n", 0600));
  config.data_dir = fs::absolute(options.data_dir).lexically_normal().string();
  config.role = options.role;
  config.http_listen = kDefaultHttpListen;
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(ConfigPath(options.data_dir), FormatConfig(config), 0644));

  // The profile names the node to the network, so it is shared network-wide from the start.
  LDGS_ASSIGN_OR_RETURN(std::unique_ptr<storage::Storage> storage,
                        storage::Storage::Open(options.data_dir));
  storage::LocalWriter writer(&storage->records(), &key, config.limits);
  LDGS_RETURN_IF_ERROR(writer.Put("profile", v1::VISIBILITY_NETWORK, profile).status());
  return key.node_id();
}

absl::Status BackupDataDir(const storage::Db& db, const std::string& data_dir,
                           const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty() || dir[0] != '/') {
    return absl::InvalidArgumentError("backup dir must be an absolute path");
  }
  std::error_code error;
  if (fs::exists(dir, error)) return absl::AlreadyExistsError(dir + " already exists");
  fs::create_directories(dir, error);
  if (error) return absl::InternalError("cannot create " + dir + ": " + error.message());
  fs::permissions(dir, fs::perms::owner_all, error);
  LDGS_RETURN_IF_ERROR(db.CreateBackup(dir + "/db"));
  for (const char* name : {"node.key", "admin.token", "ldgsd.toml"}) {
    fs::copy_file(data_dir + "/" + name, dir + "/" + name, error);
    if (error)
      return absl::InternalError(std::string("cannot copy ") + name + ": " + error.message());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RestoreDataDir(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(KeyPath(from)) || !fs::exists(from + "/db")) {
    return absl::NotFoundError(from + " is not an ldgs backup (no node.key or db/)");
  }
  if (fs::exists(to, error)) return absl::AlreadyExistsError(to + " already exists");
  fs::copy(from, to, fs::copy_options::recursive, error);
  if (error) return absl::InternalError("cannot copy " + from + ": " + error.message());
  fs::permissions(to, fs::perms::owner_all, error);
  // The config names its data dir: point it at the restored copy.
  LDGS_RETURN_IF_ERROR(
      SetConfigDataDir(ConfigPath(to), fs::absolute(to).lexically_normal().string()));
  LDGS_ASSIGN_OR_RETURN(record::NodeKey key, record::NodeKey::Load(KeyPath(to)));
  LDGS_ASSIGN_OR_RETURN(std::unique_ptr<storage::Storage> storage, storage::Storage::Open(to));
  storage::StateChange restored;
  replication::MarkRestored(&restored, NowMicros());
  LDGS_RETURN_IF_ERROR(storage->state().Commit(restored));
  return key.node_id();
}

}  // namespace ldgs::daemon
