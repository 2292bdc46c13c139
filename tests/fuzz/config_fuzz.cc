// Config parsing on arbitrary text: never crashes; errors are INVALID_ARGUMENT.
#include <unistd.h>

#include <fstream>

#include "common/status_macros.h"
#include "daemon/config.h"

namespace {
std::string path;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/ldgs-fuzz-XXXXXX";
  LDGS_CHECK(mkdtemp(dir) != nullptr);
  path = std::string(dir) + "/ldgsd.toml";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  absl::StatusOr<ldgs::daemon::NodeConfig> config = ldgs::daemon::LoadConfig(path);
  if (!config.ok()) LDGS_CHECK(absl::IsInvalidArgument(config.status()));
  if (config.ok()) ldgs::daemon::ValidateConfig(*config).IgnoreError();
  return 0;
}
