// JSON-lines file sink (see file_sink.hpp).
#include "alerts/file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dynaudit::alerts {

FileAppender::FileAppender(std::string path) : path_(std::move(path)) {}

FileAppender::~FileAppender() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileAppender::open_file(std::string& error) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    error = std::string("open: ") + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    error = std::string("fstat: ") + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return true;
}

bool FileAppender::rotated() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return true;  // moved or deleted
  return st.st_ino != ino_ || st.st_dev != dev_;
}

DeliveryResult FileAppender::append(std::string_view line) {
  DeliveryResult result;
  result.retryable = true;
  if (fd_ < 0 || rotated()) {
    if (!open_file(result.error)) return result;
  }
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = std::string("write: ") + std::strerror(errno);
      ::close(fd_);  // reopen next time (the disk may have been fixed)
      fd_ = -1;
      return result;
    }
    written += static_cast<std::size_t>(n);  // a short write: finish the line
  }
  result.ok = true;
  result.retryable = false;
  return result;
}

}  // namespace dynaudit::alerts
