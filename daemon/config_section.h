#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "toml++/toml.h"

namespace ldgs::daemon {

// One table of a config file as the loader reads it. Each key the loader asks for is
// marked, so that a key it never asks for (a typo such as `min_reportng`, which would leave
// a privacy threshold at its default) is refused with its line instead of ignored. Every
// error names the file, the line and the section.
class ConfigSection {
 public:
  // `name` is how errors name the table ("" for the top level, "[hub]", "[[peers]] 2").
  // `asked`, when given, collects "section.key" for every key asked for (for the test that
  // the example config holds every key).
  ConfigSection(const toml::table& table, const std::string& path, std::string name,
                std::vector<std::string>* asked = nullptr);

  // Reads `key` into `out` when present (absent: `out` keeps its default).
  template <typename T>
  absl::Status Read(std::string_view key, T* out) {
    const toml::node* node = Ask(key);
    if (node == nullptr) return absl::OkStatus();
    std::optional<T> value = node->value<T>();
    if (!value) return Error(key, "has the wrong type");
    *out = *value;
    return absl::OkStatus();
  }
  // A positive integer.
  absl::Status ReadSize(std::string_view key, size_t* out);
  // A sub-table or an array of tables, marked as asked for; nullptr when absent.
  const toml::node* Node(std::string_view key) { return Ask(key); }

  // INVALID_ARGUMENT "FILE:LINE: [section] 'key' MESSAGE", at the key's line.
  absl::Status Error(std::string_view key, std::string_view message) const;
  // INVALID_ARGUMENT at the table's own line, for what concerns it as a whole.
  absl::Status TableError(std::string_view message) const;
  // The first key present that was never asked for, as an error (with the nearest known
  // key as a hint); OK when there is none. Call after every Read.
  absl::Status RefuseUnknown() const;

 private:
  const toml::node* Ask(std::string_view key);
  std::string Prefix(const toml::source_region& where) const;

  const toml::table& table_;
  const std::string& path_;
  const std::string name_;
  std::vector<std::string>* asked_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace ldgs::daemon
