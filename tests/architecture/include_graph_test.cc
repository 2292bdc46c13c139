// Every #include of the libraries against the rules block of docs/architecture.md: a file
// may include only its own module and the modules its line names. Prints the graph found.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace ldgs {
namespace {

namespace fs = std::filesystem;

const std::string kRoot = LDGS_SOURCE_DIR;

// The module a file (path relative to the root) belongs to; empty outside the libraries.
std::string ModuleOfPath(const std::string& path) {
  static const std::pair<const char*, const char*> kFolders[] = {
      {"daemon/replication/", "replication"},
      {"daemon/hub/", "hub"},
      {"daemon/http/", "http"},
      {"daemon/", "daemon"},
      {"common/", "common"},
      {"record/", "record"},
      {"storage/", "storage"},
      {"client/", "client"},
      {"proto/", "grpc"}};
  for (const auto& [prefix, module] : kFolders) {
    if (path.rfind(prefix, 0) == 0) return module;
  }
  return "";
}

// The module or library an include names; "" for the C++ and C system headers; "?" unknown.
std::string ModuleOfInclude(const std::string& name, bool angled) {
  static const std::pair<const char*, const char*> kLibraries[] = {
      {"absl/", "absl"},       {"google/protobuf/", "proto"},
      {"grpcpp/", "grpc"},     {"grpc/", "grpc"},
      {"rocksdb/", "rocksdb"}, {"boost/", "boost"},
      {"spdlog/", "spdlog"},   {"toml++/", "toml"},
      {"CLI/", "cli11"},       {"nlohmann/", "json"},
      {"xapian", "xapian"},    {"sodium", "sodium"},
      {"gtest/", "gtest"},     {"gmock/", "gtest"}};
  if (name.rfind("ldgs/v1/", 0) == 0) {
    return name.find(".grpc.pb.h") != std::string::npos ? "grpc" : "proto";
  }
  const std::string own = ModuleOfPath(name);
  if (!own.empty()) return own;
  for (const auto& [prefix, library] : kLibraries) {
    if (name.rfind(prefix, 0) == 0) return library;
  }
  return angled ? "" : "?";
}

std::map<std::string, std::set<std::string>> ReadRules() {
  std::ifstream in(kRoot + "/docs/architecture.md");
  std::map<std::string, std::set<std::string>> rules;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "```include-rules") {
      inside = true;
      continue;
    }
    if (inside && line.rfind("```", 0) == 0) break;
    if (!inside) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream deps(line.substr(colon + 1));
    std::set<std::string>& allowed = rules[line.substr(0, colon)];
    for (std::string dep; deps >> dep;) allowed.insert(dep);
  }
  return rules;
}

TEST(IncludeGraphTest, EveryIncludeIsAllowedByDocsArchitecture) {
  const std::map<std::string, std::set<std::string>> rules = ReadRules();
  ASSERT_GE(rules.size(), 8u) << "no include-rules block in docs/architecture.md";
  const std::regex include_line(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::map<std::string, std::set<std::string>> graph;
  int files = 0;
  for (const char* top : {"common", "record", "storage", "daemon", "client"}) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(kRoot + "/" + top)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      const std::string path = fs::relative(entry.path(), kRoot).string();
      const std::string module = ModuleOfPath(path);
      ASSERT_TRUE(rules.count(module)) << "no rule for module " << module << " (" << path << ")";
      ++files;
      std::ifstream in(entry.path());
      int number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        std::smatch match;
        if (!std::regex_search(line, match, include_line)) continue;
        const std::string target = ModuleOfInclude(match[2], match[1] == "<");
        if (target.empty() || target == module) continue;
        EXPECT_NE(target, "?") << path << ":" << number << ": unknown include " << match[2];
        graph[module].insert(target);
        EXPECT_TRUE(rules.at(module).count(target))
            << path << ":" << number << ": " << module << " may not include " << target << " ("
            << match[2] << "); docs/architecture.md lists what it may";
      }
    }
  }
  EXPECT_GT(files, 50);
  std::ostringstream out;
  for (const auto& [module, targets] : graph) {
    out << module << ":";
    for (const std::string& target : targets) out << " " << target;
    out << "\n";
  }
  std::cout << "include graph (module: what it includes)\n" << out.str();
}

TEST(IncludeGraphTest, ModuleMappingSeesForbiddenIncludes) {
  // The checker itself: a storage file including gRPC or the hub is seen as such.
  EXPECT_EQ(ModuleOfInclude("grpcpp/grpcpp.h", false), "grpc");
  EXPECT_EQ(ModuleOfInclude("daemon/hub/rollup.h", false), "hub");
  EXPECT_EQ(ModuleOfInclude("daemon/replication/peer_link.h", false), "replication");
  EXPECT_EQ(ModuleOfInclude("ldgs/v1/admin.grpc.pb.h", false), "grpc");
  EXPECT_EQ(ModuleOfInclude("ldgs/v1/record.pb.h", false), "proto");
  EXPECT_EQ(ModuleOfInclude("sodium.h", true), "sodium");
  EXPECT_EQ(ModuleOfInclude("vector", true), "");
  EXPECT_EQ(ModuleOfInclude("mystery/thing.h", false), "?");
  EXPECT_FALSE(ReadRules()["storage"].count("grpc"));
  EXPECT_FALSE(ReadRules()["record"].count("storage"));
}

}  // namespace
}  // namespace ldgs
