// The fleet's command-line side (see fleet_command.hpp).
#include "cli/fleet_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "alerts/alert_dispatcher.hpp"
#include "cli/fleet_agent_wiring.hpp"
#include "fleet/cloudtrail_import.hpp"
#include "fleet/fleet_reader.hpp"
#include "fleet/fleet_table.hpp"
#include "fleet/fleet_verify.hpp"
#include "fleet/item_reader.hpp"
#include "fleet/private_file.hpp"
#include "fleet/rule_set.hpp"
#include "fleet/table_query.hpp"
#include "proxy/config/rule_channels.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/http_fetch.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::cli {
namespace {

constexpr int kOk = 0;
constexpr int kFound = 1;   // something is wrong (damage, drift, bypasses)
constexpr int kUsage = 2;   // bad arguments, config, or the table cannot be read

void report(const std::string& message) { std::cerr << "dynaudit: " << message << "\n"; }

// The fleet table a config names, with a client signing for it.
struct FleetTarget {
  proxy::ServeConfig config;
  std::shared_ptr<proxy::UpstreamCredentialProvider> credentials;
  std::unique_ptr<fleet::DynamoDbClient> client;
  const std::string& table() const { return config.fleet.table; }
};

std::unique_ptr<FleetTarget> open_fleet(const std::string& config_file) {
  if (config_file.empty()) {
    report("--config is required: the fleet table is named in its fleet: section");
    return nullptr;
  }
  auto loaded = proxy::load_serve_config(config_file);
  for (const auto& e : loaded.errors) report("config: " + e);
  if (!loaded.config) return nullptr;
  auto target = std::make_unique<FleetTarget>();
  target->config = std::move(*loaded.config);
  const auto& f = target->config.fleet;
  if (f.endpoint.empty()) {
    report(config_file + ": fleet.endpoint: not set");
    return nullptr;
  }
  std::string error;
  target->credentials = proxy::make_upstream_credential_provider(
      f.own_credentials ? f.credentials : target->config.upstream.credentials, proxy::blocking_http_fetch, error);
  if (!target->credentials) {
    report("fleet credentials: " + error);
    return nullptr;
  }
  auto provider = target->credentials;
  target->client = fleet::DynamoDbClient::create(fleet::DynamoDbEndpoint{f.endpoint, f.region, f.ca_file, f.request_timeout},
                                                 [provider] { return provider->current(); }, error);
  if (!target->client) {
    report("fleet.endpoint: " + error);
    return nullptr;
  }
  return target;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json(std::string_view text) {
  std::string out;
  storage::json::append_string(out, text);
  return out;
}

std::string table_body(const std::string& table) { return "{\"TableName\":" + json(table) + "}"; }

int init_table(const std::string& config_file) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  auto& client = *target->client;
  auto reply = fleet::call_with_retries(client, "CreateTable", fleet::create_table_request(target->table()));
  if (!reply.ok && reply.error_type != "ResourceInUseException") {
    report("CreateTable: " + reply.error_type + ": " + reply.message);
    return kUsage;
  }
  const bool existed = !reply.ok;
  bool active = false;
  for (int i = 0; i < 600 && !active; ++i) {  // up to a minute for ACTIVE
    reply = fleet::call_with_retries(client, "DescribeTable", table_body(target->table()));
    active = reply.ok && reply.body.find("\"TableStatus\":\"ACTIVE\"") != std::string::npos;
    if (!active) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!active) {
    report("the fleet table " + target->table() + " did not become ACTIVE within a minute" +
           (reply.ok ? "" : " (DescribeTable: " + reply.error_type + ")"));
    return kUsage;
  }
  reply = fleet::call_with_retries(
      client, "UpdateTimeToLive",
      "{\"TableName\":" + json(target->table()) + ",\"TimeToLiveSpecification\":{\"Enabled\":true,\"AttributeName\":\"exp\"}}");
  std::cout << "fleet table " << target->table() << (existed ? " exists" : " created") << " at "
            << target->config.fleet.endpoint << "\n";
  if (reply.ok) std::cout << "time to live: on (attribute exp)\n";
  else std::cout << "time to live: not set (" << reply.error_type << "): set it on attribute exp if fleet.retention is used\n";
  return kOk;
}

std::string age_text(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 120'000) return std::to_string(ms / 1000) + "s";
  if (ms < 7'200'000) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 3'600'000) + "h";
}

