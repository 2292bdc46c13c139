#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

// A federation CA and node certificates, made with the openssl command line tool. A node
// certificate binds the node ID: it is the subject CN and, lower-cased, a DNS name in the
// subject alternative names, which is the name a dialer expects when it connects.
namespace ldgs::client {

// Creates DIR/ca.key (mode 0600) and DIR/ca.crt. ALREADY_EXISTS if DIR/ca.key exists.
absl::Status InitCa(const std::string& dir);

// Issues a certificate for `node_id` signed by the CA in `ca_dir`: OUT/node.key (0600),
// OUT/node.crt and a copy of the CA certificate, OUT/ca.crt. `hosts` are extra DNS names or
// IP addresses the node is reached at.
absl::Status IssueNodeCertificate(const std::string& ca_dir, const std::string& node_id,
                                  const std::string& out_dir,
                                  const std::vector<std::string>& hosts);

}  // namespace ldgs::client
