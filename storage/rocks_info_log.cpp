// A stdio logger for RocksDB's diagnostics (see rocks_info_log.hpp).
#include "storage/rocks_info_log.hpp"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace dynaudit::storage {
namespace {

constexpr long kMaxLogBytes = 4 << 20;

class StdioLogger : public rocksdb::Logger {
 public:
  explicit StdioLogger(std::string folder)
      : path_(std::move(folder) + "/LOG"), old_path_(path_ + ".old") {
    open();
  }
  ~StdioLogger() override {
    if (file_) std::fclose(file_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list arguments) override {
    std::lock_guard lock(mutex_);
    if (!file_ || std::ftell(file_) > kMaxLogBytes) roll();
    if (!file_) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &utc);
    std::fputs(stamp, file_);
    std::vfprintf(file_, format, arguments);
    std::fputc('\n', file_);
    // Errors (a full disk) are ignored on purpose: diagnostics must not
    // take the audit store down with them.
    std::fflush(file_);
    std::clearerr(file_);
  }

 private:
  void open() { file_ = std::fopen(path_.c_str(), "a"); }
  void roll() {
    if (file_) {
      std::fclose(file_);
      file_ = nullptr;
      std::rename(path_.c_str(), old_path_.c_str());
    }
    open();
  }

  std::mutex mutex_;
  const std::string path_;
  const std::string old_path_;
  std::FILE* file_ = nullptr;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& folder) {
  return std::make_shared<StdioLogger>(folder);
}

}  // namespace dynaudit::storage
