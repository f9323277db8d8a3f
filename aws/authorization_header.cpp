// Parser for the SigV4 `Authorization` header with DynamoDB's grammar and
// error wording, so that a malformed header earns the same
// IncompleteSignatureException text a client would get from AWS.
#include <algorithm>

#include "aws/header_lookup.hpp"
#include "aws/sigv4.hpp"

namespace dynaudit::aws::sigv4 {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The header is echoed back in some AWS messages; the caller's signature
// is not (it is replayable for the skew window), so any long hex run —
// which is what a signature is, whatever key it hides under — is masked.
std::string redacted(std::string_view header) {
  std::string out;
  out.reserve(header.size());
  std::size_t i = 0;
  while (i < header.size()) {
    std::size_t j = i;
    while (j < header.size() && is_hex(header[j])) ++j;
    if (j - i >= 32) {
      out.append("<redacted>");
      i = j;
    } else if (j > i) {
      out.append(header.substr(i, j - i));
      i = j;
    } else {
      out.push_back(header[i++]);
    }
  }
  return out;
}

std::vector<std::string_view> split_any(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find_first_of(separators, start);
    const std::string_view part = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

AuthorizationParse failure(std::string message) {
  AuthorizationParse p;
  p.error = std::move(message);
  return p;
}

}  // namespace

AuthorizationParse parse_authorization(std::string_view value) {
  return parse_authorization(value, /*request_has_date=*/true);
}

AuthorizationParse parse_authorization(std::string_view value, bool request_has_date) {
  const std::string_view header = http::trim(value);
  const auto space = header.find_first_of(" ,");
  const std::string_view algorithm = header.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? std::string_view{} : header.substr(space);

  // AWS tokenises on both ',' and ' ', so "a=1,b=2", "a=1, b=2" and even
  // "a=1 ,  b=2" are all accepted, in any order.
  std::string_view credential, signed_headers, signature;
  bool has_credential = false, has_signed_headers = false, has_signature = false;
  for (std::string_view pair : split_any(rest, ", ")) {
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return failure("'" + std::string(pair) +
                     "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                     redacted(header) + "'.");
    }
    const std::string_view key = pair.substr(0, eq);
    const std::string_view val = pair.substr(eq + 1);
    // Keys are case-sensitive at AWS ("credential=" is not "Credential=");
    // unknown keys are ignored, as AWS ignores them.
    if (key == "Credential") {
      credential = val;
      has_credential = !val.empty();
    } else if (key == "SignedHeaders") {
      signed_headers = val;
      has_signed_headers = true;  // an empty list is a later, different error
    } else if (key == "Signature") {
      signature = val;
      has_signature = !val.empty();
    }
  }

  std::string missing;
  if (!has_credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!has_signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!has_signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!request_has_date)
    missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  if (!missing.empty()) return failure(missing + "Authorization=" + redacted(header));

  if (algorithm != kAlgorithm) {
    return failure("Unsupported AWS 'algorithm': '" + std::string(algorithm) + "' (only " +
                   std::string(kAlgorithm) + " for now). ");
  }

  // Trailing slashes are ignored, as AWS does; otherwise exactly five parts.
  std::string_view scope = credential;
  while (!scope.empty() && scope.back() == '/') scope.remove_suffix(1);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto slash = scope.find('/', start);
    parts.push_back(scope.substr(start, slash == std::string_view::npos ? scope.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 5) {
    return failure(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(credential) + "'");
  }

  AuthorizationHeader h;
  h.access_key_id = parts[0];
  h.date = parts[1];
  h.region = parts[2];
  h.service = parts[3];
  h.terminator = parts[4];
  for (std::string_view name : split_any(signed_headers, ";")) h.signed_headers.emplace_back(name);
  h.signature = signature;
  AuthorizationParse p;
  p.header = std::move(h);
  return p;
}

}  // namespace dynaudit::aws::sigv4
