// Reads the credentials document served by the ECS container endpoint and
// by IMDS. Parsed with simdjson's error-code API: a bad body is a value,
// never an exception.
#include <simdjson.h>

#include "aws/credential_sources.hpp"
#include "aws/time_format.hpp"

namespace dynaudit::aws::upstream {

CredentialResult parse_credentials_json(std::string_view body, const std::string& source_name) {
  CredentialResult result;
  result.source_name = source_name;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    result.error = source_name + ": credentials response is not a JSON object";
    return result;
  }
  auto field = [&](const char* name) -> std::optional<std::string> {
    std::string_view v;
    if (doc[name].get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
    return std::string(v);
  };
  // IMDS sets Code; anything but Success means the role's credentials are
  // not usable (e.g. the instance profile is being re-associated).
  if (auto code = field("Code"); code && *code != "Success") {
    result.error = source_name + ": credentials response has Code '" + *code + "'";
    return result;
  }
  auto access_key = field("AccessKeyId");
  auto secret = field("SecretAccessKey");
  if (!access_key || access_key->empty() || !secret || secret->empty()) {
    result.error = source_name + ": credentials response lacks AccessKeyId or SecretAccessKey";
    return result;
  }
  AwsCredentials creds;
  creds.access_key_id = std::move(*access_key);
  creds.secret_access_key = std::move(*secret);
  creds.session_token = field("Token").value_or("");
  if (auto expiration = field("Expiration")) {
    creds.expiration = time_format::parse_iso8601(*expiration);
    if (!creds.expiration) {
      result.error = source_name + ": credentials response has an unreadable Expiration '" +
                     *expiration + "'";
      return result;
    }
  }
  result.credentials = std::move(creds);
  return result;
}

}  // namespace dynaudit::aws::upstream
