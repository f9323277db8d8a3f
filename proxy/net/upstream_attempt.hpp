// What happened on one try of sending a request to the upstream, and when a
// request may be sent a second time. Shared by the pool, which fills it, and
// the audit record, which keeps it; no sockets here.
#pragma once

#include <string>

namespace dynaudit::proxy {

// When a request whose exchange failed may be sent a second time.
enum class Resend {
  // Only if not one byte of it was written: writes and unknown operations,
  // which the upstream may have executed if it read them.
  if_unsent,
  // Also if it was written but no answer came back (the connection closed or
  // was reset; never after a timeout): read-only operations.
  if_unanswered,
};

struct UpstreamAttempt {
  enum class Sent { none, partial, whole };
  enum class Result { response, connect_failed, closed, reset, timeout, failed };
  bool reused = false;     // an idle pooled connection, or a new one
  Sent sent = Sent::none;  // how much of the request was written to the socket
  Result result = Result::response;
  std::string error;       // the transport error; empty for a response
};

}  // namespace dynaudit::proxy
