#include "tests/support/tcp_proxy.h"

#include <array>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <utility>  // before Asio (TOOLCHAIN.md)

#include "boost/asio.hpp"

namespace ldgs::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One proxied connection: two sockets and a pump each way.
struct Link : std::enable_shared_from_this<Link> {
  Link(asio::io_context& io, tcp::socket client) : client(std::move(client)), server(io) {}
  tcp::socket client;
  tcp::socket server;
  std::array<char, 16384> up{}, down{};
  bool stalled = false;  // this link alone (StallOpen); guarded by Impl::mu
  int id = 0;

  void Close() {
    boost::system::error_code ignored;
    client.close(ignored);
    server.close(ignored);
  }
};

}  // namespace

struct TcpProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint target;
  std::thread thread;
  mutable std::mutex mu;
  bool cut = false;
  bool stalled = false;
  int accepted = 0;
  bool recording = false;
  std::vector<TcpProxy::Chunk> recorded;
  std::list<std::weak_ptr<Link>> links;
  std::list<std::function<void()>> parked;  // pumps (and closes) waiting for Heal

  // Whether `link` forwards nothing now; the caller holds `mu`.
  bool Held(const Link& link) const { return stalled || link.stalled; }

  void Accept() {
    acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;  // closed: the proxy is stopping
      auto link = std::make_shared<Link>(io, std::move(socket));
      {
        std::lock_guard<std::mutex> lock(mu);
        if (cut) {
          link->Close();
        } else {
          link->id = ++accepted;
          links.push_back(link);
        }
      }
      if (link->client.is_open()) {
        link->server.async_connect(target, [this, link](boost::system::error_code e) {
          if (e) return link->Close();
          Pump(link, link->client, link->server, link->up);
          Pump(link, link->server, link->client, link->down);
        });
      }
      Accept();
    });
  }

  // Reads from `from` and writes to `to` until either closes; parks while stalled.
  void Pump(std::shared_ptr<Link> link, tcp::socket& from, tcp::socket& to,
            std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer),
                         [this, link, &from, &to, &buffer](boost::system::error_code e, size_t n) {
                           if (e) return Fail(link);
                           Forward(link, from, to, buffer, n);
                         });
  }

  void Forward(std::shared_ptr<Link> link, tcp::socket& from, tcp::socket& to,
               std::array<char, 16384>& buffer, size_t n) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (Held(*link)) {
        parked.push_back(
            [this, link, &from, &to, &buffer, n] { Forward(link, from, to, buffer, n); });
        return;
      }
      if (recording) {
        recorded.push_back({link->id, &from == &link->client, std::string(buffer.data(), n)});
      }
    }
    asio::async_write(to, asio::buffer(buffer.data(), n),
                      [this, link, &from, &to, &buffer](boost::system::error_code e, size_t) {
                        if (e) return Fail(link);
                        Pump(link, from, to, buffer);
                      });
  }

  // One end closed (or broke): close the other too, unless the link is stalled, when the
  // close waits for Heal like any data (a stalled link tells neither end anything).
  void Fail(const std::shared_ptr<Link>& link) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (Held(*link)) {
        parked.push_back([link] { link->Close(); });
        return;
      }
    }
    link->Close();
  }
};

TcpProxy::TcpProxy(const std::string& target) : impl_(std::make_unique<Impl>()) {
  const size_t colon = target.rfind(':');
  impl_->target = tcp::endpoint(asio::ip::make_address(target.substr(0, colon)),
                                static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(local.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(local);
  impl_->acceptor.listen();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TcpProxy::~TcpProxy() {
  // Stopping the loop drops every pending handler; the sockets close with their links.
  impl_->io.stop();
  impl_->thread.join();
}

uint16_t TcpProxy::port() const { return impl_->acceptor.local_endpoint().port(); }

void TcpProxy::Cut() {
  asio::post(impl_->io, [this] {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->cut = true;
    impl_->parked.clear();
    for (auto& weak : impl_->links) {
      if (auto link = weak.lock()) link->Close();
    }
    impl_->links.clear();
  });
}

void TcpProxy::Stall() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->stalled = true;
}

void TcpProxy::StallOpen() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& weak : impl_->links) {
    if (auto link = weak.lock()) link->stalled = true;
  }
}

void TcpProxy::Heal() {
  asio::post(impl_->io, [this] {
    std::list<std::function<void()>> resume;
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->cut = false;
      impl_->stalled = false;
      for (auto& weak : impl_->links) {
        if (auto link = weak.lock()) link->stalled = false;
      }
      resume.swap(impl_->parked);
    }
    for (auto& forward : resume) forward();
  });
}

void TcpProxy::Record(bool on) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->recording = on;
}

std::vector<TcpProxy::Chunk> TcpProxy::TakeRecorded() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return std::exchange(impl_->recorded, {});
}

int TcpProxy::accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->accepted;
}

}  // namespace ldgs::testing
