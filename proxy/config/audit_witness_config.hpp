// The evidence part of the `audit` config: how often checkpoints are
// written, and the witness they are appended to outside the store. Kept
// apart from serve_config.cpp so the rules for a witness live in one place.
#pragma once

#include <string>

#include "proxy/config/serve_config.hpp"
#include "proxy/config/yaml_reader.hpp"

namespace dynaudit::proxy {

// Reads checkpoint_active_interval's bounds and `witness` (file resolved
// against base_dir; refused inside audit.path). `audit` is the audit map,
// after path and the intervals have been read.
void read_checkpoint_cadence_and_witness(YamlMap& audit, AuditConfig& config, const std::string& base_dir);

// audit.unrecorded_file (default: beside the witness, else beside the
// store; refused inside audit.path) and audit.max_open_files (`auto` or a
// number). After read_checkpoint_cadence_and_witness.
void read_store_resilience(YamlMap& audit, AuditConfig& config, const std::string& base_dir);

// audit.witness.channel must name an alerts channel (read after alerts).
void check_witness_channel(YamlMap& root, const ServeConfig& config);

// True when `file` is `folder` or lies under it, symbolic links resolved
// as far as the paths exist.
bool path_is_inside(const std::string& file, const std::string& folder);

}  // namespace dynaudit::proxy
