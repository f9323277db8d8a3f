// The multi-producer queue between the proxy's threads and the audit writer
// thread. Bounded: a producer is refused at once rather than blocked, so a
// slow disk can never stall request handling. Only a writer asleep on the
// queue is woken: a producer that finds it awake (committing) just queues,
// so a busy store costs no futex call per record.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
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
      if (!writer_waiting_) return Push::queued;
    }
    ready_.notify_one();
    return Push::queued;
  }

  // Waits until something is queued, the queue is closed or `deadline`
  // passes, then moves up to `max` items into `out`. False once the queue is
  // closed and empty: the writer's signal to finish. With `linger`, a first
  // item found after sleeping is followed by up to `linger` of waiting
  // (without being woken) for others to join it, unless `max` are there.
  bool pop_batch(std::vector<PendingAppend>& out, std::size_t max,
                 std::optional<std::chrono::steady_clock::time_point> deadline,
                 std::chrono::microseconds linger = std::chrono::microseconds::zero()) {
    std::unique_lock lock(mutex_);
    const auto woken = [&] { return closed_ || !items_.empty(); };
    if (!woken()) {
      writer_waiting_ = true;
      if (deadline) {
        ready_.wait_until(lock, *deadline, woken);
      } else {
        ready_.wait(lock, woken);
      }
      writer_waiting_ = false;
      if (linger.count() > 0 && !closed_ && !items_.empty() && items_.size() < max) {
        lock.unlock();
        std::this_thread::sleep_for(linger);
        lock.lock();
      }
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

  // Records waiting for the writer (for /metrics).
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<PendingAppend> items_;
  bool closed_ = false;
  bool writer_waiting_ = false;  // in pop_batch's wait: the next push must wake it
};

}  // namespace dynaudit::storage
