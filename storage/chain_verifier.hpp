// `audit verify`: walks the records in sequence order re-computing every
// hash link, then checks each signed checkpoint against the chain. Reports
// the first broken link by sequence.
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
