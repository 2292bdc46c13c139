#pragma once

#include <cstddef>

namespace ldgs::record {

// Bounds on what a record may hold. Every input from outside is checked against them
// before anything is written.
struct RecordLimits {
  size_t max_record_bytes = 64 * 1024;  // a SignedRecord, serialized
  size_t max_id_bytes = 128;
  size_t max_short_text_bytes = 256;       // titles, names, codes, units, periods, regions
  size_t max_long_text_bytes = 32 * 1024;  // summaries, bodies, notes
  size_t max_tags = 32;                    // per tag field
  size_t max_tag_bytes = 64;
  size_t min_free_disk_bytes = 64 * 1024 * 1024;  // writes refused below this free space
};

}  // namespace ldgs::record
