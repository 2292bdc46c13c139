#pragma once

#include <string>

namespace ldgs::testing {

struct HttpResult {
  int status = 0;    // 0 when no response could be read
  std::string head;  // status line and headers
  std::string body;
};

// Sends `raw` (a whole HTTP/1.1 request, "Connection: close" included) to `address`
// ("127.0.0.1:PORT") and reads the response to EOF, with a 30 s deadline.
HttpResult HttpExchange(const std::string& address, const std::string& raw);

// GET `path` with Connection: close.
HttpResult HttpGet(const std::string& address, const std::string& path);

}  // namespace ldgs::testing
