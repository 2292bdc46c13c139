// ldgsd: the ldgs node daemon. Parses flags, then hands over to the daemon library.
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "CLI/CLI.hpp"
#include "daemon/config.h"
#include "daemon/data_dir.h"
#include "daemon/node.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ldgsd: %s\n", std::string(status.message()).c_str());
  return 1;
}

int RunInit(const ldgs::daemon::InitOptions& options, const std::string& role) {
  absl::StatusOr<ldgs::v1::Role> parsed = ldgs::daemon::ParseRole(role);
  if (!parsed.ok()) return Fail(parsed.status());
  ldgs::daemon::InitOptions with_role = options;
  with_role.role = *parsed;
  absl::StatusOr<std::string> node_id = ldgs::daemon::InitDataDir(with_role);
  if (!node_id.ok()) return Fail(node_id.status());
  std::printf("%s\n", node_id->c_str());
  return 0;
}

struct RunFlags {
  std::string config_path;
  std::string data_dir;
  std::string admin_listen;
  std::string listen;
  std::string http_listen;
  std::string log_level;
  bool insecure = false;
};

// The config `run` would use: the file, with the flags laid over it, checked.
absl::StatusOr<ldgs::daemon::NodeConfig> LoadRunConfig(const RunFlags& flags) {
  std::string config_path = flags.config_path;
  if (config_path.empty() && !flags.data_dir.empty()) {
    config_path = ldgs::daemon::ConfigPath(flags.data_dir);
  }
  if (config_path.empty()) return absl::InvalidArgumentError("give --config or --data");
  absl::StatusOr<ldgs::daemon::NodeConfig> config = ldgs::daemon::LoadConfig(config_path);
  if (!config.ok()) return config.status();
  if (!flags.data_dir.empty()) config->data_dir = flags.data_dir;
  if (!flags.admin_listen.empty()) config->admin_listen = flags.admin_listen;
  if (!flags.listen.empty()) config->listen = flags.listen;
  if (flags.http_listen == "off") {
    config->http_listen.clear();
  } else if (!flags.http_listen.empty()) {
    config->http_listen = flags.http_listen;
  }
  if (!flags.log_level.empty()) config->log_level = flags.log_level;
  if (flags.insecure) config->insecure = true;
  if (absl::Status valid = ldgs::daemon::ValidateConfig(*config); !valid.ok()) {
    return absl::InvalidArgumentError(config_path + ": " + std::string(valid.message()));
  }
  return config;
}

int CheckConfig(const RunFlags& flags) {
  absl::StatusOr<ldgs::daemon::NodeConfig> config = LoadRunConfig(flags);
  if (!config.ok()) return Fail(config.status());
  std::printf("ok: a %s, data in %s, dialing %zu peer(s)\n",
              ldgs::daemon::RoleName(config->role).c_str(), config->data_dir.c_str(),
              config->peers.size());
  return 0;
}

int RunNode(const RunFlags& flags) {
  absl::StatusOr<ldgs::daemon::NodeConfig> config = LoadRunConfig(flags);
  if (!config.ok()) return Fail(config.status());
  spdlog::set_default_logger(spdlog::stderr_color_mt("ldgsd"));  // stdout is for data
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  // Until Run handles it, a SIGHUP during start-up is ignored rather than fatal.
  std::signal(SIGHUP, SIG_IGN);
  absl::StatusOr<std::unique_ptr<ldgs::daemon::Node>> node = ldgs::daemon::Node::Start(*config);
  if (!node.ok()) return Fail(node.status());
  (*node)->Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ldgsd: the ldgs node daemon (chapter or hub)"};
  app.require_subcommand(1);

  ldgs::daemon::InitOptions init;
  std::string role = "chapter";
  CLI::App* init_cmd = app.add_subcommand("init", "create a node's data dir, key and token");
  init_cmd->add_option("--data", init.data_dir, "data directory")->required();
  init_cmd->add_option("--name", init.name, "human name of the chapter or hub")->required();
  init_cmd->add_option("--region", init.region, "region the node belongs to");
  init_cmd->add_option("--role", role, "chapter or hub")->check(CLI::IsMember({"chapter", "hub"}));

  // `run` and `check-config` take the same flags: a check sees what a start would.
  auto add_run_flags = [](CLI::App* cmd, RunFlags* flags) {
    cmd->add_option("--config", flags->config_path, "TOML config (default DATA/ldgsd.toml)");
    cmd->add_option("--data", flags->data_dir, "data directory (overrides the config)");
    cmd->add_option("--admin-listen", flags->admin_listen, "admin API address, loopback only");
    cmd->add_option("--listen", flags->listen, "replication address");
    cmd->add_option("--http-listen", flags->http_listen,
                    "HTTP address (/healthz, /readyz, /metrics), or off");
    cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error, off");
    cmd->add_flag("--insecure", flags->insecure, "plaintext node-to-node traffic (no mTLS)");
  };
  RunFlags run;
  CLI::App* run_cmd = app.add_subcommand("run", "run the node until SIGTERM or SIGINT");
  add_run_flags(run_cmd, &run);

  RunFlags check;
  CLI::App* check_cmd = app.add_subcommand(
      "check-config", "check a config file as `run` would read it, without starting the node");
  add_run_flags(check_cmd, &check);
  check_cmd->footer("Example: ldgsd check-config --config /etc/ldgs/ldgsd.toml");

  std::string restore_from, restore_to;
  CLI::App* restore_cmd =
      app.add_subcommand("restore", "make a data dir from a backup (ldgsctl backup)");
  restore_cmd->add_option("--from", restore_from, "backup directory")->required();
  restore_cmd->add_option("--data", restore_to, "new data directory (must not exist)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (*init_cmd) return RunInit(init, role);
  if (*check_cmd) return CheckConfig(check);
  if (*restore_cmd) {
    absl::StatusOr<std::string> node_id = ldgs::daemon::RestoreDataDir(restore_from, restore_to);
    if (!node_id.ok()) return Fail(node_id.status());
    std::printf("%s\n", node_id->c_str());
    return 0;
  }
  return RunNode(run);
}
