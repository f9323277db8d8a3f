// WitnessWriter: appends witness lines on its own thread, so that a slow or
// failing witness (a network disk, a full one) never holds up the audit
// writer and the requests waiting on it. A failed line is retried every
// 500 ms until it is written; lines after it wait behind it (the witness
// stays in order), and beyond a bounded queue new lines are dropped and
// counted. healthy() is false from a failed write until one succeeds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dynaudit::storage {

struct WitnessWriterOptions {
  std::string path;
  // Runs on the witness thread after each line is durable.
  std::function<void(std::string_view line)> on_written;
  // Failures and recoveries, as one sentence; null: a line on stderr.
  std::function<void(bool is_error, const std::string& message)> log;
  std::size_t max_queue = 10'000;
  std::chrono::milliseconds retry_interval{500};
};

struct WitnessWriterStats {
  std::uint64_t written = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t dropped = 0;  // queue full
  bool healthy = true;
};

class WitnessWriter {
 public:
  static std::unique_ptr<WitnessWriter> open(WitnessWriterOptions options, std::string& error);
  // Writes what is queued while the file takes it, then stops.
  ~WitnessWriter();
  WitnessWriter(const WitnessWriter&) = delete;
  WitnessWriter& operator=(const WitnessWriter&) = delete;

  // On the caller's thread, waiting for the disk: for start-up, before the
  // store serves anything.
  bool write_now(std::string_view line, std::string& error);
  // Queues `line`; never blocks on I/O.
  void submit(std::string line);
  bool healthy() const;
  WitnessWriterStats stats() const;

 private:
  struct Impl;
  explicit WitnessWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynaudit::storage