struct ProxyStatus {
  fleet::ProxyHeartbeat beat;
  bool stale = false;
  std::string rules;   // "v3", "v2 (drift: v3 published)", ...
  bool drift = false;
  std::string chain;   // "ok", "missing newest record", ...
  bool chain_ok = true;
};

int fleet_status(const std::string& config_file, bool as_json) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  std::string error;
  std::vector<fleet::ProxyHeartbeat> beats;
  if (!fleet::read_heartbeats(*target->client, target->table(), beats, error)) {
    report(error);
    return kUsage;
  }
  // Without the publishers' key here, the newest signed set counts (an
  // unsigned item cannot make every proxy look drifted).
  const auto published = fleet::newest_rule_set(*target->client, target->table(), error, nullptr,
                                                [](const fleet::RuleSet& s) {
                                                  return s.signature.empty() ? "not signed" : "";
                                                });
  if (!error.empty()) {
    report(error);
    return kUsage;
  }
  const std::int64_t now = now_ms();
  std::vector<ProxyStatus> rows;
  bool anything_wrong = false;
  for (auto& beat : beats) {
    ProxyStatus row;
    row.beat = beat;
    // Three missed heartbeats: the proxy is gone, hung, or cut off.
    row.stale = now - beat.time_ms > 3 * std::max<std::int64_t>(beat.interval_ms, 1000);
    if (published) {
      row.drift = beat.rules_version != published->version || beat.rules_sha256 != published->text_sha256 ||
                  beat.local_rule_files > 0;
      row.rules = beat.rules_version == 0 ? "none" : "v" + std::to_string(beat.rules_version);
      if (row.drift) {
        row.rules += " (drift: v" + std::to_string(published->version) + " published";
        if (beat.local_rule_files > 0) row.rules += ", " + std::to_string(beat.local_rule_files) + " local file(s)";
        if (!beat.rules_pull) row.rules += ", pull off";
        row.rules += ")";
      }
    } else {
      row.rules = beat.rules_version == 0 ? "local only" : "v" + std::to_string(beat.rules_version);
    }
    if (!beat.rules_problem.empty()) row.rules += " [" + beat.rules_problem + "]";
    // The newest record the proxy says it shipped must be in the table
    // with the hash it names (a cheap check; `audit verify --fleet` walks
    // the whole chain).
    row.chain = "ok";
    if (beat.shipped > 0) {
      bool found = false;
      std::string hash;
      auto got = fleet::get_item(*target->client, target->table(), fleet::record_partition(beat.proxy, beat.shipped_day),
                                 fleet::padded(beat.shipped), error);
      if (got) {
        found = true;
        fleet::ItemReader reader(*got);
        hash = reader.s("hash").value_or("");
      } else if (!error.empty()) {
        report(error);
        return kUsage;
      }
      if (!found) {
        row.chain = "newest shipped record " + std::to_string(beat.shipped) + " not in the table";
        row.chain_ok = false;
      } else if (hash != beat.shipped_hash) {
        row.chain = "newest shipped record " + std::to_string(beat.shipped) + " altered";
        row.chain_ok = false;
      }
    }
    if (row.stale || row.drift || !row.chain_ok || beat.health != "ok") anything_wrong = true;
    rows.push_back(std::move(row));
  }
  if (as_json) {
    std::cout << "{\"publishedRules\":";
    if (published) std::cout << "{\"version\":" << published->version << ",\"textSha256\":" << json(published->text_sha256)
                             << ",\"keyId\":" << json(published->key_id) << "}";
    else std::cout << "null";
    std::cout << ",\"proxies\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (i > 0) std::cout << ",";
      std::cout << "{\"proxy\":" << json(r.beat.proxy) << ",\"build\":" << json(r.beat.build)
                << ",\"lastHeartbeatMs\":" << r.beat.time_ms << ",\"heartbeatAgeMs\":" << (now - r.beat.time_ms)
                << ",\"stale\":" << (r.stale ? "true" : "false") << ",\"shipped\":" << r.beat.shipped
                << ",\"head\":" << r.beat.head << ",\"lagRecords\":" << r.beat.lag_records
                << ",\"lagMs\":" << r.beat.lag_ms << ",\"health\":" << json(r.beat.health)
                << ",\"rulesVersion\":" << r.beat.rules_version << ",\"rulesFingerprint\":" << json(r.beat.rules_fingerprint)
                << ",\"rules\":" << json(r.rules) << ",\"drift\":" << (r.drift ? "true" : "false")
                << ",\"rulesProblem\":" << json(r.beat.rules_problem) << ",\"chain\":" << json(r.chain)
                << ",\"chainOk\":" << (r.chain_ok ? "true" : "false") << "}";
    }
    std::cout << "]}\n";
  } else {
    std::cout << "published rules: "
              << (published ? "v" + std::to_string(published->version) + " (key " + published->key_id + ")" : "none")
              << "\n";
    std::cout << std::left << std::setw(20) << "PROXY" << std::setw(10) << "HEARTBEAT" << std::setw(10) << "LAG"
              << std::setw(12) << "SHIPPED" << std::setw(34) << "RULES" << std::setw(10) << "CHAIN" << "HEALTH\n";
    for (const auto& r : rows) {
      std::cout << std::left << std::setw(20) << r.beat.proxy << std::setw(10)
                << (age_text(now - r.beat.time_ms) + (r.stale ? " STALE" : "")) << std::setw(10)
                << (std::to_string(r.beat.lag_records) + "/" + age_text(r.beat.lag_ms)) << std::setw(12)
                << r.beat.shipped << std::setw(34) << r.rules << std::setw(10) << r.chain << r.beat.health << "\n";
    }
  }
  return anything_wrong ? kFound : kOk;
}

