// RocksDB's own diagnostic log (its LOG file), written with plain stdio.
// RocksDB's file logger goes through the same writer class as the data
// files, and Debian's RocksDB is built with assertions: once a LOG write
// fails (a full disk), the next one aborts the process. A log line that
// cannot be written is simply lost here.
#pragma once

#include <rocksdb/env.h>

#include <memory>
#include <string>

namespace dynaudit::storage {

// Appends to <folder>/LOG, moving it to LOG.old past 4 MB.
std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& folder);

}  // namespace dynaudit::storage
