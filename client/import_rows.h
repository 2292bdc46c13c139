#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/admin_client.h"
#include "client/import_file.h"

namespace ldgs::client {

// A progress bar on stderr, drawn only when stderr is a terminal.
class ImportProgress {
 public:
  ImportProgress(bool terminal, size_t total) : terminal_(terminal), total_(total) {}
  ~ImportProgress();
  void Show(const char* stage, size_t done);

 private:
  const bool terminal_;
  const size_t total_;
  bool drawn_ = false;
};

// Sends `rows` to the node in chunks (one synced write each): first every chunk checked
// without writing, so that a record the node refuses anywhere in the file writes nothing,
// then every chunk written. Errors name the file and line ("NAME:LINE: why"); a write that
// fails part way (a full disk) says how many records were written before it.
absl::Status ImportRows(AdminClient& client, const std::string& name,
                        const std::vector<ImportRow>& rows, ImportProgress* progress);

}  // namespace ldgs::client
