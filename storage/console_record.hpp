// What happens in the investigators' console, as audit records: a login
// (succeeded or refused), a logout, a reveal of sealed values (with the
// investigator's reason and the record revealed). eventName ConsoleLogin,
// ConsoleLogout or RevealSealedValues; identity type "dynaudit-console",
// principal "console:<user>"; the console's client address as the source.
// Only `serve` writes them (the console asks it on the admin listener), so
// they are chained and checkpointed with everything else, and searchable.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/audit_event.hpp"

namespace dynaudit::storage {

inline constexpr std::string_view kConsoleIdentityType = "dynaudit-console";

struct ConsoleAction {
  std::string kind;     // "login", "logout", "reveal"
  bool ok = true;       // false: refused (a failed login, a reveal not allowed)
  std::string user;
  std::string role;     // "viewer" | "investigator" ("" for an unknown user)
  std::string remote;   // the browser's address
  std::string reason;   // reveal: what the investigator typed
  std::string target;   // reveal: the eventID of the record revealed
};

// nullopt when `kind` is not one of the three.
std::optional<AuditEvent> make_console_record(const ConsoleAction& action);
// The action as the JSON the console sends, and back (nullopt: not valid).
std::string to_json(const ConsoleAction& action);
std::optional<ConsoleAction> console_action_from_json(std::string_view json);

}  // namespace dynaudit::storage
