// `dynaudit fleet init-table|status`, `dynaudit rules publish`,
// `dynaudit cloudtrail import`, and the --fleet forms of `audit query` and
// `audit verify`: the operator's side of the central fleet table
// (docs/fleet.md). Each reads the table named by a serve config's `fleet:`
// section, signing with its credentials.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/audit_output.hpp"
#include "storage/audit_reader.hpp"

namespace dynaudit::cli {

void add_fleet_command(CLI::App& app, int& exit_code);
void add_cloudtrail_command(CLI::App& app, int& exit_code);
// Adds `publish` under the existing `rules` subcommand.
void add_rules_publish_command(CLI::App& rules, int& exit_code);

int run_fleet_query(const std::string& config_file, const storage::AuditQuery& query, OutputFormat format);
int run_fleet_verify(const std::string& config_file, const std::vector<std::string>& public_keys);

// The fleet table as a witness of the local store (`audit verify --config`
// with the fleet enabled): the newest checkpoint and the newest record the
// table holds of this proxy must be in the store with the same hashes, so
// that a store rolled back or cut short is named even without a witness
// file. Prints its finding. 0: consistent or not applicable; 1: the store
// contradicts the table; 2: the table could not be read (a note, not damage).
int compare_with_fleet(const std::string& config_file, const storage::AuditReader& reader);

}  // namespace dynaudit::cli
