// Every #include of the libraries against the rules block of docs/architecture.md: a file
// may include only its own module and the modules its line names. Prints the graph found.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
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
      {"daemon/web/", "web"},
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

// C and POSIX headers the libraries use; any other angled header with ".h" or a '/' must map
// to a known library.
bool IsSystemHeader(const std::string& name) {
  static const char* kPrefixes[] = {"sys/", "arpa/", "netinet/", "linux/"};
  for (const char* prefix : kPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  static const std::set<std::string> kHeaders = {"unistd.h", "fcntl.h", "poll.h",   "signal.h",
                                                 "errno.h",  "netdb.h", "dirent.h", "pwd.h"};
  if (kHeaders.count(name)) return true;
  // C++ standard headers: no extension, no directory.
  return name.find('.') == std::string::npos && name.find('/') == std::string::npos;
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
  return angled && IsSystemHeader(name) ? "" : "?";
}

// The header an `#include` line names, and whether it is angled; false for other lines.
bool ParseInclude(const std::string& line, std::string* name, bool* angled) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return false;
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return false;
  i = line.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || (line[i] != '<' && line[i] != '"')) return false;
  *angled = line[i] == '<';
  const size_t end = line.find(*angled ? '>' : '"', i + 1);
  if (end == std::string::npos) return false;
  *name = line.substr(i + 1, end - i - 1);
  return true;
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
        std::string name;
        bool angled = false;
        if (!ParseInclude(line, &name, &angled)) continue;
        const std::string target = ModuleOfInclude(name, angled);
        if (target.empty() || target == module) continue;
        EXPECT_NE(target, "?") << path << ":" << number << ": unknown include " << name;
        graph[module].insert(target);
        EXPECT_TRUE(rules.at(module).count(target))
            << path << ":" << number << ": " << module << " may not include " << target << " ("
            << name << "); docs/architecture.md lists what it may";
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
  EXPECT_EQ(ModuleOfInclude("sys/statvfs.h", true), "");
  EXPECT_EQ(ModuleOfInclude("mystery/thing.h", false), "?");
  EXPECT_EQ(ModuleOfInclude("openssl/ssl.h", true), "?");  // angled is no free pass
  std::string name;
  bool angled = false;
  ASSERT_TRUE(ParseInclude("  #  include <boost/asio.hpp> // x", &name, &angled));
  EXPECT_EQ(name, "boost/asio.hpp");
  EXPECT_TRUE(angled);
  EXPECT_FALSE(ParseInclude("// #include \"storage/db.h\"", &name, &angled));
}

TEST(IncludeGraphTest, TheDocumentedProhibitionsAreInTheRules) {
  // What docs/architecture.md promises in words; the rules block must not grow past it.
  const std::map<std::string, std::set<std::string>> rules = ReadRules();
  const std::pair<const char*, std::set<std::string>> kNever[] = {
      {"common", {"record", "storage", "grpc", "rocksdb", "boost"}},
      {"record", {"storage", "rocksdb", "grpc", "replication", "hub", "http", "daemon"}},
      {"storage", {"grpc", "boost", "replication", "hub", "http", "daemon", "client"}},
      {"hub", {"replication", "grpc", "http", "daemon", "client"}},
      {"replication", {"hub", "http", "daemon", "client"}},
      {"http", {"storage", "replication", "hub", "daemon", "client", "grpc"}},
      {"web", {"storage", "rocksdb", "replication", "hub", "http", "daemon", "client", "grpc"}},
      {"client", {"storage", "rocksdb", "replication", "hub", "http", "daemon"}}};
  for (const auto& [module, forbidden] : kNever) {
    ASSERT_TRUE(rules.count(module)) << module;
    for (const std::string& dep : forbidden) {
      EXPECT_FALSE(rules.at(module).count(dep)) << module << " may not include " << dep;
    }
  }
}

}  // namespace
}  // namespace ldgs
