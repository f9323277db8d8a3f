// FUZZ_CHECK: the invariant check of the fuzz targets. A failed check prints
// the condition and its line before it traps, so that a crash found after
// hours of fuzzing says which promise broke without a debugger.
#pragma once

#include <cstdio>

namespace dynaudit::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, condition);
  __builtin_trap();
}

}  // namespace dynaudit::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::dynaudit::fuzz::check_failed(#condition, __FILE__, __LINE__))
