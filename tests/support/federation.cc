#include "tests/support/federation.h"

#include <algorithm>
#include <cctype>

namespace ldgs::testing {
namespace {

std::string DirName(const std::string& name) {
  std::string out;
  for (char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  return out;
}

}  // namespace

Federation::Federation(Options options) : options_(options) {
  if (options_.tls) {
    CommandResult ca = RunCommand({LdgsctlPath(), "ca", "init", ca_dir()});
    if (ca.exit_code != 0) {
      ADD_FAILURE() << "ldgsctl ca init failed: " << ca.err;
      std::abort();
    }
  }
}

Federation::~Federation() {
  // Leaves first, so that no hub's stop shows up as an error at a chapter mid-test.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    if ((*it)->running()) (*it)->Stop();
  }
}

NodeProcess& Federation::Add(const std::string& name, const std::string& role,
                             const std::string& region) {
  owned_.push_back(std::make_unique<NodeProcess>(
      dir_.Sub(DirName(name) + "-" + std::to_string(owned_.size())), name, role, region));
  NodeProcess& node = *owned_.back();
  node_roles_[&node] = role;
  if (options_.tls) {
    EXPECT_TRUE(node.UseTls(ca_dir()));
  }
  order_.push_back(&node);
  return node;
}

NodeProcess& Federation::AddHub(const std::string& name, const std::string& region,
                                NodeProcess* parent) {
  NodeProcess& hub = Add(name, "hub", region);
  if (parent) links_.push_back({&hub, parent, "hub", ""});
  return hub;
}

NodeProcess& Federation::AddChapter(const std::string& name, const std::string& region,
                                    NodeProcess* hub) {
  NodeProcess& chapter = Add(name, "chapter", region);
  if (hub) links_.push_back({&chapter, hub, "hub", ""});
  return chapter;
}

void Federation::AddSister(NodeProcess& dialer, NodeProcess& dialed) {
  links_.push_back({&dialer, &dialed, "sister", ""});
}

void Federation::DialThrough(NodeProcess& node, const NodeProcess& peer,
                             const std::string& address) {
  if (std::find(configured_.begin(), configured_.end(), &node) != configured_.end()) {
    ADD_FAILURE() << node.data_dir() << " was started already; DialThrough comes first";
  }
  bool found = false;
  for (Link& link : links_) {
    if (link.dialer == &node && link.dialed == &peer) {
      link.address = address;
      found = true;
    }
  }
  if (!found) ADD_FAILURE() << node.data_dir() << " does not dial " << peer.data_dir();
}

::testing::AssertionResult Federation::StartNode(NodeProcess& node) {
  if (std::find(configured_.begin(), configured_.end(), &node) == configured_.end()) {
    for (const Link& link : links_) {
      if (link.dialer != &node) continue;
      if (!link.dialed->running()) {
        return ::testing::AssertionFailure()
               << node.data_dir() << " dials " << link.dialed->data_dir() << ", not started yet";
      }
      const NodeProcess::EnrollAs as = link.relation == "sister" ? NodeProcess::EnrollAs::kSister
                                       : node_roles_.at(&node) == "hub"
                                           ? NodeProcess::EnrollAs::kHub
                                           : NodeProcess::EnrollAs::kChapter;
      ::testing::AssertionResult enrolled = link.dialed->Enroll(node, as);
      if (!enrolled) return enrolled;
      node.Dial(*link.dialed, link.relation, link.address);
    }
    configured_.push_back(&node);
  }
  return node.Start();
}

::testing::AssertionResult Federation::Start() {
  for (NodeProcess* node : order_) {
    if (node->running()) continue;
    ::testing::AssertionResult started = StartNode(*node);
    if (!started) return started;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ldgs::testing
