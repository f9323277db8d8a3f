// The search form (search_form.hpp).
#include "console/search_form.hpp"

#include "cli/audit_time.hpp"

namespace dynaudit::console {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Each>
void for_each_pair(std::string_view encoded, Each each) {
  while (!encoded.empty()) {
    const auto amp = encoded.find('&');
    const std::string_view pair = encoded.substr(0, amp);
    const auto eq = pair.find('=');
    each(url_decode(pair.substr(0, eq)), eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    encoded.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string form_value(std::string_view encoded, std::string_view name) {
  std::string found;
  bool seen = false;
  for_each_pair(encoded, [&](const std::string& key, const std::string& value) {
    if (!seen && key == name) found = value, seen = true;  // the first one counts
  });
  return found;
}

SearchForm SearchForm::parse(std::string_view query) {
  SearchForm f;
  for_each_pair(query, [&f](const std::string& key, const std::string& value) {
    if (key == "since") f.since = value;
    else if (key == "until") f.until = value;
    else if (key == "principal") f.principal = value;
    else if (key == "table") f.table = value;
    else if (key == "operation") f.operation = value;
    else if (key == "decision") f.decision = value;
    else if (key == "error") f.error = value;
    else if (key == "rule") f.rule = value;
    else if (key == "tag") f.tag = value;
    else if (key == "before") {
      // "<unix ms>.<sequence>"; anything else is the first page.
      const auto dot = value.find('.');
      std::int64_t ms = 0;
      std::uint64_t seq = 0;
      const auto digits = [](std::string_view t, auto& out) {
        if (t.empty() || t.size() > 18) return false;
        for (char c : t) {
          if (c < '0' || c > '9') return false;
          out = out * 10 + (c - '0');
        }
        return true;
      };
      if (dot != std::string::npos && digits(std::string_view(value).substr(0, dot), ms) &&
          digits(std::string_view(value).substr(dot + 1), seq))
        f.before = std::make_pair(ms, seq);
    }
  });
  return f;
}

std::string SearchForm::query_string(std::optional<std::pair<std::int64_t, std::uint64_t>> cursor) const {
  std::string out;
  const auto add = [&out](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    out += out.empty() ? "" : "&";
    out += std::string(key) + "=" + url_encode(value);
  };
  add("since", since);
  add("until", until);
  add("principal", principal);
  add("table", table);
  add("operation", operation);
  add("decision", decision);
  add("error", error);
  add("rule", rule);
  add("tag", tag);
  if (cursor) add("before", std::to_string(cursor->first) + "." + std::to_string(cursor->second));
  return out;
}

bool SearchForm::to_query(storage::AuditQuery& q, std::chrono::system_clock::time_point now,
                          std::string& problem) const {
  q = storage::AuditQuery{};
  std::string error_text;
  if (!since.empty()) {
    auto t = cli::parse_time_arg(since, now, error_text);
    if (!t) return problem = "since: " + error_text, false;
    q.since = *t;
  }
  if (!until.empty()) {
    auto t = cli::parse_time_arg(until, now, error_text);
    if (!t) return problem = "until: " + error_text, false;
    q.until = *t;
  }
  if (!decision.empty() && decision != "allow" && decision != "deny")
    return problem = "decision: allow or deny", false;
  const auto set = [](std::optional<std::string>& field, const std::string& value) {
    if (!value.empty()) field = value;
  };
  set(q.principal, principal);
  set(q.table, table);
  set(q.operation, operation);
  set(q.decision, decision);
  set(q.error_code, error);
  set(q.rule, rule);
  set(q.tag, tag);
  q.newest_first = true;
  q.before = before;
  return true;
}

}  // namespace dynaudit::console
