// Checkpoint cadence and witness settings (see audit_witness_config.hpp).
#include "proxy/config/audit_witness_config.hpp"

#include <filesystem>

#include "storage/unrecorded_calls.hpp"

namespace dynaudit::proxy {
namespace {

namespace fs = std::filesystem;

fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  // weakly_canonical resolves the links of the part that exists, so a
  // witness reached through a link into the store is still caught.
  fs::path canonical = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute : canonical).lexically_normal();
}

}  // namespace

bool path_is_inside(const std::string& file, const std::string& folder) {
  const fs::path f = resolved(file);
  const fs::path d = resolved(folder);
  auto fi = f.begin();
  for (auto di = d.begin(); di != d.end(); ++di, ++fi) {
    if (di->empty()) continue;  // a trailing separator
    if (fi == f.end() || *fi != *di) return false;
  }
  return true;
}

void read_checkpoint_cadence_and_witness(YamlMap& audit, AuditConfig& a, const std::string& base_dir) {
  if (a.checkpoint_active_interval < Millis{100}) {
    audit.errors().add(audit.child("checkpoint_active_interval"), "audit.checkpoint_active_interval",
                       "must be at least 100ms");
  } else if (a.checkpoint_active_interval > a.checkpoint_interval) {
    audit.errors().add(audit.child("checkpoint_active_interval"), "audit.checkpoint_active_interval",
                       "must not be longer than audit.checkpoint_interval");
  }
  if (!audit.has("witness")) return;
  YamlMap witness(audit.child("witness"), "audit.witness", audit.errors());
  witness.require("file");
  witness.read("file", a.witness.file);
  witness.read("channel", a.witness.channel);
  if (!a.witness.file.empty()) {
    fs::path file(a.witness.file);
    if (!file.is_absolute() && !base_dir.empty()) file = fs::path(base_dir) / file;
    a.witness.file = file.lexically_normal().string();
    if (!a.enabled) {
      audit.errors().add(witness.child("file"), "audit.witness.file", "needs audit.enabled: true");
    } else if (path_is_inside(a.witness.file, a.path)) {
      // Whoever can rewrite the store could rewrite its witness too.
      audit.errors().add(witness.child("file"), "audit.witness.file",
                         "'" + a.witness.file + "' is inside audit.path '" + a.path +
                             "': the witness must live outside the store (another folder, ideally another disk or host)");
    }
  }
  witness.finish();
}

void read_store_resilience(YamlMap& audit, AuditConfig& a, const std::string& base_dir) {
  audit.read("unrecorded_file", a.unrecorded_file);
  if (a.unrecorded_file.empty()) {
    a.unrecorded_file = storage::default_unrecorded_file(a.path, a.witness.file);
  } else {
    fs::path file(a.unrecorded_file);
    if (!file.is_absolute() && !base_dir.empty()) file = fs::path(base_dir) / file;
    a.unrecorded_file = file.lexically_normal().string();
  }
  if (a.enabled && path_is_inside(a.unrecorded_file, a.path)) {
    // RocksDB owns the folder; and the count must outlive what breaks it.
    audit.errors().add(audit.child("unrecorded_file"), "audit.unrecorded_file",
                       "'" + a.unrecorded_file + "' is inside audit.path '" + a.path + "': it must live outside the store");
  }
  if (audit.has("max_open_files") && audit.child("max_open_files").IsScalar() &&
      audit.child("max_open_files").Scalar() == "auto") {
    a.max_open_files = 0;
  } else {
    audit.read_count("max_open_files", a.max_open_files, 20, 1'000'000);
  }
}

void check_witness_channel(YamlMap& root, const ServeConfig& config) {
  const std::string& channel = config.audit.witness.channel;
  if (channel.empty()) return;
  for (const auto& c : config.alerts.channels) {
    if (c.name == channel) return;
  }
  root.errors().add_plain(root.errors().source() + ": audit.witness.channel: no alert channel named '" + channel +
                          "' in alerts.channels");
}

}  // namespace dynaudit::proxy
