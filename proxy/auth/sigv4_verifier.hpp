// SigV4Verifier: authenticates a caller's request exactly as DynamoDB would,
// against the proxy's CredentialStore, and answers the same errors DynamoDB
// answers (MissingAuthenticationToken, IncompleteSignature, InvalidSignature
// incl. "Signature expired", UnrecognizedClient). In trust mode it checks
// everything DynamoDB checks before it needs the secret, so that a call
// DynamoDB would refuse is not executed with the proxy's credentials.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/error_response.hpp"
#include "proxy/auth/credential_store.hpp"
#include "aws/http_view.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "proxy/auth/principal.hpp"
#include "aws/sigv4.hpp"

namespace dynaudit::proxy {

struct VerifierSettings {
  std::vector<std::string> allowed_regions;  // empty: any region
  std::string service = "dynamodb";
  std::chrono::seconds max_clock_skew{300};
};

struct VerifyResult {
  std::optional<Principal> principal;  // set on success
  std::optional<ddb::DdbError> error;  // set on failure
  std::string claimed_access_key_id;   // for the audit record, even on failure
};

class SigV4Verifier {
 public:
  // `store` may be null for a verifier used only by check_unverified.
  SigV4Verifier(std::shared_ptr<const CredentialStore> store, VerifierSettings settings);
  // Verify mode: the whole check, signature and session token included.
  VerifyResult verify(const RequestView& request, std::chrono::system_clock::time_point now) const;
  // Trust mode: a well-formed SigV4 Authorization header (it names the
  // principal), its date within the skew, Host signed, a valid scope, the
  // body matching x-amz-content-sha256; no presigned query. The principal
  // is the claimed key, unverified.
  VerifyResult check_unverified(const RequestView& request, std::chrono::system_clock::time_point now) const;

 private:
  struct Claim {
    sigv4::AuthorizationHeader auth;
    std::string amz_date;  // the request's time in SigV4 form
  };
  VerifyResult check_claim(const RequestView& request, std::chrono::system_clock::time_point now, bool verifying,
                           Claim& claim) const;
  static std::optional<std::string> payload_hash_of(const RequestView& request);

  std::shared_ptr<const CredentialStore> store_;
  VerifierSettings settings_;
  mutable sigv4::SigningKeyCache key_cache_;
};

// The access key named in the Authorization header, best effort even when
// the header does not parse (empty when absent): what a refused caller claimed.
Principal trusted_principal(const RequestView& request);

}  // namespace dynaudit::proxy
