// Bounded label values; see bounded_labels.hpp.
#include "metrics/bounded_labels.hpp"

#include <algorithm>

namespace dynaudit::metrics {

BoundedLabels::BoundedLabels(std::size_t capacity, const std::vector<std::string>& reserved)
    : capacity_(std::max(capacity, reserved.size())) {
  for (const auto& value : reserved) id(value);
}

BoundedLabels::Interned BoundedLabels::intern(std::string_view value) {
  if (value == kOther) return {other_id(), {}};
  std::lock_guard lock(mutex_);
  if (auto it = ids_.find(value); it != ids_.end()) return {it->second, it->first};
  if (names_.size() >= capacity_) return {other_id(), {}};
  const auto id = static_cast<std::uint32_t>(names_.size());
  const std::string_view stored = names_.emplace_back(value);
  ids_.emplace(stored, id);
  return {id, stored};
}

std::vector<std::string> BoundedLabels::names() const {
  std::lock_guard lock(mutex_);
  return {names_.begin(), names_.end()};
}

std::uint32_t LabelCache::id(std::string_view value) {
  if (auto it = cache_.find(value); it != cache_.end()) return it->second;
  const auto interned = labels_.intern(value);
  if (interned.id != labels_.other_id()) cache_.emplace(interned.stored, interned.id);
  return interned.id;
}

}  // namespace dynaudit::metrics