int publish_rules(const std::string& config_file, const std::string& key_file, const std::string& rules_file,
                  const std::string& publisher) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  std::string error;
  const auto text = fleet::read_whole_file(rules_file, error);
  if (!text) {
    report(error.empty() ? rules_file + ": no such file" : error);
    return kUsage;
  }
  // The set must load here as it will on the proxies (same engine settings).
  const auto loaded = rules::RuleSnapshot::load_text(*text, rules_file, proxy::engine_settings(target->config.rules));
  for (const auto& e : loaded.errors) report("rules: " + rules::format(e));
  if (!loaded.snapshot) return kUsage;
  // The next version after the highest item under RULES, signed or not: a
  // planted item cannot take the number this set needs. Proxies check the
  // signature and pass planted items over, so a set above one is still
  // applied.
  const auto newest = fleet::newest_rule_set(*target->client, target->table(), error);
  if (!error.empty()) {
    report(error);
    return kUsage;
  }
  if (newest && newest->version >= static_cast<std::uint64_t>(INT64_MAX)) {
    report("the newest rule set item claims version " + std::to_string(newest->version) +
           ": no version is left above it; delete that item (sk " + fleet::padded(newest->version) + ")");
    return kUsage;
  }
  fleet::RuleSet set;
  set.version = newest ? newest->version + 1 : 1;
  set.published_ms = now_ms();
  set.text = *text;
  set.publisher = publisher;
  if (!fleet::sign_rule_set(set, key_file, error)) {
    report(key_file + ": " + error);
    return kUsage;
  }
  // Conditional: two publishers racing for one version cannot overwrite each other.
  const std::string body = "{\"TableName\":" + json(target->table()) + ",\"Item\":" + fleet::rule_set_item(set) +
                           ",\"ConditionExpression\":\"attribute_not_exists(pk)\"}";
  const auto reply = fleet::call_with_retries(*target->client, "PutItem", body);
  if (!reply.ok) {
    report("PutItem: " + reply.error_type + ": " + reply.message +
           (reply.error_type == "ConditionalCheckFailedException" ? " (another publish took this version: run again)" : ""));
    return kUsage;
  }
  std::cout << "published rule set v" << set.version << " (" << loaded.snapshot->rules().size()
            << " rules, sha256 " << set.text_sha256.substr(0, 16) << "…, key " << set.key_id << ")\n";
  return kOk;
}

