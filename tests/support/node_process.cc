#include "tests/support/node_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <thread>

#include "grpcpp/grpcpp.h"

namespace ldgs::testing {
namespace {

constexpr auto kStartDeadline = std::chrono::seconds(60);

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string LdgsdPath() { return LDGS_LDGSD_PATH; }
std::string LdgsctlPath() { return LDGS_LDGSCTL_PATH; }

NodeProcess::NodeProcess(std::string data_dir, std::string name, std::string role,
                         std::string region)
    : data_dir_(std::move(data_dir)), region_(region) {
  CommandResult init = RunCommand({LdgsdPath(), "init", "--data", data_dir_, "--name", name,
                                   "--role", role, "--region", region});
  if (init.exit_code != 0) {
    ADD_FAILURE() << "ldgsd init failed: " << init.err;
    std::abort();
  }
  node_id_ = init.out.substr(0, init.out.find('\n'));
}

namespace {

// A replication listener's address, its port outside the kernel's ephemeral range (Linux:
// 32768-60999). A node a test stops and starts again listens on the same port (its peers dial
// it there); a port from the ephemeral range could meanwhile become the local port of some
// connection, or another node's port 0, and the restart fail with "address in use".
std::string ListenAddressOutsideEphemeralRange() {
  static std::mutex mu;
  static std::mt19937 random(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint16_t port = static_cast<uint16_t>(20000 + random() % 12000);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) return "127.0.0.1:" + std::to_string(port);
  }
  return "127.0.0.1:0";
}

}  // namespace

NodeProcess::NodeProcess(std::string data_dir, Existing existing)
    : data_dir_(std::move(data_dir)),
      node_id_(std::move(existing.node_id)),
      listen_address_(std::move(existing.listen_address)),
      tls_(existing.tls) {}

NodeProcess::~NodeProcess() {
  if (child_) Stop();
}

::testing::AssertionResult NodeProcess::Start(const std::vector<std::string>& extra_flags) {
  const std::string address_file = data_dir_ + "/admin.addr";
  std::filesystem::remove(address_file);  // a SIGKILLed run leaves it behind
  std::vector<std::string> argv = {
      LdgsdPath(),
      "run",
      "--data",
      data_dir_,
      "--admin-listen",
      "127.0.0.1:0",
      "--http-listen",
      "127.0.0.1:0",
      "--listen",
      listen_address_.empty() ? ListenAddressOutsideEphemeralRange() : listen_address_};
  if (!tls_) argv.push_back("--insecure");
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  child_ = std::make_unique<Child>(argv, log_path());
  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(address_file)) {
      admin_address_ = ReadTrimmed(address_file);
      listen_address_ = ReadTrimmed(data_dir_ + "/listen.addr");
      http_address_ = ReadTrimmed(data_dir_ + "/http.addr");
      return ::testing::AssertionSuccess();
    }
    if (child_->Poll()) {
      child_.reset();
      return ::testing::AssertionFailure()
             << "ldgsd exited during start: " << ReadTrimmed(log_path());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval, not a wait
  }
  return ::testing::AssertionFailure() << "ldgsd did not report its address in time";
}

int NodeProcess::Stop() {
  if (!child_) return -1;
  child_->Signal(SIGTERM);
  int code = child_->Wait();
  child_.reset();
  return code;
}

void NodeProcess::Signal(int signal) const {
  if (child_) child_->Signal(signal);
}

void NodeProcess::Kill() {
  if (!child_) return;
  child_->Signal(SIGKILL);
  child_->Wait();
  child_.reset();
}

std::string NodeProcess::token() const { return ReadTrimmed(data_dir_ + "/admin.token"); }

std::unique_ptr<v1::Admin::Stub> NodeProcess::AdminStub() const {
  return v1::Admin::NewStub(
      grpc::CreateChannel(admin_address_, grpc::InsecureChannelCredentials()));
}

void NodeProcess::Authorize(grpc::ClientContext* context) const {
  context->AddMetadata("authorization", "Bearer " + token());
  // Beyond the longest server-side wait a test asks for (Get with wait_ms up to 60 s).
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
}

CommandResult NodeProcess::Ctl(const std::vector<std::string>& args,
                               const std::string& input) const {
  std::vector<std::string> argv = {LdgsctlPath(), "--data", data_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, input);
}

void NodeProcess::Dial(const NodeProcess& other, const std::string& relation,
                       const std::string& address) {
  DialAt(other.node_id(), address.empty() ? other.listen_address() : address, relation);
}

void NodeProcess::DialAt(const std::string& node_id, const std::string& address,
                         const std::string& relation) {
  std::ofstream config(data_dir_ + "/ldgsd.toml", std::ios::app);
  config << "\n[[peers]]\nnode_id = \"" << node_id << "\"\naddress = \"" << address
         << "\"\nrelation = \"" << relation << "\"\n";
}

