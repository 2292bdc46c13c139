// ldgsctl: the admin CLI of an ldgs node. Talks only to the node's Admin API.
//
// Exit codes: 0 success; 1 the node failed the request; 2 bad input (flags, JSON, a field the
// node refused); 3 the node cannot be reached; 4 no such record; 5 wrong or missing token
// (or a peer refused); 6 `sync --wait` timed out.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "client/admin_client.h"
#include "client/ca.h"
#include "client/catalogue_commands.h"
#include "client/cli_errors.h"
#include "client/import_file.h"
#include "client/import_rows.h"
#include "client/put_request.h"
#include "client/record_format.h"

namespace {

using ldgs::client::AdminClient;
using ldgs::client::Fail;

struct Globals {
  ldgs::client::Endpoint endpoint;
  std::string output = "table";
  bool json() const { return output == "json"; }
};

// Prints one record, as JSON or as a detail table.
int PrintRecord(const Globals& g, const absl::StatusOr<ldgs::v1::Record>& record) {
  if (!record.ok()) return Fail(record.status());
  std::cout << (g.json() ? ldgs::client::ToJson(*record) + "\n"
                         : ldgs::client::FormatRecordDetail(*record));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ldgsctl: admin CLI for an ldgs node"};
  app.require_subcommand(1);
  Globals g;
  const char* env_data = std::getenv("LDGS_DATA");
  g.endpoint.data_dir = env_data ? env_data : "/var/lib/ldgs";
  app.add_option("--data", g.endpoint.data_dir,
                 "node data dir (default $LDGS_DATA or /var/lib/ldgs)");
  app.add_option("--addr", g.endpoint.address, "admin API address (default: from the data dir)");
  app.add_option("--token-file", g.endpoint.token_file,
                 "admin token file (default DATA/admin.token)");
  app.add_option("-o,--output", g.output, "table or json (report: also html)")
      ->check(CLI::IsMember({"table", "json", "html"}));

  // Each subcommand sets `action`; it runs after parsing with a connected client.
  std::function<int(AdminClient&)> action;

  app.add_subcommand("status", "show the node's identity and record counts")->callback([&] {
    action = [&](AdminClient& c) {
      auto status = c.GetStatus();
      if (!status.ok()) return Fail(status.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*status) + "\n"
                             : ldgs::client::FormatStatus(*status));
      return 0;
    };
  });

  ldgs::client::PutFlags put;
  CLI::App* put_cmd = app.add_subcommand("put", "create or update a record of this node");
  put_cmd->add_option("kind", put.kind, "practice, metric, observation or story")->required();
  put_cmd->add_option("--id", put.id, "record id (default: generated)");
  put_cmd->add_option("--visibility", put.visibility, "private (default), hub, network, public");
  put_cmd->add_option("--json", put.json_file, "take the body from a JSON file ('-' for stdin)");
  put_cmd->add_option("--title", put.title, "practice or story title");
  put_cmd->add_option("--summary", put.summary, "practice summary");
  put_cmd->add_option("--body", put.body, "story text");
  put_cmd->add_option("--issue-area", put.issue_areas, "issue area tag (repeatable)");
  put_cmd->add_option("--community", put.communities, "community served (repeatable)");
  put_cmd->add_option("--strategy", put.strategies, "strategy tag (repeatable)");
  put_cmd->add_option("--tag", put.tags, "free tag (repeatable)");
  put_cmd->add_option("--adapted-from", put.adapted_from, "ORIGIN/ID of the practice adapted");
  put_cmd->add_option("--outcome", put.outcome, "worked, mixed, did-not-work-here, too-early");
  put_cmd->add_option("--outcome-note", put.outcome_note, "context for the outcome");
  put_cmd->add_option("--code", put.code, "metric code");
  put_cmd->add_option("--name", put.name, "metric name");
  put_cmd->add_option("--unit", put.unit, "metric unit");
  put_cmd->add_option("--aggregation", put.aggregation, "sum (default), mean, latest, max");
  put_cmd->add_option("--direction", put.direction, "up or down (which way is good)");
  put_cmd->add_option("--target", put.target, "metric target, e.g. 0");
  put_cmd->add_option("--min", put.min_value, "metric: lowest valid value (0 for counts)");
  put_cmd->add_option("--max", put.max_value, "metric: highest valid value");
  put_cmd->add_option("--description", put.description, "metric description");
  put_cmd->add_option("--metric", put.metric, "observation: metric code");
  put_cmd->add_option("--period", put.period, "observation: YYYY-MM or YYYY-Www");
  put_cmd->add_option("--value", put.value, "observation: value");
  put_cmd->add_option("--note", put.note, "observation: note");
  put_cmd->callback([&] {
    action = [&](AdminClient& c) {
      auto request = ldgs::client::BuildPutRequest(put);
      if (!request.ok()) return Fail(request.status());
      return PrintRecord(g, c.PutRecord(*request));
    };
  });