void print_call_row(const fleet::CloudTrailCall& c) {
  std::cout << std::left << std::setw(22) << c.event_time << std::setw(18) << c.event_name << std::setw(18)
            << c.table << std::setw(16) << c.source_ip << c.principal << "  " << c.request_id << "\n";
}

std::string call_json(const fleet::CloudTrailCall& c) {
  return "{\"eventTime\":" + json(c.event_time) + ",\"eventName\":" + json(c.event_name) +
         ",\"table\":" + json(c.table) + ",\"principal\":" + json(c.principal) +
         ",\"accessKeyId\":" + json(c.access_key_id) + ",\"sourceIPAddress\":" + json(c.source_ip) +
         ",\"userAgent\":" + json(c.user_agent) + ",\"requestID\":" + json(c.request_id) +
         ",\"file\":" + json(c.file) + "}";
}

int cloudtrail_import(const std::string& config_file, const std::vector<std::string>& files, bool as_json,
                      const std::string& channel) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  std::unique_ptr<alerts::AlertDispatcher> dispatcher;
  if (!channel.empty()) {
    dispatcher = std::make_unique<alerts::AlertDispatcher>(target->config.alerts.channels);
    if (!dispatcher->has_channel(channel)) {
      report("--alert-channel: no channel '" + channel + "' in alerts.channels");
      return kUsage;
    }
  }
  fleet::BypassReport result;
  std::string error;
  if (!fleet::find_bypasses(*target->client, target->table(), files, result, error)) {
    report(error);
    return kUsage;
  }
  if (as_json) {
    std::cout << "{\"files\":" << result.files << ",\"dynamodbCalls\":" << result.dynamodb_calls
              << ",\"matched\":" << result.matched << ",\"fleetOwnCalls\":" << result.fleet_own_calls
              << ",\"bypasses\":[";
    for (std::size_t i = 0; i < result.bypasses.size(); ++i) std::cout << (i ? "," : "") << call_json(result.bypasses[i]);
    std::cout << "],\"unmatchable\":[";
    for (std::size_t i = 0; i < result.unmatchable.size(); ++i)
      std::cout << (i ? "," : "") << call_json(result.unmatchable[i]);
    std::cout << "]}\n";
  } else {
    std::cout << result.files << " file(s), " << result.dynamodb_calls << " DynamoDB call(s): " << result.matched
              << " went through a proxy, " << result.bypasses.size() << " bypassed every proxy, "
              << result.fleet_own_calls << " were the fleet's own, " << result.unmatchable.size()
              << " had no request id\n";
    if (!result.bypasses.empty()) {
      std::cout << "\nBYPASSES\n" << std::left << std::setw(22) << "TIME" << std::setw(18) << "OPERATION" << std::setw(18)
                << "TABLE" << std::setw(16) << "SOURCE" << "PRINCIPAL  REQUEST ID\n";
      for (const auto& c : result.bypasses) print_call_row(c);
    }
  }
  if (dispatcher) {
    for (const auto& c : result.bypasses) {
      alerts::Alert alert;
      alert.rule_id = "cloudtrail-bypass";
      alert.channel = channel;
      alert.severity = "high";
      alert.message = "DynamoDB call without a proxy record: " + c.event_name + " on " + c.table + " by " +
                      c.principal + " from " + c.source_ip + " (request " + c.request_id + ")";
      alert.principal = c.principal;
      alert.operation = c.event_name;
      if (!c.table.empty()) alert.tables.push_back(c.table);
      alert.source_ip = c.source_ip;
      alert.decision = "allow";
      alert.throttle_max = 1'000'000;  // each bypass is its own finding
      dispatcher->submit(std::move(alert));
    }
    dispatcher->stop(std::chrono::milliseconds(10'000));
  }
  return result.bypasses.empty() ? kOk : kFound;
}

}  // namespace

