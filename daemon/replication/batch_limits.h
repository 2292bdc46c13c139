#pragma once

#include <cstddef>

namespace ldgs::daemon::replication {

// Bounds on replication traffic. Every one has a config override ([replication]).
struct BatchLimits {
  size_t max_records = 500;                    // records per batch
  size_t max_bytes = 4 * 1024 * 1024;          // payload bytes per batch
  size_t max_message_bytes = 8 * 1024 * 1024;  // gRPC message size, both directions
};

}  // namespace ldgs::daemon::replication
