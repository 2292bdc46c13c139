#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/replication/batch_limits.h"
#include "storage/node_state.h"

// What the two ends of a session agree on in Hello, for both directions: how large a batch
// each may send, and where each feed resumes. The stream code calls these and nothing else
// decides either.
namespace ldgs::daemon::replication {

// The terms of one session as the dialed node keeps them from Hello.
struct SessionTerms {
  BatchLimits limits;           // negotiated: for what it sends and what it accepts
  std::string peer_feed_epoch;  // the dialer's feed epoch, for checkpoints in its feed
};

// Whatever a peer announces, a batch holds at least this many records and bytes (a
// record of the largest size and its retraction fit): a peer cannot make this node send
// its feed one entry per message.
inline constexpr size_t kMinBatchRecords = 16;
inline constexpr size_t kMinBatchBytes = 256 * 1024;
// A feed epoch is 26 base32 characters; a peer's may not be longer than this.
inline constexpr size_t kMaxFeedEpochBytes = 64;

// The limits both directions of a session use: the smaller of this node's and the peer's
// (0 from the peer: none of its own), never below the minimums above.
BatchLimits NegotiateLimits(const BatchLimits& own, uint64_t peer_max_records,
                            uint64_t peer_max_bytes);

// Where to resume reading a feed whose current epoch is `epoch`, given the checkpoint held
// in it: the checkpoint's sequence when it was reached in that epoch, else 0 (the feed was
// restored from a backup; applying is idempotent). A checkpoint from before epochs, or a
// peer that sends none, is taken as it is, as before epochs.
uint64_t ResumeFrom(const storage::FeedPosition& checkpoint, std::string_view epoch);

// Whether a peer's feed was replaced since the checkpoint was reached in it: a checkpoint
// past the start, from another epoch (one from before epochs, with none, only resyncs).
bool FeedWasReplaced(const storage::FeedPosition& checkpoint, std::string_view epoch);

}  // namespace ldgs::daemon::replication
