// `audit verify`: checks every table file's checksums, walks the records in
// sequence order re-computing every hash link and checking the checkpoints
// filed at each sequence as it passes (so memory does not grow with them),
// then every index against the records. Reports the first broken link by
// sequence.
#pragma once

#include <functional>
#include <string>

#include "storage/audit_reader.hpp"
#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

inline constexpr std::uint64_t kVerifyProgressEvery = 10'000;

// `visitor` (may be null) sees each record as it is parsed (RecordVisitor).
// `check_indexes` false: the chain and checkpoints only (read with their
// checksums), not whether every index holds exactly its records' entries
// nor every other file's checksums — a third of verify's work, and nothing
// a reader of the records alone depends on.
VerifyReport verify_chain(const RocksHandle& store, const std::string& public_key_file,
                          const std::function<void(const VerifyProgress&)>& progress,
                          RecordVisitor* visitor = nullptr, bool check_indexes = true);

}  // namespace dynaudit::storage
