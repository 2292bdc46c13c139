#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ldgs/v1/admin.grpc.pb.h"
#include "tests/support/subprocess.h"

namespace ldgs::testing {

std::string LdgsdPath();
std::string LdgsctlPath();

// One real ldgsd process with its own data dir, on 127.0.0.1 with ports picked by the kernel.
class NodeProcess {
 public:
  // Runs `ldgsd init` into `data_dir`; the test fails (and aborts) if init fails.
  NodeProcess(std::string data_dir, std::string name, std::string role = "chapter",
              std::string region = "test-region");
  ~NodeProcess();

  // Starts `ldgsd run` and waits, with a deadline, until it reports its admin address.
  ::testing::AssertionResult Start(const std::vector<std::string>& extra_flags = {});
  // SIGTERM, then waits; returns the exit code (-signal when killed by one).
  int Stop();
  // SIGKILL, then waits.
  void Kill();
  bool running() const { return child_ != nullptr; }

  const std::string& data_dir() const { return data_dir_; }
  const std::string& node_id() const { return node_id_; }
  const std::string& admin_address() const { return admin_address_; }
  std::string token() const;
  std::string log_path() const { return data_dir_ + ".log"; }

  std::unique_ptr<v1::Admin::Stub> AdminStub() const;
  // Adds the bearer token and a deadline to a client context.
  void Authorize(grpc::ClientContext* context) const;

  // Runs the real ldgsctl against this node: `ldgsctl --data DIR args...`.
  CommandResult Ctl(const std::vector<std::string>& args, const std::string& input = "") const;

 private:
  std::string data_dir_;
  std::string node_id_;
  std::string admin_address_;
  std::unique_ptr<Child> child_;
};

}  // namespace ldgs::testing