::testing::AssertionResult NodeProcess::UseTls(const std::string& ca_dir,
                                               const std::string& cert_node_id) {
  const std::string out = data_dir_ + "/tls";
  CommandResult issued = RunCommand({LdgsctlPath(), "ca", "issue", "--ca", ca_dir, "--node-id",
                                     cert_node_id.empty() ? node_id_ : cert_node_id, "--out", out,
                                     "--host", "127.0.0.1"});
  if (issued.exit_code != 0) return ::testing::AssertionFailure() << issued.err;
  std::ofstream config(data_dir_ + "/ldgsd.toml", std::ios::app);
  config << "\n[tls]\nca = \"" << out << "/ca.crt\"\ncert = \"" << out << "/node.crt\"\nkey = \""
         << out << "/node.key\"\n";
  tls_ = true;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NodeProcess::Enroll(const NodeProcess& member, EnrollAs as) const {
  std::vector<std::string> args = {"enroll", member.node_id()};
  if (as == EnrollAs::kSister) {
    args.push_back("--sister");
  } else {
    args.insert(args.end(), {"--region", member.region()});
    if (as == EnrollAs::kHub) args.push_back("--hub");
  }
  CommandResult result = Ctl(args);
  if (result.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "enroll failed: " << result.err;
}

grpc::Status NodeProcess::Put(const v1::PutRecordRequest& request, v1::Record* written) const {
  grpc::ClientContext context;
  Authorize(&context);
  return AdminStub()->PutRecord(&context, request, written);
}

grpc::Status NodeProcess::Get(const std::string& origin, const std::string& id, v1::Record* record,
                              uint32_t wait_ms, uint64_t min_version) const {
  grpc::ClientContext context;
  Authorize(&context);
  v1::GetRecordRequest request;
  request.set_origin(origin);
  request.set_id(id);
  request.set_wait_ms(wait_ms);
  request.set_min_version(min_version);
  return AdminStub()->GetRecord(&context, request, record);
}

std::vector<v1::Record> NodeProcess::ListAll() const {
  grpc::ClientContext context;
  Authorize(&context);
  v1::ListRecordsRequest request;
  request.set_include_deleted(true);
  request.set_limit(100000);
  v1::ListRecordsResponse response;
  grpc::Status status = AdminStub()->ListRecords(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return {response.records().begin(), response.records().end()};
}

uint64_t NodeProcess::LastSequence() const {
  grpc::ClientContext context;
  Authorize(&context);
  v1::NodeStatus status;
  EXPECT_TRUE(AdminStub()->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  return status.last_sequence();
}

bool NodeProcess::WaitAggregated() const {
  const uint64_t target = LastSequence();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    Authorize(&context);
    v1::NodeStatus status;
    if (AdminStub()->GetStatus(&context, v1::GetStatusRequest(), &status).ok() &&
        status.aggregated_through() >= target) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  return false;
}

std::vector<v1::PeerStatus> NodeProcess::ListPeers() const {
  grpc::ClientContext context;
  Authorize(&context);
  v1::ListPeersResponse response;
  grpc::Status status = AdminStub()->ListPeers(&context, v1::ListPeersRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return {response.peers().begin(), response.peers().end()};
}

std::optional<v1::PeerStatus> NodeProcess::PeerStatusOf(const std::string& peer_id) const {
  for (const v1::PeerStatus& peer : ListPeers()) {
    if (peer.node_id() == peer_id) return peer;
  }
  return std::nullopt;
}

::testing::AssertionResult NodeProcess::WaitForPeer(
    const std::string& peer_id, const std::function<bool(const v1::PeerStatus&)>& done,
    std::chrono::milliseconds timeout, v1::PeerStatus* seen) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  v1::PeerStatus last;
  bool listed = false;
  while (true) {
    std::optional<v1::PeerStatus> peer = PeerStatusOf(peer_id);
    if (peer) {
      listed = true;
      last = *peer;
      if (done(last)) break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (seen) *seen = last;
      return ::testing::AssertionFailure()
             << data_dir_ << ": peer " << peer_id
             << (listed ? " never reached the state awaited; last seen: " + last.ShortDebugString()
                        : " is not in the peers view");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // poll interval, not a wait
  }
  if (seen) *seen = last;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NodeProcess::SyncWait(int timeout_s) const {
  CommandResult result = Ctl({"sync", "--wait", "--timeout", std::to_string(timeout_s)});
  if (result.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "sync --wait on " << data_dir_ << ": " << result.err << Ctl({"peers"}).out;
}

}  // namespace ldgs::testing
