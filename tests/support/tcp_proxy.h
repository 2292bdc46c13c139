#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ldgs::testing {

// A TCP proxy on 127.0.0.1 between two nodes, for partition and slow-link tests. Runs its
// own Boost.Asio loop on a thread. Cut closes every connection and refuses new ones; Stall
// keeps connections open but forwards nothing, not even a close (a black hole: neither end
// learns anything from the link); StallOpen does that to the connections open now only,
// while connections made later forward normally (a path that died silently, and a new one);
// Heal undoes any of them. Thread-safe.
class TcpProxy {
 public:
  // Forwards 127.0.0.1:port() to `target` ("127.0.0.1:PORT").
  explicit TcpProxy(const std::string& target);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  uint16_t port() const;
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

  void Cut();
  void Stall();
  void StallOpen();
  void Heal();
  // Connections accepted so far (each one a TCP connection a dialer made through the proxy).
  int accepted() const;

  // What passed, as the proxy read it, while recording (benchmarks count bytes and turns).
  struct Chunk {
    int connection;  // 1 for the first connection accepted, and so on
    bool up;         // from the dialer to the target
    std::string bytes;
  };
  void Record(bool on);
  std::vector<Chunk> TakeRecorded();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ldgs::testing
