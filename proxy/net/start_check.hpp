// What `serve --check-config` checks beyond the YAML: every file the proxy
// reads at start (the credential store, TLS certificates and keys, the
// upstream CA, the masking, seal and checkpoint keys), read and parsed by
// the same loaders `serve` uses, so that a config that passes the check
// does not then fail to start. The audit store is not opened (it may be in
// use by a running serve) and no upstream credentials are fetched.
#pragma once

#include <string>
#include <vector>

#include "masking/mask_plan.hpp"
#include "proxy/config/serve_config.hpp"

namespace dynaudit::proxy {

// One line per problem; empty when everything loads.
std::vector<std::string> check_start_files(const ServeConfig& config);

// The masking secret from masking.key_file / key_env, or a random one for
// this process (server.cpp).
bool load_masking_secret(const MaskingConfig& config, masking::MaskKeys& keys, std::string& error);

}  // namespace dynaudit::proxy
