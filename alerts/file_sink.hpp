// Appends lines to a file: O_APPEND, one write(2) per line (so concurrent
// writers never interleave within a line), and a new file once the old one
// was rotated away (renamed or deleted: path's inode/device differ from the
// open file's, checked with one stat(2) per line).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "alerts/sink.hpp"

namespace dynaudit::alerts {

class FileAppender {
 public:
  explicit FileAppender(std::string path);
  ~FileAppender();
  FileAppender(const FileAppender&) = delete;
  FileAppender& operator=(const FileAppender&) = delete;

  DeliveryResult append(std::string_view line);
  const std::string& path() const { return path_; }

 private:
  bool open_file(std::string& error);
  bool rotated() const;

  std::string path_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace dynaudit::alerts
