// The calls that have gone to the upstream and have no record yet. Each
// lives in its handler's coroutine frame from forwarding until its record is
// queued; when a shutdown's drain deadline stops the workers in between, the
// server takes what is left and records each call, outcome unknown, before
// the store closes (AuditSink::record_cut_short_calls). Shared by the
// workers: a short lock to enter and to leave, nothing allocated.
#pragma once

#include <mutex>
#include <vector>

#include "storage/audit_event.hpp"

namespace dynaudit::proxy {

class ForwardedCalls;

class ForwardedCall {
 public:
  // `describe` builds the call's record as far as it is known; it must live
  // as long as this object (a lambda beside it in the same frame). Not
  // tracked when `registry` is null (the call gets no record anyway).
  template <class Describe>
  ForwardedCall(ForwardedCalls* registry, const Describe& describe)
      : describe_(&describe), build_([](const void* d) { return (*static_cast<const Describe*>(d))(); }) {
    enter(registry);
  }
  ~ForwardedCall() { settle(); }
  ForwardedCall(const ForwardedCall&) = delete;
  ForwardedCall& operator=(const ForwardedCall&) = delete;

  // The upstream answered (or failed): the pipeline records the call itself.
  void settle();
  storage::AuditEvent describe() const { return build_(describe_); }

 private:
  friend class ForwardedCalls;
  void enter(ForwardedCalls* registry);

  ForwardedCalls* registry_ = nullptr;  // null once settled or taken
  const void* describe_;
  storage::AuditEvent (*build_)(const void*);
  ForwardedCall* previous_ = nullptr;
  ForwardedCall* next_ = nullptr;
};

class ForwardedCalls {
 public:
  // Every call still waiting for the upstream; each is settled by this, so
  // its frame's end does not touch the registry again. Call only once the
  // workers have stopped, so that no frame resumes while it is read.
  std::vector<ForwardedCall*> take_all();

 private:
  friend class ForwardedCall;
  std::mutex mutex_;
  ForwardedCall* first_ = nullptr;
};

}  // namespace dynaudit::proxy
