// The witness file on disk: appended to with O_APPEND, one write(2) and one
// fdatasync per line, mode 0600; read back line by line (verify) or from
// its end (the newest entry, which `serve` checks at start).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/witness_entry.hpp"

namespace dynaudit::storage {

class WitnessFile {
 public:
  // Creates the file (mode 0600, its folder synced so the new name is
  // durable) or opens it to append. An existing file readable by others is
  // made 0600 when we may; `warning` says when we may not. A last line cut
  // short by a crash is ended with a newline so the next line stands alone.
  static std::unique_ptr<WitnessFile> open(const std::string& path, std::string& error,
                                           std::string* warning = nullptr);
  ~WitnessFile();
  WitnessFile(const WitnessFile&) = delete;
  WitnessFile& operator=(const WitnessFile&) = delete;

  // `line` and a newline in one write(2), then fdatasync. A short write is
  // taken back (or, where the file refuses, ended by the next append). If
  // the path no longer names the file we hold (removed, renamed, replaced),
  // a new file is started there first and `replaced()` says so once.
  bool append(std::string_view line, std::string& error);
  const std::string& path() const { return path_; }
  bool replaced() { return std::exchange(replaced_, false); }

 private:
  WitnessFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  bool reopen_if_replaced(std::string& error);
  int fd_;
  std::string path_;
  bool torn_ = false;
  bool replaced_ = false;
};

struct WitnessReadIssue {
  std::size_t line = 0;
  std::string problem;  // "not a witness entry", "cut short (no newline at the end)"
};

// Every entry in file order (entry.line set). Lines that are not entries are
// listed in `issues` and skipped. False, with `error`, if the file cannot be read.
bool read_witness(const std::string& path, const std::function<void(const WitnessEntry&)>& each,
                  std::vector<WitnessReadIssue>& issues, std::string& error);

// The last complete entry of the file, read from its end; nullopt when the
// file is missing or holds none (`error` stays empty), or with `error` set
// when it cannot be read. entry.line is 0 (unknown without reading it all).
std::optional<WitnessEntry> newest_witness_entry(const std::string& path, std::string& error);

}  // namespace dynaudit::storage
