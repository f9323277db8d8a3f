// Answering an AuditQuery. The planner counts, up to a cap, how many index
// entries each usable index holds for the asked range and scans the
// smallest; every filter is then checked again on the record itself, so an
// index only ever narrows the search and never decides the answer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/audit_reader.hpp"
#include "storage/checkpoint.hpp"
#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

struct ScanPlan {
  Family family = Family::records;  // records: scan by sequence; else an index
  std::string lower;                // first key in range
  std::string upper;                // one past the last key; empty: to the end
  std::string prefix;               // index plans: the value's key prefix ("" for the time index)
  std::uint64_t estimate = 0;       // entries in range, capped by kPlanProbeCap
  bool empty = false;               // the range cannot hold anything
  // Records plans: the sequences the range must hold, every one of them
  // (from the chain head), so that a record the store lost is an error.
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
};

inline constexpr std::uint64_t kPlanProbeCap = 2048;

// False, with `error`, when the store cannot be read.
bool plan_query(const RocksHandle& store, const AuditQuery& query, ScanPlan& plan, std::string& error);
bool matches(const AuditEvent& event, const AuditQuery& query);
// False, with `error`, on any storage error or a record that cannot be read,
// after the records before it were delivered: never a silently short answer.
bool run_query(const RocksHandle& store, const AuditQuery& query,
               const std::function<bool(const AuditEvent&)>& each, std::string& error);
// Checkpoints filed at or after chain head `sequence` with a number above
// `after_number`, in filing order, until `each` returns false.
bool scan_checkpoints(const RocksHandle& store, std::uint64_t sequence, std::uint64_t after_number,
                      const std::function<bool(const Checkpoint&)>& each, std::string& error);

}  // namespace dynaudit::storage
