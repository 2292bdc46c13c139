#pragma once

#include <cstddef>

namespace ldgs::daemon::replication {

// Bounds on replication traffic. Every one has a config override ([replication]).
struct BatchLimits {
  size_t max_records = 500;                    // records per batch
  size_t max_bytes = 4 * 1024 * 1024;          // payload bytes per batch
  size_t max_message_bytes = 8 * 1024 * 1024;  // gRPC message size, both directions
  size_t max_streams_per_peer = 4;             // a dialer needs 2 (Push, Pull); 4 lets a
                                               // reconnect overlap a dying session
  size_t max_records_per_minute = 100000;      // pushed by one peer, sustained
  size_t burst_records = 1000000;              // pushed by one peer at once: a catch-up of a
                                               // backlog this large is not held back
};

}  // namespace ldgs::daemon::replication
