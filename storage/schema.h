#pragma once

#include <cstdint>

#include "absl/status/status.h"

// The on-disk schema. Version 4 (current):
//   records     origin '\0' id            -> StoredRecord (signed bytes, retraction, seq)
//   changes     seq (u64 big-endian)      -> record key, '\x01', kind byte; one entry per
//                                            live version
//   clock       origin                    -> highest version held (u64)
//   index       secondary keys (storage/record_index.h), empty values
//   meta        "schema_version", "last_seq", "last_purge_us", "purge_pending"
//   cursors     name                      -> a reader's position in the change feed (u64)
//   node_state  'c' peer '\0' direction   -> checkpoint (u64 sequence, then the feed epoch)
//               'e' node_id               -> Enrollment
//               'v' secret hash           -> Invite
//               'm' name                  -> marker value
// Version 1 kept checkpoints, enrollments and invites in a `peers` family, the aggregator's
// feed position as a fake peer checkpoint "~aggregator", and markers in meta as
// "marker/NAME". Opening a version-1 store migrates it in one synced batch. Version 2
// checkpoints were the u64 alone; they still read (with no epoch), and version 3 is written
// so that an older build refuses the store instead of misreading its checkpoints. Version 3
// feed values were the record key alone; they still read (kind unknown), and version 4 is
// written so that an older build refuses the store instead of misreading the feed.
namespace ldgs::storage {

inline constexpr uint32_t kSchemaVersion = 4;

class Db;

// Brings `db` to kSchemaVersion: writes it on a fresh store, migrates older ones. Run
// expects the families of the current schema to exist (Db::Open creates them after
// CheckReadable).
class SchemaMigration {
 public:
  // FAILED_PRECONDITION, before anything is written, for a schema this build cannot read.
  static absl::Status CheckReadable(const Db& db);
  static absl::Status Run(Db* db);

 private:
  static absl::Status MigrateFromV1(Db* db);
};

}  // namespace ldgs::storage
