// See query_credentials.hpp.
#include "proxy/auth/query_credentials.hpp"

#include "aws/header_lookup.hpp"
#include "proxy/auth/aws_imports.hpp"

namespace dynaudit::proxy {

namespace http = aws::http;  // header and query helpers (aws/header_lookup.hpp)

std::string without_query_credentials(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question));
  std::string_view query = target.substr(question + 1);
  std::string kept;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    // Judged by the decoded name, as the upstream would read it.
    const auto decoded = http::parse_query(pair);
    const std::string_view name = decoded.empty() ? std::string_view{} : std::string_view(decoded.front().first);
    if (name.size() >= 6 && http::iequals(name.substr(0, 6), "x-amz-")) continue;
    if (!kept.empty()) kept.push_back('&');
    kept.append(pair);
  }
  if (!kept.empty()) out.append("?").append(kept);
  return out;
}

}  // namespace dynaudit::proxy
