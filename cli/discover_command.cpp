// `dynaudit discover list|suggest-rules` (discover_command.hpp). Exit codes
// as the audit commands: 0, 1 a read failed, 2 usage or no store.
#include "cli/discover_command.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/audit_subcommands.hpp"
#include "cli/store_subcommand.hpp"
#include "cli/audit_time.hpp"
#include "ddb/error_response.hpp"
#include "discovery/inventory.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/admin_scan_request.hpp"
#include "proxy/net/http_fetch.hpp"
#include "proxy/net/fd_limit.hpp"

namespace dynaudit::cli {
namespace {

void say(const std::string& message) { std::cerr << "dynaudit discover: " << message << "\n"; }

struct ListArgs {
  StoreArgs store;
  std::string table;
  bool unmasked = false;
  bool json = false;
};
struct ScanArgs {
  std::string config;
  std::string admin;  // host:port of the admin listener, when not the config's (port 0: chosen at start)
  std::string table;
  std::size_t sample = 0;
  bool json = false;
};
struct SuggestArgs {
  StoreArgs store;
  std::string min_confidence = "0.8";
  std::string out;
};

// The stored inventory; false (said why) when it cannot be read.
bool load(const StoreArgs& store, std::vector<discovery::InventoryEntry>& entries, int& code) {
  auto reader = open_reader(store, nullptr, &code);
  if (!reader) return false;
  std::string error;
  std::size_t rejected = 0;
  const bool read = reader->read_side_state(
      storage::SideState::inventory,
      [&](std::string_view, std::string_view state) {
        discovery::InventoryEntry e;
        if (discovery::decode_entry(state, e)) entries.push_back(std::move(e));
        else ++rejected;
      },
      error);
  if (!read) {
    code = report_read_failure(error);
    return false;
  }
  if (rejected) say(std::to_string(rejected) + " stored entries did not read back and are not shown");
  return true;
}

int run_list(const ListArgs& args) {
  int code = kAuditOk;
  std::vector<discovery::InventoryEntry> entries;
  if (!load(args.store, entries, code)) return code;
  if (!args.json)
    std::printf("%-20s %-28s %-18s %5s %8s  %-9s %-20s %s\n", "TABLE", "PATH", "CLASS", "CONF", "VALUES", "STATUS",
                "MASK RULE", "READ IN CLEAR BY");
  for (const auto& e : entries) {
    if (!args.table.empty() && e.table != args.table) continue;
    if (args.unmasked && !e.mask_rule.empty()) continue;
    if (args.json) {
      std::cout << discovery::to_json(e) << "\n";
      continue;
    }
    std::string readers;
    for (std::size_t i = 0; i < e.clear_readers.size(); ++i) readers += (i ? "," : "") + e.clear_readers[i];
    std::printf("%-20s %-28s %-18s %5.2f %8llu  %-9s %-20s %s\n", e.table.c_str(), e.path.c_str(),
                std::string(discovery::to_string(e.data_class)).c_str(), e.confidence,
                static_cast<unsigned long long>(e.values), e.mask_rule.empty() ? "UNMASKED" : "masked",
                e.mask_rule.empty() ? "-" : e.mask_rule.c_str(), readers.empty() ? "-" : readers.c_str());
  }
  return kAuditOk;
}

int run_suggest(const SuggestArgs& args) {
  char* end = nullptr;
  const double min = std::strtod(args.min_confidence.c_str(), &end);
  if (args.min_confidence.empty() || *end != '\0' || min < 0 || min > 1) {
    say("--min-confidence must be a number from 0 to 1");
    return kAuditUsage;
  }
  int code = kAuditOk;
  std::vector<discovery::InventoryEntry> entries;
  if (!load(args.store, entries, code)) return code;
  const std::string yaml = discovery::suggest_rules_yaml(entries, min);
  if (args.out.empty()) {
    std::cout << yaml;
    return kAuditOk;
  }
  std::ofstream out(args.out, std::ios::trunc);
  out << yaml;
  if (!out.flush()) {
    say("cannot write " + args.out);
    return kAuditUsage;
  }
  return kAuditOk;
}

// Asks the running proxy (its admin listener) to scan; then shows what the
// inventory holds for the table.
int run_scan(const ScanArgs& args) {
  auto loaded = proxy::load_serve_config(args.config);
  if (!loaded.config) {
    std::string error = "cannot use config " + args.config + ":";
    for (const auto& e : loaded.errors) error += "\n  " + e;
    say(error);
    return kAuditUsage;
  }
  const proxy::ServeConfig& cfg = *loaded.config;
  if (!cfg.admin.enabled || !cfg.discovery.enabled || !cfg.discovery.scan_enabled) {
    say("active discovery is off in " + args.config + " (admin.enabled, discovery.enabled, discovery.scan.enabled)");
    return kAuditUsage;
  }
  std::string token, error;
  if (!proxy::load_admin_token(cfg.discovery.scan_token_file, token, error)) {
    say("discovery.scan.token_file: " + error);
    return kAuditUsage;
  }
  // The admin listener on a wildcard address is reached on loopback.
  std::string host = cfg.admin.address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  proxy::FetchRequest request;
  request.method = "POST";
  request.url = "http://" + (args.admin.empty() ? host + ":" + std::to_string(cfg.admin.port) : args.admin) +
                "/discovery/scan";
  request.headers["Content-Type"] = "application/json";
  request.headers["Authorization"] = "Bearer " + token;
  request.body = "{\"table\":\"";
  ddb::append_json_escaped(request.body, args.table);
  request.body += "\"";
  if (args.sample) request.body += ",\"sample\":" + std::to_string(args.sample);
  request.body += "}";
  request.timeout = std::chrono::minutes(5);
  const proxy::FetchResponse answer = proxy::blocking_http_fetch(request);
  if (answer.status == 0) {
    say("cannot reach the admin listener at " + request.url + " (is `dynaudit serve` running?): " + answer.error);
    return kAuditDamaged;
  }
  if (args.json) std::cout << answer.body << "\n";
  if (answer.status != 200) {
    say("the scan failed (HTTP " + std::to_string(answer.status) + "): " + answer.body);
    return kAuditDamaged;
  }
  if (args.json) return kAuditOk;
  std::cout << "scan of " << args.table << " as dynaudit:discovery: " << answer.body << "\n\n";
  ListArgs list;
  list.store.config = args.config;
  list.table = args.table;
  return run_list(list);
}

template <typename Args>
void bind(CLI::App* cmd, std::shared_ptr<Args> args, int (*body)(const Args&), int& exit_code) {
  bind_store_subcommand(cmd, args, body, exit_code, say, "discover");
}

}  // namespace

void add_discover_command(CLI::App& app, int& exit_code) {
  auto* discover = app.add_subcommand("discover", "Where sensitive data lives, as passive discovery found it");
  discover->require_subcommand(1);

  auto list = std::make_shared<ListArgs>();
  auto* l = discover->add_subcommand("list", "The inventory: table, attribute path, class, masked or not");
  add_store_options(l, list->store);
  l->add_option("--table", list->table, "Only this table");
  l->add_flag("--unmasked", list->unmasked, "Only what no mask rule covered");
  l->add_flag("--json", list->json, "One JSON object per line");
  bind(l, list, run_list, exit_code);

  auto scan = std::make_shared<ScanArgs>();
  auto* sc = discover->add_subcommand(
      "scan", "Have the running proxy read a sample of a table as dynaudit:discovery (audited), then list it");
  sc->add_option("--config", scan->config, "The running proxy's config file")->required();
  sc->add_option("--table", scan->table, "The table to sample")->required();
  sc->add_option("--admin", scan->admin, "The admin listener as HOST:PORT (default: admin.address and admin.port)");
  sc->add_option("--sample", scan->sample, "Items to read (default and maximum: discovery.scan.max_items)")
      ->check(CLI::PositiveNumber);
  sc->add_flag("--json", scan->json, "Print the scan's JSON answer only");
  sc->callback([scan, &exit_code] { exit_code = run_scan(*scan); });

  auto suggest = std::make_shared<SuggestArgs>();
  auto* s = discover->add_subcommand("suggest-rules", "A rule file masking what nothing masks, for `rules check`");
  add_store_options(s, suggest->store);
  s->add_option("--min-confidence", suggest->min_confidence, "Only entries at least this sure (default 0.8)");
  s->add_option("-o,--out", suggest->out, "Write the rule file here (default: stdout)");
  bind(s, suggest, run_suggest, exit_code);
}

}  // namespace dynaudit::cli
