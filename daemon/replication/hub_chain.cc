#include "daemon/replication/hub_chain.h"

#include <algorithm>
#include <sstream>

#include "common/status_macros.h"
#include "record/node_key.h"

namespace ldgs::daemon::replication {
namespace {

constexpr char kMarker[] = "hub_chain";  // lines "HUB_ID=ID,ID,..."
constexpr size_t kMaxChain = 16;         // a tree of regions is shallow

std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> ids;
  std::istringstream in(text);
  for (std::string id; std::getline(in, id, ',');) {
    if (record::IsNodeId(id)) ids.push_back(id);
  }
  return ids;
}

}  // namespace

HubChain::HubChain(storage::NodeState* state, std::vector<std::string> configured_hubs)
    : state_(state), configured_(std::move(configured_hubs)) {
  absl::StatusOr<std::string> saved = state_->GetMarker(kMarker);
  if (!saved.ok()) return;
  std::istringstream lines(*saved);
  for (std::string line; std::getline(lines, line);) {
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    const std::string hub = line.substr(0, equals);
    if (std::find(configured_.begin(), configured_.end(), hub) == configured_.end()) continue;
    announced_[hub] = SplitIds(line.substr(equals + 1));
  }
}

std::set<std::string> HubChain::Members() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> members(configured_.begin(), configured_.end());
  for (const auto& [hub, chain] : announced_) members.insert(chain.begin(), chain.end());
  return members;
}

std::vector<std::string> HubChain::NearestFirst() const {
  std::vector<std::string> chain = Announcement("");
  chain.erase(chain.begin());
  return chain;
}

std::vector<std::string> HubChain::Announcement(const std::string& self_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out = {self_id};
  auto add = [&](const std::string& id) {
    if (std::find(out.begin(), out.end(), id) == out.end() && out.size() < kMaxChain) {
      out.push_back(id);
    }
  };
  for (const std::string& hub : configured_) add(hub);
  for (const auto& [hub, chain] : announced_) {
    for (const std::string& id : chain) add(id);
  }
  return out;
}

std::string HubChain::Serialize() const {
  std::string out;
  for (const auto& [hub, chain] : announced_) {
    out += hub + "=";
    for (size_t i = 0; i < chain.size(); ++i) out += (i ? "," : "") + chain[i];
    out += "\n";
  }
  return out;
}

absl::StatusOr<bool> HubChain::Learn(const std::string& hub_id,
                                     const std::vector<std::string>& announced) {
  if (announced.empty() || announced.front() != hub_id || announced.size() > kMaxChain) {
    return absl::InvalidArgumentError("hub " + hub_id + " announced a malformed hub chain");
  }
  for (const std::string& id : announced) {
    if (!record::IsNodeId(id)) {
      return absl::InvalidArgumentError("hub " + hub_id + " announced a malformed hub chain");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(configured_.begin(), configured_.end(), hub_id) == configured_.end()) {
    return absl::PermissionDeniedError(hub_id + " is not a hub of this node");
  }
  if (announced_[hub_id] == announced) return false;
  std::vector<std::string> before = std::move(announced_[hub_id]);
  announced_[hub_id] = announced;
  if (absl::Status saved = state_->Commit(storage::StateChange().SetMarker(kMarker, Serialize()));
      !saved.ok()) {
    announced_[hub_id] = std::move(before);
    return saved;
  }
  return true;
}

void HubChain::AddConfigured(const std::string& hub_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(configured_.begin(), configured_.end(), hub_id) == configured_.end()) {
    configured_.push_back(hub_id);
  }
}

}  // namespace ldgs::daemon::replication
