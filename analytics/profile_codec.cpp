// PrincipalProfile <-> bytes (profile_codec.hpp).
#include "analytics/profile_codec.hpp"

#include "storage/byte_codec.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace dynaudit::analytics {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint32_t kMaxEntries = 1u << 20;

class Writer : public storage::ByteWriter {
 public:
  void put_baseline(const RobustBaseline& b) {
    put(b.mean);
    put(b.deviation);
    put(b.peak);
    put(b.samples);
  }
};

class Reader : public storage::ByteReader {
 public:
  using ByteReader::ByteReader;
  bool get_baseline(RobustBaseline& b) {
    return get(b.mean) && get(b.deviation) && get(b.peak) && get(b.samples) && std::isfinite(b.mean) &&
           std::isfinite(b.deviation) && std::isfinite(b.peak);
  }
};

// Reported levels: 0, or 1 + a severity (0-3).
template <std::size_t N>
bool get_levels(Reader& r, std::array<std::uint8_t, N>& levels) {
  for (auto& level : levels)
    if (!r.get(level) || level > 4) return false;
  return true;
}

template <std::size_t N>
void put_baselines(Writer& w, const std::array<RobustBaseline, N>& row) {
  for (const auto& b : row) w.put_baseline(b);
}
template <std::size_t N>
bool get_baselines(Reader& r, std::array<RobustBaseline, N>& row) {
  for (auto& b : row)
    if (!r.get_baseline(b)) return false;
  return true;
}

}  // namespace

std::string encode_profile(const PrincipalProfile& p) {
  Writer w;
  w.put(kVersion);
  w.put(p.first_seen_ms);
  w.put(p.last_seen_ms);
  w.put(p.minute_index);
  w.put(p.minute_values);
  w.put(p.minute_reported);
  w.put(p.minute_items.registers());
  w.put(static_cast<std::uint32_t>(p.minute_shapes.size()));
  for (const auto& [shape, count] : p.minute_shapes) {
    w.put(shape);
    w.put(count);
  }
  for (const auto& row : p.minute_buckets) put_baselines(w, row);
  put_baselines(w, p.minute_all);
  w.put(p.day_index);
  w.put(p.day_values);
  w.put(p.day_reported);
  w.put(p.day_items.registers());
  for (const auto& row : p.day_buckets) put_baselines(w, row);
  w.put(p.weeks_active);
  w.put(p.week_counted);
  w.put(p.hour_index);
  w.put(p.hour_calls);
  for (const auto& set : p.first_seen) {
    w.put(static_cast<std::uint32_t>(set.size()));
    for (const auto& [value, since] : set) {
      w.put_string(value);
      w.put(since);
    }
  }
  w.put(static_cast<std::uint32_t>(p.quiet.size()));
  for (const auto& [feature, quiet] : p.quiet) {
    w.put_string(feature);
    w.put(quiet.until_ms);
    w.put(quiet.severity);
  }
  return w.take();
}

std::unique_ptr<PrincipalProfile> decode_profile(std::string_view bytes) {
  Reader r(bytes);
  auto p = std::make_unique<PrincipalProfile>();
  std::uint8_t version = 0;
  if (!r.get(version) || version != kVersion) return nullptr;
  std::array<std::uint8_t, DistinctCounter::kRegisters> registers{};
  std::uint32_t n = 0;
  if (!r.get(p->first_seen_ms) || !r.get(p->last_seen_ms) || !r.get(p->minute_index) || !r.get(p->minute_values) ||
      !get_levels(r, p->minute_reported) || !r.get(registers) || !p->minute_items.restore(registers) || !r.get(n) ||
      n > kMaxEntries)
    return nullptr;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t shape = 0;
    std::uint32_t count = 0;
    if (!r.get(shape) || !r.get(count)) return nullptr;
    p->minute_shapes[shape] = count;
  }
  for (auto& row : p->minute_buckets)
    if (!get_baselines(r, row)) return nullptr;
  if (!get_baselines(r, p->minute_all) || !r.get(p->day_index) || !r.get(p->day_values) || !get_levels(r, p->day_reported) ||
      !r.get(registers) || !p->day_items.restore(registers))
    return nullptr;
  for (auto& row : p->day_buckets)
    if (!get_baselines(r, row)) return nullptr;
  if (!r.get(p->weeks_active) || !r.get(p->week_counted) || !r.get(p->hour_index) || !r.get(p->hour_calls))
    return nullptr;
  for (auto& set : p->first_seen) {
    if (!r.get(n) || n > kMaxEntries) return nullptr;
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string value;
      std::int64_t since = 0;
      if (!r.get_string(value) || !r.get(since)) return nullptr;
      set.emplace(std::move(value), since);
    }
  }
  if (!r.get(n) || n > kMaxEntries) return nullptr;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string feature;
    PrincipalProfile::Quiet quiet;
    if (!r.get_string(feature) || !r.get(quiet.until_ms) || !r.get(quiet.severity) || quiet.severity > 3) return nullptr;
    p->quiet.emplace(std::move(feature), quiet);
  }
  for (double v : p->minute_values)
    if (!std::isfinite(v)) return nullptr;
  for (double v : p->day_values)
    if (!std::isfinite(v)) return nullptr;
  if (!r.at_end()) return nullptr;
  return p;
}

}  // namespace dynaudit::analytics
