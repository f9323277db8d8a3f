// The witness thread (see witness_writer.hpp).
#include "storage/witness_writer.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "storage/witness_file.hpp"

namespace dynaudit::storage {

struct WitnessWriter::Impl {
  WitnessWriterOptions options;
  std::unique_ptr<WitnessFile> file;  // the witness thread's alone once it runs
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::string> queue;
  bool stopping = false;
  std::thread thread;

  std::atomic<bool> healthy{true};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> failed_attempts{0};
  std::atomic<std::uint64_t> dropped{0};
  bool dropping = false;  // under mutex: a drop streak was logged

  void log(bool is_error, const std::string& message) {
    if (options.log) {
      options.log(is_error, message);
    } else {
      std::cerr << "dynaudit: audit witness: " << message << "\n";
    }
  }

  // One attempt at the head line; true once it is durable.
  bool write_line(const std::string& line) {
    std::string error;
    const bool appended = file->append(line, error);
    if (file->replaced()) {
      log(true, "the witness file " + options.path +
                    " was removed or replaced while in use: a new one was started; what the old one held is "
                    "not in it (keep it, or its copies, for verify)");
    }
    if (!appended) {
      ++failed_attempts;
      if (healthy.exchange(false)) log(true, error + "; retrying every " + std::to_string(options.retry_interval.count()) + " ms");
      return false;
    }
    ++written;
    if (!healthy.exchange(true)) {
      log(false, "the witness file " + options.path + " is written again (after " +
                     std::to_string(failed_attempts.load()) + " failed attempts so far)");
    }
    if (options.on_written) options.on_written(line);
    return true;
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and nothing left
      const std::string line = queue.front();
      lock.unlock();
      const bool ok = write_line(line);
      lock.lock();
      if (ok) {
        queue.pop_front();
        continue;
      }
      // At stop, one failed attempt is the last: what is left is lost (and
      // was logged as failing).
      if (stopping) {
        dropped += queue.size();
        queue.clear();
        return;
      }
      wake.wait_for(lock, options.retry_interval, [this] { return stopping; });
    }
  }
};

WitnessWriter::WitnessWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<WitnessWriter> WitnessWriter::open(WitnessWriterOptions options, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  std::string warning;
  impl->file = WitnessFile::open(impl->options.path, error, &warning);
  if (!impl->file) return nullptr;
  if (!warning.empty()) impl->log(true, warning);
  impl->thread = std::thread([raw = impl.get()] { raw->run(); });
  return std::unique_ptr<WitnessWriter>(new WitnessWriter(std::move(impl)));
}

WitnessWriter::~WitnessWriter() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool WitnessWriter::write_now(std::string_view line, std::string& error) {
  // Behind whatever is queued, so the witness stays in order.
  std::unique_lock lock(impl_->mutex);
  if (!impl_->queue.empty()) {
    error = "the witness has lines waiting to be written";
    return false;
  }
  if (!impl_->file->append(line, error)) {
    ++impl_->failed_attempts;
    return false;
  }
  ++impl_->written;
  lock.unlock();
  if (impl_->options.on_written) impl_->options.on_written(line);
  return true;
}

void WitnessWriter::submit(std::string line) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queue.size() >= impl_->options.max_queue) {
      ++impl_->dropped;
      if (!impl_->dropping) {
        impl_->dropping = true;
        impl_->log(true, "the witness queue is full (" + std::to_string(impl_->options.max_queue) +
                             " lines waiting): checkpoints are not being witnessed");
      }
      return;
    }
    impl_->dropping = false;
    impl_->queue.push_back(std::move(line));
  }
  impl_->wake.notify_one();
}

bool WitnessWriter::healthy() const { return impl_->healthy; }

WitnessWriterStats WitnessWriter::stats() const {
  return {impl_->written, impl_->failed_attempts, impl_->dropped, impl_->healthy};
}

}  // namespace dynaudit::storage
