// SigV4Verifier: authenticates a caller's request exactly as DynamoDB would,
// against the proxy's CredentialStore, and answers the same errors DynamoDB
// answers (MissingAuthenticationToken, IncompleteSignature, InvalidSignature
// incl. "Signature expired", UnrecognizedClient).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/error_response.hpp"
#include "proxy/auth/credential_store.hpp"
#include "proxy/auth/http_view.hpp"
#include "proxy/auth/principal.hpp"
#include "proxy/auth/sigv4.hpp"

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
  SigV4Verifier(std::shared_ptr<const CredentialStore> store, VerifierSettings settings);
  VerifyResult verify(const RequestView& request, std::chrono::system_clock::time_point now) const;

 private:
  std::shared_ptr<const CredentialStore> store_;
  VerifierSettings settings_;
  mutable sigv4::SigningKeyCache key_cache_;
};

// Trust mode: the principal is the access key named in the Authorization
// header, unverified (empty when absent).
Principal trusted_principal(const RequestView& request);

}  // namespace dynaudit::proxy
