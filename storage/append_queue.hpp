// The multi-producer queue between the proxy's threads and the audit writer
// thread. Bounded: a producer is refused at once rather than blocked, so a
// slow disk can never stall request handling.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "storage/audit_event.hpp"
#include "storage/audit_store.hpp"

namespace dynaudit::storage {

struct PendingAppend {
  AuditEvent event;
  AppendCallback done;
};

class AppendQueue {
 public:
  enum class Push { queued, full, closed };

  explicit AppendQueue(std::size_t max_queue) : max_queue_(max_queue) {}

  // Moves from `item` only when it returns Push::queued.
  Push push(PendingAppend& item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Push::closed;
      if (items_.size() >= max_queue_) return Push::full;
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return Push::queued;
  }

  // Waits until something is queued, the queue is closed or `deadline`
  // passes, then moves up to `max` items into `out`. False once the queue is
  // closed and empty: the writer's signal to finish.
  bool pop_batch(std::vector<PendingAppend>& out, std::size_t max,
                 std::optional<std::chrono::steady_clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    const auto woken = [&] { return closed_ || !items_.empty(); };
    if (deadline) {
      ready_.wait_until(lock, *deadline, woken);
    } else {
      ready_.wait(lock, woken);
    }
    const std::size_t count = std::min(max, items_.size());
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return !(closed_ && items_.empty() && count == 0);
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  const std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<PendingAppend> items_;
  bool closed_ = false;
};

}  // namespace dynaudit::storage
