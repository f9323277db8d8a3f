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

VerifyReport verify_chain(const RocksHandle& store, const std::string& public_key_file,
                          const std::function<void(const VerifyProgress&)>& progress);

}  // namespace dynaudit::storage