int run_fleet_query(const std::string& config_file, const storage::AuditQuery& query, OutputFormat format) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  std::vector<fleet::FleetHit> hits;
  std::string error;
  if (!fleet::query_fleet(*target->client, target->table(), query, hits, error)) {
    report("fleet query: " + error);
    return kUsage;
  }
  auto writer = make_record_writer(format, std::cout);
  for (const auto& hit : hits) writer->write(hit.record);
  writer->finish();
  return kOk;
}

int run_fleet_verify(const std::string& config_file, const std::vector<std::string>& public_keys) {
  auto target = open_fleet(config_file);
  if (!target) return kUsage;
  std::vector<fleet::ProxyVerdict> verdicts;
  std::string error;
  const auto retention = std::chrono::duration_cast<std::chrono::seconds>(target->config.fleet.retention);
  if (!fleet::verify_fleet(*target->client, target->table(), public_keys, retention, verdicts, error)) {
    report("fleet verify: " + error);
    return kUsage;
  }
  bool damaged = false;
  for (const auto& v : verdicts) {
    std::cout << v.proxy << ": " << (v.ok() ? "OK" : "DAMAGED") << ", " << v.records << " records";
    if (v.records > 0) std::cout << " (" << v.first_sequence << "-" << v.last_sequence << ")";
    std::cout << ", " << v.checkpoints << " checkpoints";
    if (public_keys.empty()) std::cout << " (signatures not checked: no --fleet-public-key)";
    else std::cout << " (" << v.signatures_checked << " signatures verified)";
    std::cout << "\n";
    for (const auto& p : v.problems) std::cout << "  " << p << "\n";
    for (const auto& n : v.notes) std::cout << "  note: " << n << "\n";
    damaged = damaged || !v.ok();
  }
  if (verdicts.empty()) std::cout << "no proxy has a heartbeat in the fleet table\n";
  return damaged ? kFound : kOk;
}

int compare_with_fleet(const std::string& config_file, const storage::AuditReader& reader) {
  auto loaded = proxy::load_serve_config(config_file);
  if (!loaded.config || !loaded.config->fleet.enabled) return 0;
  auto target = open_fleet(config_file);
  if (!target) return 2;
  const std::string proxy_id =
      target->config.fleet.proxy_id.empty() ? default_proxy_id() : target->config.fleet.proxy_id;
  const auto local_hash = [&](std::uint64_t sequence) -> std::optional<std::string> {
    storage::AuditQuery query;
    query.after_sequence = sequence - 1;
    query.limit = 1;
    std::optional<std::string> hash;
    std::string error;
    reader.query(query, [&](const storage::AuditEvent& record) {
      if (record.sequence == sequence) hash = record.hash;
      return false;
    }, error);
    return hash;
  };
  std::string error;
  fleet::TableQuery query;
  query.table = target->table();
  query.key_name = "pk";
  query.key_value = fleet::checkpoint_partition(proxy_id);
  query.forward = false;
  query.limit = 1;
  std::optional<storage::Checkpoint> newest;
  if (!fleet::run_query(*target->client, query, [&](simdjson::dom::element element) {
        fleet::ItemReader item(element);
        if (auto text = item.s("cp")) newest = storage::parse_checkpoint(*text);
        return false;
      }, error)) {
    std::cout << "note: the fleet table could not be read (" << error << "); it was not compared\n";
    return 2;
  }
  std::vector<fleet::ProxyHeartbeat> beats;
  fleet::read_heartbeats(*target->client, target->table(), beats, error);
  const auto beat = std::find_if(beats.begin(), beats.end(), [&](const auto& b) { return b.proxy == proxy_id; });
  if (target->config.fleet.proxy_id.empty() && beat == beats.end()) {
    // The default id is this host's name, which need not be the proxy's.
    std::cout << "note: the fleet table has no proxy named " << proxy_id
              << " (set fleet.proxy_id to compare the store with it)\n";
    return 0;
  }
  bool contradicts = false;
  const auto check = [&](std::uint64_t sequence, const std::string& hash, const std::string& what) {
    if (sequence == 0 || hash.empty()) return;
    const auto local = local_hash(sequence);
    if (!local) {
      std::cout << "DAMAGED: the fleet table holds " << what << " (record " << sequence
                << "), which the store lacks: it was cut short or rolled back\n";
      contradicts = true;
    } else if (*local != hash) {
      std::cout << "DAMAGED: the store's record " << sequence << " is not the one the fleet table holds (" << what
                << "): the chain was rewritten\n";
      contradicts = true;
    }
  };
  if (newest) check(newest->last_sequence, newest->last_hash, "checkpoint " + std::to_string(newest->number));
  if (beat != beats.end()) check(beat->shipped, beat->shipped_hash, "the newest shipped record");
  if (!contradicts) {
    std::cout << "fleet table (" << proxy_id << "): consistent with the store";
    if (newest) std::cout << " up to checkpoint " << newest->number << " (record " << newest->last_sequence << ")";
    if (beat != beats.end()) std::cout << ", shipped through record " << beat->shipped;
    std::cout << "\n";
  }
  return contradicts ? 1 : 0;
}

