// The file that keeps the count of unrecorded calls (see unrecorded_calls.hpp).
#include "storage/unrecorded_calls.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/json_text.hpp"

namespace dynaudit::storage {
namespace {

// One sector: a write this small and aligned is not torn by a crash on the
// disks we know, and it never grows the file.
constexpr std::size_t kFileSize = 128;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string content_of(const UnrecordedCalls& calls) {
  std::string text = "{\"unrecordedCalls\":" + std::to_string(calls.count) +
                     ",\"firstUnrecordedMs\":" + std::to_string(calls.first_ms) +
                     ",\"lastUnrecordedMs\":" + std::to_string(calls.last_ms) + "}";
  text.resize(kFileSize - 1, ' ');
  text += '\n';
  return text;
}

std::optional<UnrecordedCalls> parse(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\0')) text.remove_suffix(1);
  UnrecordedCalls calls;
  json::Cursor cursor(text);
  if (cursor.literal("{\"unrecordedCalls\":") && cursor.uint64(calls.count) &&
      cursor.literal(",\"firstUnrecordedMs\":") && cursor.int64(calls.first_ms) &&
      cursor.literal(",\"lastUnrecordedMs\":") && cursor.int64(calls.last_ms) && cursor.literal("}") &&
      cursor.at_end())
    return calls;
  return std::nullopt;
}

bool read_fd(int fd, std::string& text) {
  char buffer[4096];
  text.clear();
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > 64 * 1024) return true;  // not ours; parse() refuses it
  }
}

bool pwrite_all(int fd, const std::string& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + written, bytes.size() - written, static_cast<off_t>(written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<std::size_t>(n);
  }
  return true;
}

void sync_parent_folder(const std::string& path) {
  auto folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string default_unrecorded_file(const std::string& store_path, const std::string& witness_file) {
  if (!witness_file.empty()) return witness_file + ".unrecorded";
  std::filesystem::path store(store_path);
  if (!store.has_filename()) store = store.parent_path();  // "audit/" names the folder "audit"
  return store.string() + ".unrecorded";
}

std::optional<UnrecordedCalls> read_unrecorded_file(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return UnrecordedCalls{};
    error = errno_text("cannot read " + path);
    return std::nullopt;
  }
  std::string text;
  const bool read = read_fd(fd, text);
  ::close(fd);
  if (!read) {
    error = errno_text("cannot read " + path);
    return std::nullopt;
  }
  auto calls = parse(text);
  if (!calls) error = path + " does not hold a count of unrecorded calls";
  return calls;
}

std::unique_ptr<UnrecordedCallsFile> UnrecordedCallsFile::open(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = errno_text("cannot open " + path);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = path + " is not a regular file";
    return nullptr;
  }
  if ((st.st_mode & 077) != 0) ::fchmod(fd, 0600);  // it says when the store failed: private like the store
  std::unique_ptr<UnrecordedCallsFile> file;
  if (st.st_size == 0) {
    // New (or created by a crash before its first write): a count of 0,
    // written now so that later writes only overwrite.
    file.reset(new UnrecordedCallsFile(fd, path, UnrecordedCalls{}));
    if (!file->write(UnrecordedCalls{}, error)) return nullptr;
    sync_parent_folder(path);
    return file;
  }
  std::string text;
  if (!read_fd(fd, text)) {
    error = errno_text("cannot read " + path);
    ::close(fd);
    return nullptr;
  }
  const auto calls = parse(text);
  if (!calls) {
    ::close(fd);
    error = path + " does not hold a count of unrecorded calls (" + std::to_string(text.size()) +
            " bytes). It records calls dynaudit forwarded while its audit store could not write; find them in "
            "dynaudit's log (\"audit record not written\"), then remove the file to start";
    return nullptr;
  }
  file.reset(new UnrecordedCallsFile(fd, path, *calls));
  if (text.size() != kFileSize) {
    // Give it its fixed size, so that later writes only overwrite.
    if (!file->write(*calls, error)) return nullptr;
    if (::ftruncate(fd, static_cast<off_t>(kFileSize)) != 0) {
      error = errno_text("cannot write " + path);
      return nullptr;
    }
  }
  return file;
}

UnrecordedCallsFile::~UnrecordedCallsFile() { ::close(fd_); }

bool UnrecordedCallsFile::write(const UnrecordedCalls& calls, std::string& error, bool sync) {
  if (!pwrite_all(fd_, content_of(calls)) || (sync && ::fdatasync(fd_) != 0)) {
    error = errno_text("cannot write " + path_);
    return false;
  }
  return true;
}

}  // namespace dynaudit::storage
