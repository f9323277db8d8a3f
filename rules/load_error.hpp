// LoadError: one problem found while loading a rule file, precise enough to
// fix without guessing: file, line, column, the key or value at fault.
#pragma once

#include <string>

namespace dynaudit::rules {

struct LoadError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem is the file as a whole
  int column = 0;  // 1-based; 0 when unknown
  std::string message;  // "unknown operation 'GetIten' (did you mean GetItem?)"
};

// "file:line:column: message" (line/column left out when unknown).
std::string format(const LoadError& error);

}  // namespace dynaudit::rules
