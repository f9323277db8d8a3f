// The start-up files check behind `serve --check-config`; see start_check.hpp.
#include "proxy/net/start_check.hpp"

#include <cstdlib>

#include "proxy/auth/credential_store.hpp"
#include "proxy/net/tls_contexts.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/unrecorded_calls.hpp"
#include "storage/value_seal.hpp"

namespace dynaudit::proxy {

std::vector<std::string> check_start_files(const ServeConfig& config) {
  std::vector<std::string> problems;
  std::string error;
  const auto check = [&](bool ok, const std::string& what) {
    if (!ok) problems.push_back(what + ": " + error);
    error.clear();
  };
  if (config.auth.mode == AuthMode::verify)
    check(CredentialStore::load_file(config.auth.credentials_file, error) != nullptr, "auth.credentials_file");
  if (!config.upstream.ca_file.empty())
    check(make_upstream_tls_context(config.upstream.ca_file, error) != nullptr, "upstream.ca_file");
  for (const auto& listener : config.listeners)
    if (listener.tls) check(make_server_tls_context(*listener.tls, error) != nullptr, "listener '" + listener.name + "'");
  masking::MaskKeys keys;
  check(load_masking_secret(config.masking, keys, error), "masking");
  if (config.audit.enabled) {
    if (!config.audit.checkpoint_key_file.empty())
      check(storage::load_private_key_file(config.audit.checkpoint_key_file, error) != nullptr,
            "audit.checkpoint_key_file");
    if (!config.audit.seal_key_file.empty())
      check(storage::load_seal_key_file(config.audit.seal_key_file, error).has_value(), "audit.seal_key_file");
    if (!config.audit.seal_key_env.empty()) {
      const char* text = std::getenv(config.audit.seal_key_env.c_str());
      if (!text || !*text) error = "the environment variable " + config.audit.seal_key_env + " is not set";
      check(text && *text && storage::load_seal_key_text(text, error).has_value(), "audit.seal_key_env");
    }
    // A count of unrecorded calls that does not parse stops serve too.
    check(storage::read_unrecorded_file(config.audit.unrecorded_file, error).has_value(), "audit.unrecorded_file");
  }
  return problems;
}

}  // namespace dynaudit::proxy
