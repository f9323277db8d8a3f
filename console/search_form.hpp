// The search page's form: what the URL's query string holds (so a search
// can be shared as a link) and the storage::AuditQuery it stands for. Times
// are ages ("24h") or RFC 3339 instants, as in `dynaudit audit query`.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <string_view>

#include "storage/audit_reader.hpp"

namespace dynaudit::console {

struct SearchForm {
  std::string since = "24h", until;
  std::string principal, table, operation, decision, error, rule, tag;
  // The page: records older than this (unix ms, sequence) — the last row
  // of the page before; newest first.
  std::optional<std::pair<std::int64_t, std::uint64_t>> before;

  static SearchForm parse(std::string_view query_string);
  // The query string of this search, for the page before `cursor` (none:
  // the first page).
  std::string query_string(std::optional<std::pair<std::int64_t, std::uint64_t>> cursor) const;
  // False (with `problem`) when a field cannot be read.
  bool to_query(storage::AuditQuery& q, std::chrono::system_clock::time_point now, std::string& problem) const;
};

// Form and query-string encoding.
std::string url_decode(std::string_view text);
std::string url_encode(std::string_view text);
// The value of `name` in an application/x-www-form-urlencoded body or a
// query string ("" when absent).
std::string form_value(std::string_view encoded, std::string_view name);

}  // namespace dynaudit::console
