#pragma once

#include <memory>

#include "rocksdb/env.h"

namespace ldgs::storage {

// RocksDB's info log, kept off the data dir: warnings and errors go to the node's stderr
// (its log), the chatter below is dropped. A LOG file on the store's disk would take a
// write error when that disk fills, and RocksDB 7.8 then asserts when it closes the file
// (WritableFileWriter, sync after a failed write): a full disk must not abort the node.
std::shared_ptr<rocksdb::Logger> MakeStderrLogger();

}  // namespace ldgs::storage
