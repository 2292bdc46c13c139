// ldgsctl's JSON input (import lines and put --json bodies) on arbitrary text: never
// crashes; errors are INVALID_ARGUMENT.
#include <string>

#include "client/put_request.h"
#include "common/status_macros.h"
#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ldgs::v1::PutRecordRequest> request = ldgs::client::ParseImportLine(text);
  if (!request.ok()) LDGS_CHECK(absl::IsInvalidArgument(request.status()));
  return 0;
}
