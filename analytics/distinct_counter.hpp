// DistinctCounter: a HyperLogLog sketch (2^10 one-byte registers, about 3 %
// standard error) of how many distinct items a principal touched in a window,
// in 1 KiB whatever the count. Inputs are already 64-bit hashes.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace dynaudit::analytics {

class DistinctCounter {
 public:
  static constexpr unsigned kBits = 10;
  static constexpr std::size_t kRegisters = std::size_t{1} << kBits;

  void add(std::uint64_t hash) {
    hash = mix(hash);
    const std::size_t index = hash >> (64 - kBits);
    const std::uint64_t rest = (hash << kBits) | (std::uint64_t{1} << (kBits - 1));
    const auto rank = static_cast<std::uint8_t>(std::countl_zero(rest) + 1);
    auto& reg = registers_[index];
    if (rank <= reg) return;
    // The estimate's sum is kept up to date here, so estimate() is O(1):
    // the analyser asks for it after every call that names an item.
    sum_ += std::ldexp(1.0, -rank) - std::ldexp(1.0, -reg);
    if (reg == 0) --zeros_;
    reg = rank;
  }

  double estimate() const {
    if (zeros_ == kRegisters) return 0;
    constexpr double m = kRegisters;
    const double alpha = 0.7213 / (1 + 1.079 / m);
    const double raw = alpha * m * m / sum_;
    if (raw <= 2.5 * m && zeros_) return m * std::log(m / static_cast<double>(zeros_));  // linear counting
    return raw;
  }

  void clear() {
    if (zeros_ == kRegisters) return;
    registers_.fill(0);
    sum_ = kRegisters;
    zeros_ = kRegisters;
  }
  bool empty() const { return zeros_ == kRegisters; }

  // For saving and loading (profile_codec.hpp).
  const std::array<std::uint8_t, kRegisters>& registers() const { return registers_; }
  // False (and left empty) when a register holds an impossible rank.
  bool restore(const std::array<std::uint8_t, kRegisters>& saved) {
    clear();
    for (std::size_t i = 0; i < kRegisters; ++i)
      if (saved[i] > 64 - kBits + 1) return false;
    registers_ = saved;
    sum_ = 0;
    zeros_ = 0;
    for (auto r : registers_) {
      sum_ += std::ldexp(1.0, -r);
      zeros_ += r == 0;
    }
    return true;
  }

 private:
  // splitmix64's finaliser: FNV hashes of similar keys differ in few bits.
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  std::array<std::uint8_t, kRegisters> registers_{};
  double sum_ = kRegisters;  // sum of 2^-register
  std::size_t zeros_ = kRegisters;
};

}  // namespace dynaudit::analytics
