#include "daemon/config_section.h"

#include <algorithm>
#include <numeric>

namespace ldgs::daemon {
namespace {

// Edits (insert, delete, substitute) between two short keys, for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

ConfigSection::ConfigSection(const toml::table& table, const std::string& path, std::string name,
                             std::vector<std::string>* asked)
    : table_(table), path_(path), name_(std::move(name)), asked_(asked) {}

const toml::node* ConfigSection::Ask(std::string_view key) {
  known_.emplace(key);
  if (asked_ != nullptr)
    asked_->push_back(name_.empty() ? std::string(key) : name_ + "." + std::string(key));
  return table_.get(key);
}

absl::Status ConfigSection::ReadSize(std::string_view key, size_t* out) {
  int64_t value = static_cast<int64_t>(*out);
  if (absl::Status read = Read(key, &value); !read.ok()) return read;
  if (value <= 0) return Error(key, "must be positive");
  *out = static_cast<size_t>(value);
  return absl::OkStatus();
}

std::string ConfigSection::Prefix(const toml::source_region& where) const {
  std::string prefix = path_;
  if (where.begin.line > 0) prefix += ":" + std::to_string(where.begin.line);
  prefix += ": ";
  if (!name_.empty()) prefix += name_ + " ";
  return prefix;
}

absl::Status ConfigSection::Error(std::string_view key, std::string_view message) const {
  const toml::node* node = table_.get(key);
  return absl::InvalidArgumentError(Prefix(node ? node->source() : table_.source()) + "'" +
                                    std::string(key) + "' " + std::string(message));
}

absl::Status ConfigSection::TableError(std::string_view message) const {
  return absl::InvalidArgumentError(Prefix(table_.source()) + std::string(message));
}

absl::Status ConfigSection::RefuseUnknown() const {
  for (const auto& [key, node] : table_) {
    if (known_.count(key.str())) continue;
    std::string message = "unknown key '" + std::string(key.str()) + "'";
    // The nearest known key, when it is a likely typo of it.
    std::string nearest;
    size_t best = 3;
    for (const std::string& candidate : known_) {
      const size_t distance = EditDistance(key.str(), candidate);
      if (distance < best) {
        best = distance;
        nearest = candidate;
      }
    }
    if (!nearest.empty()) message += " (did you mean '" + nearest + "'?)";
    return absl::InvalidArgumentError(Prefix(key.source()) + message);
  }
  return absl::OkStatus();
}

}  // namespace ldgs::daemon