  ldgs::v1::GetRecordRequest get;
  uint32_t get_wait_ms = 0;
  CLI::App* get_cmd = app.add_subcommand("get", "show one record");
  get_cmd->add_option("id", *get.mutable_id(), "record id")->required();
  get_cmd->add_option("--origin", *get.mutable_origin(), "origin node ID (default: this node)");
  get_cmd->add_option("--wait", get_wait_ms, "wait up to MS milliseconds for it to arrive");
  get_cmd->callback([&] {
    action = [&](AdminClient& c) {
      get.set_wait_ms(get_wait_ms);
      return PrintRecord(g, c.GetRecord(get));
    };
  });

  ldgs::v1::ListRecordsRequest list;
  std::string list_kind;
  uint32_t list_limit = 0;
  CLI::App* list_cmd = app.add_subcommand("list", "list records held by this node");
  list_cmd->add_option("--kind", list_kind, "practice, metric, observation, story, profile");
  list_cmd->add_option("--tag", *list.mutable_tag(), "only records with this tag");
  list_cmd->add_option("--origin", *list.mutable_origin(), "only records of this node ID");
  list_cmd->add_option("--metric", *list.mutable_metric(), "observations and rollups of a metric");
  list_cmd->add_option("--period", *list.mutable_period(), "with --metric: of one period");
  bool list_deleted = false;
  list_cmd->add_flag("--deleted", list_deleted, "include deleted records");
  list_cmd->add_option("--limit", list_limit, "at most this many (default 1000)");
  list_cmd->add_option("--page-token", *list.mutable_page_token(),
                       "continue where an earlier list stopped");
  list_cmd->callback([&] {
    action = [&](AdminClient& c) {
      if (!list_kind.empty()) {
        auto kind = ldgs::client::ParseKind(list_kind);
        if (!kind.ok()) return Fail(kind.status());
        list.set_kind(*kind);
      }
      list.set_limit(list_limit);
      list.set_include_deleted(list_deleted);
      auto response = c.ListRecords(list);
      if (!response.ok()) return Fail(response.status());
      if (g.json()) {
        std::cout << ldgs::client::ToJson(*response) << "\n";
        return 0;
      }
      std::vector<ldgs::v1::Record> records(response->records().begin(), response->records().end());
      std::cout << ldgs::client::FormatRecordTable(records);
      if (response->truncated()) {
        std::cout << "(more records match; continue with --page-token "
                  << response->next_page_token() << ")\n";
      }
      return 0;
    };
  });

  std::string share_id, share_visibility;
  CLI::App* share_cmd =
      app.add_subcommand("share", "change who may see one of this node's records");
  share_cmd->add_option("id", share_id, "record id")->required();
  share_cmd->add_option("visibility", share_visibility, "private, hub, network or public")
      ->required();
  share_cmd->callback([&] {
    action = [&](AdminClient& c) {
      auto visibility = ldgs::client::ParseVisibility(share_visibility);
      if (!visibility.ok()) return Fail(visibility.status());
      ldgs::v1::ShareRecordRequest request;
      request.set_id(share_id);
      request.set_visibility(*visibility);
      return PrintRecord(g, c.ShareRecord(request));
    };
  });

  ldgs::v1::DeleteRecordRequest del;
  CLI::App* delete_cmd = app.add_subcommand("delete", "delete one of this node's records");
  delete_cmd->add_option("id", *del.mutable_id(), "record id")->required();
  delete_cmd->callback(
      [&] { action = [&](AdminClient& c) { return PrintRecord(g, c.DeleteRecord(del)); }; });

