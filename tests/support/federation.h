#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs::testing {

// A federation of real ldgsd processes on 127.0.0.1, each with its own data dir under one
// temp dir: hubs in a tree of any shape, chapters under them, sister links, plain or mutual
// TLS as deployed. Add nodes parents first, then Start: each node is enrolled at the node it
// dials and started after it. Nodes stop (SIGTERM) when the federation is destroyed.
//
//   Federation fed({.tls = true});
//   NodeProcess& hub = fed.AddHub("Midwest hub", "midwest");
//   NodeProcess& a = fed.AddChapter("Rockford", "midwest", &hub);
//   ASSERT_TRUE(fed.Start());
class Federation {
 public:
  struct Options {
    bool tls = false;  // mutual TLS with a federation CA made by `ldgsctl ca init`
  };
  explicit Federation(Options options);
  Federation() : Federation(Options{}) {}
  ~Federation();
  Federation(const Federation&) = delete;
  Federation& operator=(const Federation&) = delete;

  // A hub; with `parent`, a regional hub that dials `parent` as its hub.
  NodeProcess& AddHub(const std::string& name, const std::string& region,
                      NodeProcess* parent = nullptr);
  // A chapter of `hub` in `region` (no hub: a chapter that only peers with sisters).
  NodeProcess& AddChapter(const std::string& name, const std::string& region, NodeProcess* hub);
  // `dialer` also dials `dialed` as a sister chapter (`dialed` enrolls it --sister).
  void AddSister(NodeProcess& dialer, NodeProcess& dialed);
  // Where `node` dials `peer`, instead of the peer's own address (e.g. a TcpProxy in front of
  // it). Takes effect when `node` is started; call it before.
  void DialThrough(NodeProcess& node, const NodeProcess& peer, const std::string& address);

  // Starts every node not started yet, in the order added: enrollments at the nodes it
  // dials (which must have started), its [[peers]], then the node itself.
  ::testing::AssertionResult Start();
  // Starts one node the same way (its peers must have started).
  ::testing::AssertionResult StartNode(NodeProcess& node);

  const TempDir& dir() const { return dir_; }
  const std::vector<NodeProcess*>& nodes() const { return order_; }
  // The CA dir when TLS is on.
  std::string ca_dir() const { return dir_.Sub("ca"); }

 private:
  struct Link {
    NodeProcess* dialer;
    NodeProcess* dialed;
    std::string relation;  // "hub" or "sister"
    std::string address;   // empty: the dialed node's own
  };
  NodeProcess& Add(const std::string& name, const std::string& role, const std::string& region);

  const Options options_;
  TempDir dir_;
  std::vector<std::unique_ptr<NodeProcess>> owned_;
  std::vector<NodeProcess*> order_;
  std::vector<Link> links_;
  std::vector<NodeProcess*> configured_;  // started once: links written to their configs
  std::map<const NodeProcess*, std::string> node_roles_;  // "hub" or "chapter"
};

}  // namespace ldgs::testing
