// What a rule is evaluated against: the request (facts, caller, source,
// transport, time) and, in the response phase, what the upstream answered.
// Plain views over values the proxy already holds; nothing is copied.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/request_facts.hpp"

namespace dynaudit::rules {

// A source address in network byte order; IPv4 is stored as v4-mapped IPv6
// so one CIDR matcher serves both families.
struct SourceAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool valid = false;
};
// "10.1.2.3", "::1", "::ffff:10.1.2.3"; invalid text gives valid == false.
SourceAddress parse_source_address(std::string_view text);

struct RequestContext {
  const ddb::RequestFacts* facts = nullptr;  // null when the call had no X-Amz-Target
  std::string_view principal;                // the principal name ("" when unknown)
  const std::vector<std::string>* groups = nullptr;
  SourceAddress source;
  bool tls = false;
  bool verified = false;  // SigV4 verified (verify mode)
  std::chrono::system_clock::time_point time{};
};

struct ResponseContext {
  unsigned status = 0;
  std::string_view error_type;      // short __type, "" on success
  std::uint64_t item_count = 0;     // items returned (Count, Items, Responses, ...)
  double consumed_capacity = 0;     // total CapacityUnits when the response reports it
  std::uint64_t bytes = 0;          // response body size
};

}  // namespace dynaudit::rules
