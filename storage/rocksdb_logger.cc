#include "storage/rocksdb_logger.h"

#include <cstdarg>
#include <cstdio>

namespace ldgs::storage {
namespace {

class StderrLogger : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    // One write per line, so lines from several threads do not interleave.
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> MakeStderrLogger() { return std::make_shared<StderrLogger>(); }

}  // namespace ldgs::storage
