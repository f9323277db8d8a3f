// Case-insensitive access to the headers and query of a RequestView. HTTP
// header names arrive in any case (see DESIGN §6), so every lookup in the
// SigV4 code goes through here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/http_view.hpp"

namespace dynaudit::aws::http {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
// Strips spaces and tabs at both ends (HTTP optional whitespace).
std::string_view trim(std::string_view s);

// The first header named `name` (any case), untrimmed.
std::optional<std::string_view> find_header(const RequestView& request, std::string_view name);

// The path and query of a request-target; absolute-form targets
// ("http://host/p?q") are reduced to their path and query, and a fragment
// is dropped.
struct TargetParts {
  std::string_view path;
  std::string_view query;  // without '?'
};
TargetParts split_target(std::string_view target);

// `a=1&b=%20` -> {{"a","1"},{"b"," "}}: percent-decoded; '+' stays '+'
// (SigV4 treats the query as RFC 3986, where '+' is not a space). Empty
// pairs ("a=1&&b=2") are skipped, as every SDK does.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace dynaudit::aws::http
