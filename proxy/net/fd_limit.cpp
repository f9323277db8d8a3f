// Raising and reading the open-file limit; see fd_limit.hpp.
#include "proxy/net/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dynaudit::proxy {

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit result;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::strerror(errno);
    return result;
  }
  result.was = limit.rlim_cur;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {
    // setrlimit refuses more than fs.nr_open.
    std::ifstream nr_open("/proc/sys/fs/nr_open");
    unsigned long long most = 0;
    target = (nr_open >> most && most > 0) ? static_cast<rlim_t>(most) : static_cast<rlim_t>(1 << 20);
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    limit.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) result.error = std::strerror(errno);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  result.soft = limit.rlim_cur;
  result.hard = limit.rlim_max;
  return result;
}

std::uint64_t open_file_count() {
  std::error_code ec;
  std::uint64_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++count;
  return count > 0 ? count - 1 : 0;  // the iterator's own descriptor
}

}  // namespace dynaudit::proxy
