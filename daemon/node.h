#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config.h"

namespace ldgs::daemon {

// A running node: its store, identity, Admin server and event loop. Built by Start, run by
// Run until SIGTERM or SIGINT, then stopped cleanly (servers drained, store closed, the
// address files removed).
class Node {
 public:
  // Opens the store and key in config.data_dir and starts listening. The bound addresses
  // are written to admin.addr (and later listen.addr) in the data dir once serving, so a
  // caller that asked for port 0 can find the port. Errors: NOT_FOUND when the data dir
  // holds no node, UNAVAILABLE when another process runs it or a port is taken.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const NodeConfig& config);
  ~Node();

  // Blocks until SIGTERM or SIGINT (or Stop), then shuts down.
  void Run();
  // Asks Run to return; safe from any thread.
  void Stop();

  const std::string& node_id() const;

 private:
  struct State;
  explicit Node(std::unique_ptr<State> state);
  // Waits for the next SIGINT, SIGTERM or SIGHUP on the node's loop.
  void AwaitSignal();
  // Builds the parts in order; on failure ~Node tears down what was built.
  absl::Status Init(const NodeConfig& config);
  std::unique_ptr<State> state_;
};

}  // namespace ldgs::daemon
