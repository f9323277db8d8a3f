// Verifies a caller's SigV4 signature against the proxy's CredentialStore,
// in the order DynamoDB checks and with the messages DynamoDB answers, so
// that SDKs behave against dynaudit exactly as they do against AWS. The
// order and wording follow responses recorded from DynamoDB (the same ones
// dynalite documents).
#include "proxy/auth/sigv4_verifier.hpp"

#include <algorithm>

#include "aws/header_lookup.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "aws/time_format.hpp"

namespace dynaudit::proxy {

namespace http = aws::http;  // header and query helpers (aws/header_lookup.hpp)
namespace {

using ddb::DdbError;
using ddb::ErrorKind;
using std::chrono::system_clock;

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";

VerifyResult fail(ErrorKind kind, std::string message, std::string claimed = {}) {
  VerifyResult r;
  r.error = DdbError{kind, std::move(message)};
  r.claimed_access_key_id = std::move(claimed);
  return r;
}

// "5 min." as AWS words the window; a window that is not whole minutes
// (only possible through configuration) is given in seconds.
std::string describe_window(std::chrono::seconds window) {
  if (window.count() % 60 == 0) return std::to_string(window.count() / 60) + " min.";
  return std::to_string(window.count()) + " sec.";
}

bool has_query_auth(std::string_view target) {
  for (const auto& [key, value] : http::parse_query(http::split_target(target).query))
    if (key == "X-Amz-Algorithm") return true;
  return false;
}

bool lists(const std::vector<std::string>& signed_headers, std::string_view name) {
  return std::any_of(signed_headers.begin(), signed_headers.end(),
                     [&](const std::string& h) { return http::iequals(h, name); });
}

// The request time: X-Amz-Date in SigV4 basic format, else Date, which
// botocore sends as an HTTP date when the request already carried one.
struct RequestTime {
  std::string_view raw;
  bool from_amz_date_header = false;
};

std::optional<std::chrono::sys_seconds> parse_request_time(const RequestTime& t) {
  if (auto parsed = sigv4::parse_amz_date(t.raw)) return parsed;
  if (!t.from_amz_date_header) return time_format::parse_http_date(t.raw);
  return std::nullopt;
}

}  // namespace

SigV4Verifier::SigV4Verifier(std::shared_ptr<const CredentialStore> store, VerifierSettings settings)
    : store_(std::move(store)), settings_(std::move(settings)) {}

// Everything DynamoDB refuses before it needs the secret: the form of the
// Authorization header, the date and its skew, the signed headers DynamoDB
// insists on, the credential scope. Trust mode stops here; verify mode goes
// on to the key and the signature. On success `claim` holds the parsed
// header and the request's date in SigV4 form.
VerifyResult SigV4Verifier::check_claim(const RequestView& request, system_clock::time_point now, bool verifying,
                                        Claim& claim) const {
  const auto authorization = http::find_header(request, "authorization");
  const bool query_auth = has_query_auth(request.target);

  // The audit record names the key a rejected caller claimed, even when the
  // header is too broken to parse.
  const std::string best_effort_key = trusted_principal(request).access_key_id;
  if (authorization && query_auth) {
    return fail(ErrorKind::invalid_signature,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
                "header.",
                best_effort_key);
  }
  // AWS answers "missing token" also for an Authorization header of another
  // scheme (Basic, Bearer, SigV2): it never got as far as SigV4.
  if (!authorization || http::trim(*authorization).substr(0, 5) != "AWS4-") {
    if (!query_auth)
      return fail(ErrorKind::missing_authentication_token, "Request is missing Authentication Token");
    // Presigned (query-string) requests: no SDK presigns DynamoDB calls, and
    // accepting them would let a URL leaked into a log replay a write. Refuse
    // them with the error AWS gives for an unusable query signature.
    return fail(ErrorKind::incomplete_signature,
                "Query-string authentication is not supported by this endpoint; sign with the "
                "Authorization header.");
  }

  RequestTime time;
  if (auto amz_date = http::find_header(request, "x-amz-date")) {
    time = {http::trim(*amz_date), true};
  } else if (auto date = http::find_header(request, "date")) {
    time = {http::trim(*date), false};
  }
  const bool has_date = !time.raw.empty();

  sigv4::AuthorizationParse parsed = sigv4::parse_authorization(*authorization, has_date);
  if (!parsed.header) return fail(ErrorKind::incomplete_signature, std::move(parsed.error), best_effort_key);
  claim.auth = std::move(*parsed.header);
  const sigv4::AuthorizationHeader& auth = claim.auth;
  const std::string& claimed = auth.access_key_id;

  const auto request_time = parse_request_time(time);
  if (!request_time) {
    return fail(ErrorKind::incomplete_signature,
                "Date must be in ISO-8601 'basic format'. Got '" + std::string(time.raw) +
                    "'. See http://en.wikipedia.org/wiki/ISO_8601",
                claimed);
  }
  claim.amz_date = sigv4::format_amz_date(*request_time);
  const std::string& amz_date = claim.amz_date;
  // Exactly max_clock_skew away is still accepted; one second more is not.
  // Compared in whole seconds (the request time is whole seconds, and
  // converting it to `now`'s nanoseconds would overflow past 2262): for a
  // whole r, r < x exactly when r < ceil(x), and r > x when r > floor(x).
  using std::chrono::ceil;
  using std::chrono::floor;
  using std::chrono::seconds;
  if (*request_time < ceil<seconds>(now - settings_.max_clock_skew)) {
    return fail(ErrorKind::invalid_signature,
                "Signature expired: " + amz_date + " is now earlier than " +
                    sigv4::format_amz_date(now - settings_.max_clock_skew) + " (" +
                    sigv4::format_amz_date(now) + " - " + describe_window(settings_.max_clock_skew) + ")",
                claimed);
  }
  if (*request_time > floor<seconds>(now + settings_.max_clock_skew)) {
    return fail(ErrorKind::invalid_signature,
                "Signature not yet current: " + amz_date + " is still later than " +
                    sigv4::format_amz_date(now + settings_.max_clock_skew) + " (" +
                    sigv4::format_amz_date(now) + " + " + describe_window(settings_.max_clock_skew) + ")",
                claimed);
  }

  if (!lists(auth.signed_headers, "host")) {
    return fail(ErrorKind::invalid_signature,
                "'Host' must be a 'SignedHeader' in the AWS Authorization.", claimed);
  }
  if (verifying) {
    // The date is part of the string to sign anyway, but an unsigned date
    // header could be swapped by an intermediary without the verifier seeing
    // the request the client meant; every SDK signs it.
    if (!lists(auth.signed_headers, time.from_amz_date_header ? "x-amz-date" : "date")) {
      return fail(ErrorKind::invalid_signature,
                  time.from_amz_date_header
                      ? "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
                      : "'Date' must be a 'SignedHeader' in the AWS Authorization.",
                  claimed);
    }

    // X-Amz-Target names the operation the rules judge. Unsigned, it could be
    // changed in flight after the caller signed (the signature would still
    // hold), so a verified call must cover it. Every SDK signs it; DynamoDB
    // itself does not insist, which is why this is the proxy's own message.
    if (http::find_header(request, "x-amz-target") && !lists(auth.signed_headers, "x-amz-target")) {
      return fail(ErrorKind::invalid_signature,
                  "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.", claimed);
    }
  }

  // AWS reports every scope problem at once, in this order.
  std::string scope_errors;
  auto add_scope_error = [&](std::string sentence) {
    if (!scope_errors.empty()) scope_errors.push_back(' ');
    scope_errors += sentence;
  };
  const auto& regions = settings_.allowed_regions;
  if (auth.region.empty() ||
      (!regions.empty() && std::find(regions.begin(), regions.end(), auth.region) == regions.end()))
    add_scope_error("Credential should be scoped to a valid region, not '" + auth.region + "'.");
  if (auth.service != settings_.service)
    add_scope_error("Credential should be scoped to correct service: '" + settings_.service + "'.");
  if (auth.terminator != "aws4_request")
    add_scope_error("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                    auth.terminator + "'.");
  if (auth.date != std::string_view(amz_date).substr(0, 8))
    add_scope_error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        auth.date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
  if (!scope_errors.empty()) return fail(ErrorKind::invalid_signature, std::move(scope_errors), claimed);

  VerifyResult ok;
  ok.claimed_access_key_id = claimed;
  return ok;
}

// DynamoDB hashes the body it received. A client that also sends
// x-amz-content-sha256 (the JS SDK does) signed with that header's value as
// the payload hash, so a header that disagrees with the body means the body
// was altered: AWS sees it as a plain signature mismatch, and so do we.
// Returns the body's hash, or nothing when the header disagrees.
std::optional<std::string> SigV4Verifier::payload_hash_of(const RequestView& request) {
  std::string payload_hash = sigv4::hex(sigv4::sha256(request.body));
  if (auto declared = http::find_header(request, "x-amz-content-sha256")) {
    if (!sigv4::constant_time_equal(http::to_lower(http::trim(*declared)), payload_hash)) return std::nullopt;
  }
  return payload_hash;
}

VerifyResult SigV4Verifier::verify(const RequestView& request, system_clock::time_point now) const {
  Claim claim;
  VerifyResult checked = check_claim(request, now, true, claim);
  if (checked.error) return checked;
  const sigv4::AuthorizationHeader& auth = claim.auth;
  const std::string& claimed = auth.access_key_id;

  const IssuedKey* key = store_ ? store_->find(auth.access_key_id) : nullptr;
  if (key == nullptr) return fail(ErrorKind::unrecognized_client, std::string(kInvalidToken), claimed);

  // The declared payload hash is checked first only to skip the HMAC.
  const auto payload_hash = payload_hash_of(request);
  if (!payload_hash) return fail(ErrorKind::invalid_signature, std::string(kSignatureMismatch), claimed);

  const std::string canonical = sigv4::canonical_request(request, auth.signed_headers, *payload_hash);
  const std::string scope = sigv4::credential_scope(auth.date, auth.region, auth.service);
  const sigv4::Digest signing_key =
      key_cache_.get(key->secret_access_key, auth.date, auth.region, auth.service);
  const std::string expected = sigv4::hex(sigv4::hmac_sha256(
      std::string_view(reinterpret_cast<const char*>(signing_key.data()), signing_key.size()),
      sigv4::string_to_sign(claim.amz_date, scope, canonical)));
  if (!sigv4::constant_time_equal(expected, auth.signature))
    return fail(ErrorKind::invalid_signature, std::string(kSignatureMismatch), claimed);

  // The session token is checked after the signature, as AWS does; AWS's
  // message here lacks the final period, and so does ours.
  const auto token = http::find_header(request, "x-amz-security-token");
  const std::string_view sent_token = token ? http::trim(*token) : std::string_view{};
  if (!sigv4::constant_time_equal(sent_token, key->session_token)) {
    return fail(ErrorKind::unrecognized_client,
                "The security token included in the request is invalid", claimed);
  }

  VerifyResult ok;
  ok.claimed_access_key_id = claimed;
  ok.principal = Principal{key->access_key_id, key->principal_name, key->groups, AuthMode::verify, true};
  return ok;
}

VerifyResult SigV4Verifier::check_unverified(const RequestView& request, system_clock::time_point now) const {
  Claim claim;
  VerifyResult checked = check_claim(request, now, false, claim);
  if (checked.error) return checked;
  // A body that disagrees with its declared hash is refused without the
  // secret: DynamoDB would refuse the caller's signature over it.
  if (!payload_hash_of(request))
    return fail(ErrorKind::invalid_signature, std::string(kSignatureMismatch), claim.auth.access_key_id);
  VerifyResult ok;
  ok.claimed_access_key_id = claim.auth.access_key_id;
  ok.principal = Principal{claim.auth.access_key_id, claim.auth.access_key_id, {}, AuthMode::trust, false};
  return ok;
}

Principal trusted_principal(const RequestView& request) {
  Principal p;
  p.mode = AuthMode::trust;
  p.verified = false;
  if (auto authorization = http::find_header(request, "authorization")) {
    // Best effort: the key up to the first '/' after "Credential=", even
    // when the rest of the header would not parse.
    const std::string_view h = *authorization;
    if (const auto at = h.find("Credential="); at != std::string_view::npos) {
      const std::string_view rest = h.substr(at + 11);
      const auto end = rest.find_first_of("/, ");
      p.access_key_id = std::string(rest.substr(0, end));
    }
  }
  p.name = p.access_key_id;
  return p;
}

}  // namespace dynaudit::proxy
