// Appending to and reading the witness file (see witness_file.hpp).
#include "storage/witness_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dynaudit::storage {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, std::string_view bytes, std::size_t& written) {
  written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

// So that the file's name survives a crash right after it was created.
void sync_parent_folder(const std::string& path) {
  auto folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// True when the file's last byte is not a newline (a line cut short).
bool ends_torn(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return false;
  char last = '\n';
  return ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

}  // namespace

std::unique_ptr<WitnessFile> WitnessFile::open(const std::string& path, std::string& error, std::string* warning) {
  const bool existed = std::filesystem::exists(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = errno_text("cannot open the witness file " + path);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "the witness file " + path + " is not a regular file";
    return nullptr;
  }
  // An append-only file (chattr +a) or one owned by someone else refuses
  // chmod; it still witnesses, so only say so.
  if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0 && warning) {
    *warning = errno_text("the witness file " + path + " is readable by others and cannot be made private");
  }
  if (!existed) sync_parent_folder(path);
  std::unique_ptr<WitnessFile> file(new WitnessFile(fd, path));
  // Reading needs another descriptor: this one is write-only.
  const int reader = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (reader >= 0) {
    file->torn_ = ends_torn(reader);
    ::close(reader);
  }
  return file;
}

WitnessFile::~WitnessFile() { ::close(fd_); }

// Appending to a file that is no longer at the path would witness for no
// one: whoever removed it gets a new one there, and the writer logs it.
bool WitnessFile::reopen_if_replaced(std::string& error) {
  struct stat held {};
  struct stat named {};
  if (::fstat(fd_, &held) != 0) return true;  // the write will tell
  if (::stat(path_.c_str(), &named) == 0 && named.st_ino == held.st_ino && named.st_dev == held.st_dev) return true;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = errno_text("the witness file " + path_ + " was removed or replaced, and cannot be created again");
    return false;
  }
  sync_parent_folder(path_);
  ::close(fd_);
  fd_ = fd;
  torn_ = false;
  replaced_ = true;
  return true;
}

bool WitnessFile::append(std::string_view line, std::string& error) {
  if (!reopen_if_replaced(error)) return false;
  std::string bytes;
  bytes.reserve(line.size() + 2);
  if (torn_) bytes += '\n';
  bytes += line;
  bytes += '\n';
  struct stat before {};
  const bool sized = ::fstat(fd_, &before) == 0;
  std::size_t written = 0;
  if (!write_all(fd_, bytes, written)) {
    error = errno_text("cannot write the witness file " + path_);
    // Part of the line may be there (a full disk): take it back, or, where
    // the file refuses that (chattr +a), end it before the next line.
    if (written != 0 && !(sized && ::ftruncate(fd_, before.st_size) == 0)) torn_ = true;
    return false;
  }
  torn_ = false;
  if (::fdatasync(fd_) != 0) {
    error = errno_text("cannot sync the witness file " + path_);
    return false;
  }
  return true;
}

bool read_witness(const std::string& path, const std::function<void(const WitnessEntry&)>& each,
                  std::vector<WitnessReadIssue>& issues, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the witness file " + path;
    return false;
  }
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (in.eof()) {  // no newline after it: a write cut short
      if (!line.empty()) issues.push_back({number, "cut short (no newline at the end)"});
      break;
    }
    if (line.empty()) continue;
    auto entry = parse_witness_line(line);
    if (!entry) {
      issues.push_back({number, "not a witness entry"});
      continue;
    }
    entry->line = number;
    each(*entry);
  }
  if (in.bad()) {
    error = "cannot read the witness file " + path;
    return false;
  }
  return true;
}

std::optional<WitnessEntry> newest_witness_entry(const std::string& path, std::string& error) {
  error.clear();
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    if (std::filesystem::exists(path)) error = "cannot read the witness file " + path;
    return std::nullopt;
  }
  std::streamoff start = in.tellg();  // the tail read so far begins here
  constexpr std::streamoff kChunk = 64 * 1024;
  std::string tail;
  // Distance from the end of the file to the newline that ends the next
  // line to try; bytes after the last newline are a torn write, not a line.
  std::optional<std::size_t> end_from_back;
  while (start > 0) {
    const std::streamoff from = start > kChunk ? start - kChunk : 0;
    std::string chunk(static_cast<std::size_t>(start - from), '\0');
    in.seekg(from);
    if (!in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
      error = "cannot read the witness file " + path;
      return std::nullopt;
    }
    tail = chunk + tail;
    start = from;
    if (!end_from_back) {
      const std::size_t newline = tail.rfind('\n');
      if (newline == std::string::npos) continue;
      end_from_back = tail.size() - newline;
    }
    for (;;) {
      const std::size_t end = tail.size() - *end_from_back;
      const std::size_t begin = end == 0 ? std::string::npos : tail.rfind('\n', end - 1);
      if (begin == std::string::npos && start != 0) break;  // the line began in an earlier chunk
      const std::size_t line_start = begin == std::string::npos ? 0 : begin + 1;
      if (auto entry = parse_witness_line(std::string_view(tail).substr(line_start, end - line_start))) return entry;
      if (begin == std::string::npos) return std::nullopt;
      end_from_back = tail.size() - begin;
    }
  }
  return std::nullopt;
}

}  // namespace dynaudit::storage
