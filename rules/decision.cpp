// Decision reset, LoadError formatting and source address parsing: the
// small pieces the proxy calls around evaluation.
#include <arpa/inet.h>

#include <cstring>

#include "rules/context.hpp"
#include "rules/decision.hpp"
#include "rules/load_error.hpp"

namespace dynaudit::rules {

void Decision::reset(Effect default_effect, AuditLevel default_audit) {
  effect = default_effect;
  determining = nullptr;
  denied_in_response = false;
  matched.clear();
  shadow.clear();
  shadow_effect = default_effect;
  shadow_determining = nullptr;
  alerts.clear();
  masks.clear();
  tags.clear();
  audit_level = default_audit;
}

std::string format(const LoadError& e) {
  if (e.file.empty() && e.line == 0) return e.message;  // a problem of the whole rule set
  std::string out = e.file;
  if (e.line > 0) {
    out += ':';
    out += std::to_string(e.line);
    if (e.column > 0) {
      out += ':';
      out += std::to_string(e.column);
    }
  }
  out += ": ";
  out += e.message;
  return out;
}

SourceAddress parse_source_address(std::string_view text) {
  SourceAddress a;
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return a;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    a.bytes[10] = 0xFF;
    a.bytes[11] = 0xFF;
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    a.valid = true;
  } else if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    a.valid = true;
  }
  return a;
}

}  // namespace dynaudit::rules
