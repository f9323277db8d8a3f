// Console actions as audit records (console_record.hpp).
#include "storage/console_record.hpp"

#include <simdjson.h>

#include "storage/json_text.hpp"

namespace dynaudit::storage {
namespace {

constexpr std::size_t kMaxField = 1024;  // a reason is a sentence, not a file

}  // namespace

std::string to_json(const ConsoleAction& a) {
  std::string out = "{\"kind\":";
  json::append_string(out, a.kind);
  out += ",\"ok\":";
  out += a.ok ? "true" : "false";
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"user", &a.user},
                                    {"role", &a.role}, {"remote", &a.remote}, {"reason", &a.reason},
                                    {"target", &a.target}}) {
    out += ",\"";
    out += name;
    out += "\":";
    json::append_string(out, *value);
  }
  return out + "}";
}

std::optional<ConsoleAction> console_action_from_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(text)).get(root)) return std::nullopt;
  ConsoleAction a;
  std::string_view v;
  bool ok = true;
  if (root["kind"].get(v)) return std::nullopt;
  a.kind = std::string(v);
  if (root["ok"].get(ok)) return std::nullopt;
  a.ok = ok;
  const auto text_field = [&](const char* name, std::string& out) {
    std::string_view value;
    if (root[name].get(value) || value.size() > kMaxField) return false;
    out = std::string(value);
    return true;
  };
  if (!text_field("user", a.user) || !text_field("role", a.role) || !text_field("remote", a.remote) ||
      !text_field("reason", a.reason) || !text_field("target", a.target))
    return std::nullopt;
  if (a.kind != "login" && a.kind != "logout" && a.kind != "reveal") return std::nullopt;
  if (a.user.empty()) return std::nullopt;
  return a;
}

std::optional<AuditEvent> make_console_record(const ConsoleAction& a) {
  AuditEvent e;
  if (a.kind == "login") e.event_name = "ConsoleLogin";
  else if (a.kind == "logout") e.event_name = "ConsoleLogout";
  else if (a.kind == "reveal") e.event_name = "RevealSealedValues";
  else return std::nullopt;
  e.event_id = new_event_id();
  e.event_time = std::chrono::system_clock::now();
  e.user_identity.type = std::string(kConsoleIdentityType);
  e.user_identity.principal_id = "console:" + a.user;
  e.user_identity.user_name = a.user;
  e.source_ip = a.remote;
  std::string p = "{\"role\":";
  json::append_string(p, a.role);
  if (a.kind == "reveal") {
    p += ",\"eventID\":";
    json::append_string(p, a.target);
    p += ",\"reason\":";
    json::append_string(p, a.reason);
  }
  p += '}';
  e.request_parameters_json = std::move(p);
  e.management_event = true;
  e.read_only = a.kind == "reveal";
  e.outcome = a.ok ? "allowed" : "refused";
  e.decision = a.ok ? "allow" : "deny";
  e.tags = {"console", "console:" + a.kind};
  return e;
}

}  // namespace dynaudit::storage