  app.add_subcommand("peers", "show replication peers and how far behind they are")->callback([&] {
    action = [&](AdminClient& c) {
      auto peers = c.ListPeers();
      if (!peers.ok()) return Fail(peers.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*peers) + "\n"
                             : ldgs::client::FormatPeers(*peers));
      return 0;
    };
  });

  ldgs::v1::EnrollRequest enroll;
  bool enroll_sister = false, enroll_hub = false, enroll_reinstate = false;
  CLI::App* enroll_cmd = app.add_subcommand(
      "enroll",
      "allow a node to dial this one: a member chapter of a region, a member hub, or a sister");
  enroll_cmd->add_option("node_id", *enroll.mutable_node_id(), "the node's ID")->required();
  enroll_cmd->add_option("--region", *enroll.mutable_region(),
                         "the region it counts in here (members and member hubs)");
  CLI::Option* enroll_hub_flag =
      enroll_cmd->add_flag("--hub", enroll_hub, "a member hub (a regional hub): may relay");
  enroll_cmd->add_flag("--sister", enroll_sister, "a sister chapter")->excludes(enroll_hub_flag);
  enroll_cmd->add_flag("--reinstate", enroll_reinstate, "take back a node revoked before");
  enroll_cmd->add_option("--note", *enroll.mutable_note(), "who this is");
  enroll_cmd->callback([&] {
    action = [&](AdminClient& c) {
      enroll.set_relation(enroll_sister ? ldgs::v1::RELATION_SISTER
                          : enroll_hub  ? ldgs::v1::RELATION_MEMBER_HUB
                                        : ldgs::v1::RELATION_MEMBER);
      enroll.set_reinstate(enroll_reinstate);
      auto enrolled = c.Enroll(enroll);
      if (!enrolled.ok()) return Fail(enrolled.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*enrolled) + "\n"
                             : "enrolled " + enrolled->node_id() + "\n");
      return 0;
    };
  });

  ldgs::v1::RevokeRequest revoke;
  CLI::App* revoke_cmd = app.add_subcommand("revoke", "refuse a node from now on");
  revoke_cmd->add_option("node_id", *revoke.mutable_node_id(), "the node's ID")->required();
  revoke_cmd->add_option("--reason", *revoke.mutable_reason(),
                         "why, in the signed notice to the network");
  revoke_cmd->callback([&] {
    action = [&](AdminClient& c) {
      auto revoked = c.Revoke(revoke);
      if (!revoked.ok()) return Fail(revoked.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*revoked) + "\n"
                             : "revoked " + revoked->node_id() + "\n");
      return 0;
    };
  });

  ldgs::v1::CreateInviteRequest invite;
  bool invite_sister = false, invite_hub = false;
  uint32_t invite_ttl = 0;
  CLI::App* invite_cmd =
      app.add_subcommand("invite", "a one-time code for a node to join this one");
  invite_cmd->add_option("--region", *invite.mutable_region(),
                         "the region it will count in (members and member hubs)");
  CLI::Option* invite_hub_flag =
      invite_cmd->add_flag("--hub", invite_hub, "for a member hub (a regional hub)");
  invite_cmd->add_flag("--sister", invite_sister, "for a sister chapter")
      ->excludes(invite_hub_flag);
  invite_cmd->add_option("--note", *invite.mutable_note(), "who it is for");
  invite_cmd->add_option("--ttl-hours", invite_ttl, "hours until it expires (default 72)");
  invite_cmd->callback([&] {
    action = [&](AdminClient& c) {
      invite.set_relation(invite_sister ? ldgs::v1::RELATION_SISTER
                          : invite_hub  ? ldgs::v1::RELATION_MEMBER_HUB
                                        : ldgs::v1::RELATION_MEMBER);
      invite.set_ttl_hours(invite_ttl);
      auto code = c.CreateInvite(invite);
      if (!code.ok()) return Fail(code.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*code) : code->code()) << "\n";
      return 0;
    };
  });

  ldgs::v1::JoinHubRequest join;
  CLI::App* join_cmd = app.add_subcommand("join", "join a hub (or sister) with its invite code");
  join_cmd->add_option("code", *join.mutable_code(), "invite code from the hub operator")
      ->required();
  join_cmd->add_option("address", *join.mutable_address(), "the hub's host:port")->required();
  bool join_sister = false;
  join_cmd->add_flag("--sister", join_sister,
                     "joining a sister chapter (the invite must be for one), not a hub");
  join_cmd->callback([&] {
    action = [&](AdminClient& c) {
      join.set_sister(join_sister);
      auto joined = c.JoinHub(join);
      if (!joined.ok()) return Fail(joined.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*joined)
                             : "joined " + joined->hub_node_id() + "; now dialing it")
                << "\n";
      return 0;
    };
  });

  std::string backup_dir;
  CLI::App* backup_cmd =
      app.add_subcommand("backup", "consistent copy of the running node (restore: ldgsd restore)");
  backup_cmd->add_option("dir", backup_dir, "new directory on the node's machine")->required();
  backup_cmd->callback([&] {
    action = [&](AdminClient& c) {
      ldgs::v1::BackupRequest request;
      std::error_code ignored;
      request.set_dir(std::filesystem::absolute(backup_dir, ignored).lexically_normal().string());
      auto backup = c.Backup(request);
      if (!backup.ok()) return Fail(backup.status());
      std::cout << (g.json() ? ldgs::client::ToJson(*backup) + "\n"
                             : "backed up to " + backup->dir() + " (through sequence " +
                                   std::to_string(backup->last_sequence()) + ")\n");
      return 0;
    };
  });

  // The CA commands work on files only; they need no running node.
  std::string ca_dir, ca_node_id, ca_out;
  std::vector<std::string> ca_hosts;
  std::function<int()> offline_action;
  CLI::App* ca_cmd = app.add_subcommand("ca", "federation CA and node certificates (OpenSSL)");
  ca_cmd->require_subcommand(1);
  CLI::App* ca_init = ca_cmd->add_subcommand("init", "create a federation CA in DIR");
  ca_init->add_option("dir", ca_dir, "directory for ca.key and ca.crt")->required();
  ca_init->callback([&] {
    offline_action = [&] {
      absl::Status made = ldgs::client::InitCa(ca_dir);
      if (!made.ok()) return Fail(made);
      std::cout << "CA created: " << ca_dir << "/ca.crt\n";
      return 0;
    };
  });
  CLI::App* ca_issue = ca_cmd->add_subcommand("issue", "issue a node certificate");
  ca_issue->add_option("--ca", ca_dir, "CA directory")->required();
  ca_issue->add_option("--node-id", ca_node_id, "the node's ID")->required();
  ca_issue->add_option("--out", ca_out, "directory for node.key, node.crt, ca.crt")->required();
  ca_issue->add_option("--host", ca_hosts, "DNS name or IP the node is reached at (repeatable)");
  ca_issue->callback([&] {
    offline_action = [&] {
      absl::Status made = ldgs::client::IssueNodeCertificate(ca_dir, ca_node_id, ca_out, ca_hosts);
      if (!made.ok()) return Fail(made);
      std::cout << "certificate for " << ca_node_id << ": " << ca_out << "/node.crt\n";
      return 0;
    };
  });

  bool sync_wait = false;
  double sync_timeout_s = 60;
  CLI::App* sync_cmd = app.add_subcommand("sync", "check, or wait, until replication is caught up");
  sync_cmd->add_flag("--wait", sync_wait, "block until caught up");
  sync_cmd->add_option("--timeout", sync_timeout_s, "seconds to wait at most (default 60)");
  sync_cmd->callback([&] {
    action = [&](AdminClient& c) {
      const bool terminal = isatty(STDERR_FILENO);
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<int64_t>(sync_timeout_s * 1000));
      while (true) {
        auto peers = c.ListPeers();
        if (!peers.ok()) return Fail(peers.status());
        std::string summary;
        const bool caught_up = ldgs::client::IsCaughtUp(*peers, &summary);
        if (caught_up || !sync_wait) {
          if (terminal && sync_wait) std::fprintf(stderr, "\r\033[K");
          std::cout << (caught_up ? "caught up" : "behind: " + summary) << "\n";
          return 0;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
          if (terminal) std::fprintf(stderr, "\n");
          return Fail(
              absl::DeadlineExceededError("not caught up after " + std::to_string(sync_timeout_s) +
                                          " s: " + summary),
              6);
        }
        if (terminal) std::fprintf(stderr, "\rsyncing: %s\033[K", summary.c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a CLI's refresh rate
      }
    };
  });

  std::string import_file;
  std::string import_format;
  CLI::App* import_cmd = app.add_subcommand(
      "import",
      "put many records from a file ('-' for stdin): JSON lines, or CSV with a header row; the "
      "whole file is checked before the first write, and a bad line writes nothing");
  import_cmd->add_option("file", import_file, "the file; .csv is CSV, anything else JSON lines")
      ->required();
  import_cmd->add_option("--format", import_format, "jsonl or csv (default: from the name)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  import_cmd->callback([&] {
    action = [&](AdminClient& c) {
      std::ifstream file_in;
      if (import_file != "-") {
        file_in.open(import_file);
        if (!file_in) return Fail(absl::InvalidArgumentError("cannot read " + import_file), 2);
      }
      std::istream& in = import_file == "-" ? std::cin : file_in;
      const ldgs::client::ImportFormat format =
          import_format.empty()    ? ldgs::client::FormatOfFile(import_file)
          : import_format == "csv" ? ldgs::client::ImportFormat::kCsv
                                   : ldgs::client::ImportFormat::kJsonLines;
      absl::StatusOr<std::vector<ldgs::client::ImportRow>> rows =
          ldgs::client::ReadImportFile(in, import_file, format);
      if (!rows.ok()) return Fail(rows.status());
      ldgs::client::ImportProgress progress(isatty(STDERR_FILENO), rows->size());
      absl::Status imported = ldgs::client::ImportRows(c, import_file, *rows, &progress);
      if (!imported.ok()) return Fail(imported);
      std::cout << "imported " << rows->size() << " records\n";
      return 0;
    };
  });

  ldgs::client::AddCatalogueCommands(app, g.output, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    std::fprintf(stderr, "ldgsctl: %s\n", error.what());
    return 2;
  }
  if (offline_action) return offline_action();
  if (g.output == "html" && !app.got_subcommand("report")) {
    return Fail(absl::InvalidArgumentError("-o html is only for report"), 2);
  }
  auto client = AdminClient::Connect(g.endpoint);
  if (!client.ok()) return Fail(client.status());
  return action(*client);
}
