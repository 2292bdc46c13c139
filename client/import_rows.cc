#include "client/import_rows.h"

#include <cstdio>
#include <cstdlib>

namespace ldgs::client {
namespace {

// A chunk stays well under the Admin API's 4 MiB message limit.
constexpr size_t kChunkRecords = 2000;
constexpr size_t kChunkBytes = 2 * 1024 * 1024;

struct Chunk {
  size_t first = 0;  // index of its first row
  v1::ImportRecordsRequest request;
};

std::vector<Chunk> MakeChunks(const std::vector<ImportRow>& rows) {
  std::vector<Chunk> chunks;
  size_t bytes = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t size = rows[i].request.ByteSizeLong();
    if (chunks.empty() || chunks.back().request.records_size() >= static_cast<int>(kChunkRecords) ||
        bytes + size > kChunkBytes) {
      chunks.push_back({i, {}});
      bytes = 0;
    }
    *chunks.back().request.add_records() = rows[i].request;
    bytes += size;
  }
  return chunks;
}

// The node names a refused record "record K: ..." (1-based in the chunk): point at its line.
absl::Status AtLine(const std::string& name, const std::vector<ImportRow>& rows, const Chunk& chunk,
                    const absl::Status& status) {
  std::string message(status.message());
  size_t index = 0;
  if (message.rfind("record ", 0) == 0) {
    char* end = nullptr;
    const unsigned long k = std::strtoul(message.c_str() + 7, &end, 10);
    const size_t in_chunk = static_cast<size_t>(chunk.request.records_size());
    if (k >= 1 && k <= in_chunk && end && (*end == ':' || *end == ' ')) {
      index = chunk.first + k - 1;
      message = message.substr(static_cast<size_t>(end - message.c_str()));
      if (message.rfind(": ", 0) == 0)
        message = message.substr(2);
      else if (message.rfind(" (", 0) == 0 && message.find("): ") != std::string::npos) {
        message = message.substr(message.find("): ") + 3);
      }
      return absl::Status(status.code(),
                          name + ":" + std::to_string(rows[index].line) + ": " + message);
    }
  }
  // Not about one record (the node is unreachable, say): about the chunk's first line on.
  return absl::Status(status.code(),
                      name + ":" + std::to_string(rows[chunk.first].line) + ": " + message);
}

}  // namespace

ImportProgress::~ImportProgress() {
  if (drawn_) std::fprintf(stderr, "\n");
}

void ImportProgress::Show(const char* stage, size_t done) {
  if (!terminal_ || total_ == 0) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total_);
  std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %zu/%zu\033[K", stage, filled,
               "##############################", kWidth - filled, "",
               static_cast<int>(100 * done / total_), done, total_);
  std::fflush(stderr);
  drawn_ = true;
}

absl::Status ImportRows(AdminClient& client, const std::string& name,
                        const std::vector<ImportRow>& rows, ImportProgress* progress) {
  std::vector<Chunk> chunks = MakeChunks(rows);
  size_t done = 0;
  for (Chunk& chunk : chunks) {
    chunk.request.set_validate_only(true);
    absl::StatusOr<v1::ImportRecordsResponse> checked = client.ImportRecords(chunk.request);
    if (!checked.ok()) return AtLine(name, rows, chunk, checked.status());
    done += static_cast<size_t>(chunk.request.records_size());
    progress->Show("checking ", done);
  }
  size_t written = 0;
  for (Chunk& chunk : chunks) {
    chunk.request.set_validate_only(false);
    absl::StatusOr<v1::ImportRecordsResponse> put = client.ImportRecords(chunk.request);
    if (!put.ok()) {
      absl::Status at = AtLine(name, rows, chunk, put.status());
      return absl::Status(at.code(), std::string(at.message()) + " (" + std::to_string(written) +
                                         " records written before it)");
    }
    written += put->written();
    progress->Show("importing", written);
  }
  return absl::OkStatus();
}

}  // namespace ldgs::client
