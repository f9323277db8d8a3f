// `dynaudit audit show EVENT_ID`: one record, found by its eventID; with
// --reveal, also the clear values sealed in it (storage/value_seal.hpp),
// for whoever holds the seal key. The store is opened read-only, so a reveal
// cannot be recorded in it: each one writes a JSON line to stderr instead,
// the investigator's own trail.
#include <pwd.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/audit_subcommands.hpp"
#include "storage/json_text.hpp"
#include "storage/time_format.hpp"
#include "storage/value_seal.hpp"

namespace dynaudit::cli {
namespace {

// Compact JSON (as to_json writes it) indented two spaces a level, "key": value.
std::string pretty_json(std::string_view compact) {
  std::string out;
  out.reserve(compact.size() * 2);
  int depth = 0;
  bool in_string = false;
  const auto newline = [&] {
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  };
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < compact.size()) {
        out += compact[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out += compact[++i];  // {} and [] stay on one line
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The plaintext as compact JSON text, if it is JSON; numbers and strings are
// kept as written (only white space outside strings goes).
std::optional<std::string> compact_json(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  if (parser.parse(text).get(ignored) != simdjson::SUCCESS) return std::nullopt;
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(text.data(), text.size(), out.data(), length) != simdjson::SUCCESS) return std::nullopt;
  out.resize(length);
  return out;
}

std::string user_name() {
  if (const char* user = std::getenv("USER"); user && *user) return user;
  if (const passwd* entry = ::getpwuid(::geteuid())) return entry->pw_name;
  return {};
}

// One line on stderr for each reveal, whether the value opened or not.
void log_reveal(const storage::AuditEvent& event, const storage::SealKey& key, bool opened) {
  std::string line = "{\"event\":\"audit_reveal\",\"time\":";
  storage::json::append_string(line, storage::cloudtrail_time(storage::unix_ms(std::chrono::system_clock::now())));
  line += ",\"eventId\":";
  storage::json::append_string(line, event.event_id);
  line += ",\"sequence\":" + std::to_string(event.sequence) + ",\"keyId\":";
  storage::json::append_string(line, key.id);
  line += ",\"user\":";
  storage::json::append_string(line, user_name());
  line += ",\"uid\":" + std::to_string(::geteuid());
  line += opened ? ",\"outcome\":\"revealed\"}" : ",\"outcome\":\"failed\"}";
  std::cerr << line << std::endl;
}

std::optional<storage::SealKey> load_key(const ShowArgs& args) {
  std::string error;
  std::optional<storage::SealKey> key;
  if (!args.key_file.empty()) {
    std::string warning;
    key = storage::load_seal_key_file(args.key_file, error, &warning);
    if (key && !warning.empty()) report("warning: " + warning);
  } else {
    const char* text = std::getenv(args.key_env.c_str());
    if (!text || !*text) {
      report("--key-env " + args.key_env + ": the environment variable is not set");
      return std::nullopt;
    }
    key = storage::load_seal_key_text(text, error);
    if (!key) error = "--key-env " + args.key_env + ": " + error;
  }
  if (!key) report(error);
  return key;
}

}  // namespace

int run_show(const ShowArgs& args) {
  if (args.event_id.empty()) {
    report("show needs an EVENT_ID (the record's eventID)");
    return kAuditUsage;
  }
  if (args.format != "pretty" && args.format != "json") {
    report("--format must be pretty or json (got '" + args.format + "')");
    return kAuditUsage;
  }
  const bool has_key = !args.key_file.empty() || !args.key_env.empty();
  if (!args.reveal && has_key) {
    report("--key-file and --key-env go with --reveal");
    return kAuditUsage;
  }
  if (args.reveal && (args.key_file.empty() == args.key_env.empty())) {
    report("--reveal needs the seal key: --key-file FILE or --key-env VAR (one of them)");
    return kAuditUsage;
  }
  std::optional<storage::SealKey> key;
  if (args.reveal) {
    key = load_key(args);
    if (!key) return kAuditUsage;
  }

  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) return open_failure;
  std::string error;
  const auto event = reader->find_event(args.event_id, &error);
  if (!error.empty()) {
    report(error);
    return kAuditDamaged;
  }
  if (!event) {
    report("no record with eventID " + args.event_id);
    return kAuditDamaged;
  }

  std::string record = storage::to_json(*event);
  if (args.reveal) {
    if (event->sealed_values.empty()) {
      report("nothing sealed in this record");
      return kAuditDamaged;
    }
    if (!event->seal_key_id.empty() && event->seal_key_id != key->id) {
      report("record sealed with key " + event->seal_key_id + ", this key is " + key->id);
      return kAuditDamaged;
    }
    // AAD = eventID: a sealed value copied into another record does not open.
    const auto plaintext = storage::unseal_value(*key, event->sealed_values, event->event_id, error);
    log_reveal(*event, *key, plaintext.has_value());
    if (!plaintext) {
      report(error);
      return kAuditDamaged;
    }
    auto revealed = compact_json(*plaintext);
    if (!revealed) {
      report("warning: the revealed values are not JSON; shown as a string");
      revealed.emplace();
      storage::json::append_string(*revealed, *plaintext);
    }
    record.pop_back();  // the record's closing brace
    record += ",\"revealed\":" + *revealed + "}";
  }
  std::cout << (args.format == "pretty" ? pretty_json(record) : record) << "\n";
  return std::cout.flush() ? kAuditOk : kAuditDamaged;
}

}  // namespace dynaudit::cli
