// The process's open-file limit: raised at start from the soft limit to
// the hard one (the soft default, often 1024, is what a large store and
// many connections run into first; the hard limit is what the operator
// allows), and read back for the start-up log and the admin endpoint.
#pragma once

#include <cstdint>
#include <string>

namespace dynaudit::proxy {

struct OpenFileLimit {
  std::uint64_t soft = 0;  // after raising
  std::uint64_t hard = 0;
  std::uint64_t was = 0;   // the soft limit before
  std::string error;       // why it could not be raised, if it could not
};

// Sets RLIMIT_NOFILE's soft limit to its hard limit (capped at what the
// kernel allows one process, fs.nr_open, when the hard limit is infinite).
OpenFileLimit raise_open_file_limit();

// Descriptors this process has open now (entries of /proc/self/fd).
std::uint64_t open_file_count();

}  // namespace dynaudit::proxy
