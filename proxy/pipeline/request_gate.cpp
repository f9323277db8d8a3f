// See request_gate.hpp.
#include "proxy/pipeline/request_gate.hpp"

#include <string>

#include "aws/header_lookup.hpp"
#include "proxy/auth/aws_imports.hpp"

namespace dynaudit::proxy {

std::optional<ddb::DdbError> refuse_duplicate_headers(const RequestView& request) {
  for (const std::string_view name : kSingletonHeaders) {
    int seen = 0;
    for (const HeaderView& header : request.headers) {
      if (!aws::http::iequals(header.name, name)) continue;
      if (++seen > 1) {
        return ddb::DdbError{ddb::ErrorKind::validation,
                             "The request carries more than one " + std::string(header.name) +
                                 " header; dynaudit refuses an ambiguous request"};
      }
    }
  }
  return std::nullopt;
}

std::optional<ddb::DdbError> refuse_target_not_a_path(const RequestView& request) {
  if (request.target.starts_with('/')) return std::nullopt;
  return ddb::DdbError{ddb::ErrorKind::validation,
                       "The request-target must be a path beginning with '/'; dynaudit refuses any other form"};
}

std::optional<ddb::DdbError> refuse_method_not_post(const RequestView& request) {
  if (request.method == "POST") return std::nullopt;
  return ddb::DdbError{ddb::ErrorKind::validation, "DynamoDB calls are POST requests; dynaudit refuses any other method"};
}

std::optional<ddb::DdbError> refuse_unknown_operation(const ddb::RequestFacts* facts, bool forward_unknown) {
  if (forward_unknown) return std::nullopt;
  if (facts && facts->info) return std::nullopt;
  return ddb::DdbError{ddb::ErrorKind::unknown_operation, ""};
}

}  // namespace dynaudit::proxy