void add_fleet_command(CLI::App& app, int& exit_code) {
  auto* fleet = app.add_subcommand("fleet", "The central fleet table: create it, see every proxy's status");
  fleet->require_subcommand(1);
  {
    auto config = std::make_shared<std::string>();
    auto* cmd = fleet->add_subcommand("init-table", "Create the fleet table named in the config's fleet: section");
    cmd->add_option("-c,--config", *config, "serve config file with a fleet: section")->required();
    cmd->callback([config, &exit_code] { exit_code = init_table(*config); });
  }
  {
    auto config = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    auto* cmd = fleet->add_subcommand(
        "status", "Every proxy: last heartbeat, shipping lag, rule set (drift), chain head; exit 1 if any is off");
    cmd->add_option("-c,--config", *config, "serve config file with a fleet: section")->required();
    cmd->add_flag("--json", *as_json, "One JSON object");
    cmd->callback([config, as_json, &exit_code] { exit_code = fleet_status(*config, *as_json); });
  }
}

void add_rules_publish_command(CLI::App& rules, int& exit_code) {
  struct Args {
    std::string config, key, file, publisher;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = rules.add_subcommand("publish", "Sign a rule file and publish it to the fleet table as the next version");
  cmd->add_option("-c,--config", args->config, "serve config file with a fleet: section")->required();
  cmd->add_option("--key", args->key, "Ed25519 private key (PEM) to sign with")->required();
  cmd->add_option("--publisher", args->publisher, "Who publishes (recorded with the set)");
  cmd->add_option("file", args->file, "The rule file")->required();
  cmd->callback([args, &exit_code] {
    std::string who = args->publisher;
    if (who.empty()) {
      const char* user = std::getenv("USER");
      who = user != nullptr ? user : "unknown";
    }
    exit_code = publish_rules(args->config, args->key, args->file, who);
  });
}

void add_cloudtrail_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::string config, channel;
    std::vector<std::string> files;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cloudtrail = app.add_subcommand("cloudtrail", "Compare CloudTrail with the fleet's records");
  cloudtrail->require_subcommand(1);
  auto* cmd = cloudtrail->add_subcommand(
      "import", "Read CloudTrail files (.json, .json.gz) and report DynamoDB calls no proxy recorded; exit 1 if any");
  cmd->add_option("-c,--config", args->config, "serve config file with a fleet: section")->required();
  cmd->add_option("files", args->files, "CloudTrail files as delivered to S3")->required();
  cmd->add_flag("--json", args->json, "One JSON object");
  cmd->add_option("--alert-channel", args->channel, "Also send each bypass to this alerts.channels channel");
  cmd->callback([args, &exit_code] { exit_code = cloudtrail_import(args->config, args->files, args->json, args->channel); });
}

}  // namespace dynaudit::cli
