#include "client/ca.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "common/text.h"

namespace ldgs::client {
namespace {

// Runs openssl with `args`; its stderr goes to `log` so that a failure can be reported.
absl::Status RunOpenssl(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("cannot start openssl");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv = {const_cast<char*>("openssl")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp("openssl", argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::ifstream in(log);
  std::string first_line;
  std::getline(in, first_line);
  return absl::InternalError(
      "openssl " + args[0] + " failed: " +
      (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "openssl is not installed" : first_line));
}

bool IsNodeIdText(const std::string& id) {
  return id.size() == 52 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
         });
}

bool IsIpAddress(const std::string& host) {
  return !host.empty() && (host.find(':') != std::string::npos ||
                           std::all_of(host.begin(), host.end(),
                                       [](char c) { return std::isdigit(c) || c == '.'; }));
}

}  // namespace

absl::Status InitCa(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(dir + "/ca.key")) return absl::AlreadyExistsError(dir + "/ca.key exists");
  fs::create_directories(dir, error);
  if (error) return absl::InvalidArgumentError("cannot create " + dir + ": " + error.message());
  fs::permissions(dir, fs::perms::owner_all, error);
  return RunOpenssl(
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt", "-days", "3650", "-subj",
       "/CN=ldgs federation CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      dir + "/openssl.log");
}

absl::Status IssueNodeCertificate(const std::string& ca_dir, const std::string& node_id,
                                  const std::string& out_dir,
                                  const std::vector<std::string>& hosts) {
  namespace fs = std::filesystem;
  if (!IsNodeIdText(node_id)) {
    return absl::InvalidArgumentError("'" + std::string(TruncateUtf8(node_id, 80)) +
                                      "' is not a node ID");
  }
  if (!fs::exists(ca_dir + "/ca.key")) return absl::NotFoundError("no CA in " + ca_dir);
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) return absl::InvalidArgumentError("cannot create " + out_dir);
  std::string lower = node_id;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string san = "subjectAltName=DNS:" + lower;
  for (const std::string& host : hosts) san += (IsIpAddress(host) ? ",IP:" : ",DNS:") + host;
  const std::string ext = out_dir + "/node.ext";
  std::ofstream(ext) << san << "\nbasicConstraints=CA:FALSE\n"
                     << "extendedKeyUsage=serverAuth,clientAuth\n";
  const std::string log = out_dir + "/openssl.log";
  absl::Status made = RunOpenssl(
      {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", out_dir + "/node.key", "-out", out_dir + "/node.csr", "-subj", "/CN=" + node_id},
      log);
  if (!made.ok()) return made;
  made = RunOpenssl({"x509", "-req", "-in", out_dir + "/node.csr", "-CA", ca_dir + "/ca.crt",
                     "-CAkey", ca_dir + "/ca.key", "-CAcreateserial", "-out", out_dir + "/node.crt",
                     "-days", "825", "-extfile", ext},
                    log);
  if (!made.ok()) return made;
  chmod((out_dir + "/node.key").c_str(), 0600);
  fs::copy_file(ca_dir + "/ca.crt", out_dir + "/ca.crt", fs::copy_options::overwrite_existing,
                error);
  fs::remove(out_dir + "/node.csr", error);
  fs::remove(ext, error);
  return absl::OkStatus();
}

}  // namespace ldgs::client
