// The fleet agent's two threads (see fleet_agent.hpp).
#include "fleet/fleet_agent.hpp"

#include <simdjson.h>

#include <cstdio>

#include "fleet/fleet_reader.hpp"
#include "fleet/fleet_table.hpp"
#include "fleet/private_file.hpp"
#include "storage/checkpoint_signing.hpp"
#include "fleet/table_query.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::fleet {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

}  // namespace

bool load_applied_version(const std::string& rules_file, RulesState& out) {
  std::string error;
  const auto text = read_whole_file(rules_file + ".fleet-version", error);
  if (!text) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::uint64_t version = 0;
  std::string_view sha;
  if (parser.parse(*text).get(doc) || doc["version"].get_uint64().get(version) ||
      doc["textSha256"].get_string().get(sha))
    return false;
  out.applied_version = version;
  out.applied_sha256 = sha;
  return true;
}

bool save_applied_version(const std::string& rules_file, const RulesState& state, std::string& error) {
  std::string text = "{\"version\":" + std::to_string(state.applied_version) + ",\"textSha256\":";
  storage::json::append_string(text, state.applied_sha256);
  text += "}\n";
  return write_file_atomically(rules_file + ".fleet-version", text, error);
}

FleetAgent::FleetAgent(AgentOptions options) : options_(std::move(options)) {}

std::unique_ptr<FleetAgent> FleetAgent::start(AgentOptions options, std::string& error) {
  std::unique_ptr<FleetAgent> agent(new FleetAgent(std::move(options)));
  auto& o = agent->options_;
  std::vector<DynamoDbClient*> lanes;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, o.parallel_batches); ++i) {
    auto client = DynamoDbClient::create(o.endpoint, o.credentials, error);
    if (!client) return nullptr;
    lanes.push_back(client.get());
    agent->ship_clients_.push_back(std::move(client));
  }
  agent->control_client_ = DynamoDbClient::create(o.endpoint, o.credentials, error);
  if (!agent->control_client_) return nullptr;
  o.shipper.proxy_id = o.proxy_id;
  o.shipper.log = o.log;
  o.shipper.table = o.table;
  agent->shipper_ = std::make_unique<RecordShipper>(o.shipper, std::move(lanes), agent->counters_,
                                                    [a = agent.get()](auto d) { return a->pause(d); });
  if (!agent->shipper_->open(error)) return nullptr;
  if (!o.rules.file.empty()) load_applied_version(o.rules.file, agent->rules_);
  agent->ship_thread_ = std::thread([a = agent.get()] { a->ship_loop(); });
  agent->control_thread_ = std::thread([a = agent.get()] { a->control_loop(); });
  return agent;
}

FleetAgent::~FleetAgent() { stop(); }

void FleetAgent::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (stopping_ && !ship_thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (ship_thread_.joinable()) ship_thread_.join();
  if (control_thread_.joinable()) control_thread_.join();
}

bool FleetAgent::pause(std::chrono::milliseconds duration) {
  std::unique_lock lock(wake_mutex_);
  return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void FleetAgent::log(const std::string& level, const std::string& message) const {
  if (options_.log) options_.log(level, message);
}

void FleetAgent::ship_loop() {
  std::string reported;
  for (;;) {
    shipper_->ship_available();
    const auto problem = shipper_->state().problem;
    if (problem != reported) {
      if (!problem.empty()) log("error", "fleet shipping: " + problem);
      else log("info", "fleet shipping: working again");
      reported = problem;
    }
    if (!pause(options_.ship_interval)) return;
  }
}

void FleetAgent::control_loop() {
  auto next_poll = std::chrono::steady_clock::now();
  for (;;) {
    if (options_.rules.pull && std::chrono::steady_clock::now() >= next_poll) {
      poll_rules();
      next_poll = std::chrono::steady_clock::now() + options_.rules.poll_interval;
    }
    heartbeat();
    if (!pause(heartbeat_period())) return;
  }
}

ShipperState FleetAgent::current_state() const {
  auto state = shipper_->state();
  if (options_.committed_sequence) state.head_sequence = std::max(state.head_sequence, options_.committed_sequence());
  return state;
}

void FleetAgent::heartbeat() {
  const auto shipped = current_state();
  const auto rules = rules_state();
  const std::int64_t now = now_ms();
  const std::uint64_t lag_records =
      shipped.head_sequence > shipped.shipped_sequence ? shipped.head_sequence - shipped.shipped_sequence : 0;
  const std::int64_t lag_ms = shipped.oldest_unshipped_ms > 0 ? std::max<std::int64_t>(0, now - shipped.oldest_unshipped_ms) : 0;
  std::string health = shipped.problem;
  if (health.empty()) health = counters_.error();
  std::string item = "{";
  append_s(item, "pk", kHeartbeatPartition);
  item += ',';
  append_s(item, "sk", options_.proxy_id);
  item += ',';
  append_s(item, "proxy", options_.proxy_id);
  item += ',';
  append_s(item, "build", or_dash(options_.build));
  item += ',';
  append_n(item, "time", now);
  item += ',';
  append_n(item, "intervalMs", heartbeat_period().count());
  item += ',';
  append_n(item, "shipped", static_cast<std::int64_t>(shipped.shipped_sequence));
  item += ',';
  append_s(item, "shippedHash", or_dash(shipped.shipped_hash));
  item += ',';
  append_s(item, "firstDay", or_dash(shipped.first_day));
  item += ',';
  append_s(item, "shippedDay", or_dash(shipped.shipped_day));
  item += ',';
  append_s(item, "unshippedGaps", or_dash(shipped.unshipped_gaps.substr(0, 2000)));
  item += ',';
  append_n(item, "head", static_cast<std::int64_t>(shipped.head_sequence));
  item += ',';
  append_n(item, "lagRecords", static_cast<std::int64_t>(lag_records));
  item += ',';
  append_n(item, "lagMs", lag_ms);
  item += ',';
  append_s(item, "health", health.empty() ? "ok" : health);
  item += ',';
  append_n(item, "rulesVersion", static_cast<std::int64_t>(rules.applied_version));
  item += ',';
  // The central file as it is on disk now: an edit made on the host shows
  // as drift even though the version number did not change.
  std::string on_disk;
  if (!options_.rules.file.empty()) {
    std::string read_error;
    if (auto text = read_whole_file(options_.rules.file, read_error)) on_disk = sha256_hex(*text);
  }
  append_s(item, "rulesSha256", or_dash(on_disk));
  item += ',';
  append_s(item, "rulesProblem", or_dash(rules.last_problem));
  item += ',';
  append_s(item, "rulesFingerprint", or_dash(options_.rules.fingerprint ? options_.rules.fingerprint() : ""));
  item += ',';
  append_n(item, "localRuleFiles", static_cast<std::int64_t>(options_.rules.local_files));
  item += ',';
  append_s(item, "rulesPull", options_.rules.pull ? "on" : "off");
  item += ',';
  append_s(item, "checkpointKeyId", or_dash(options_.checkpoint_key_id));
  item += '}';
  std::string body = "{\"TableName\":";
  storage::json::append_string(body, options_.table);
  body += ",\"Item\":" + item + "}";
  const auto reply = control_client_->call("PutItem", body);
  if (reply.ok) ++heartbeats_;
  else ++heartbeat_failures_;
}

std::chrono::milliseconds FleetAgent::heartbeat_period() const {
  // The control thread wakes for the rules too, and heartbeats each time.
  return options_.rules.pull ? std::min(options_.heartbeat_interval, options_.rules.poll_interval)
                             : options_.heartbeat_interval;
}

RulesState FleetAgent::rules_state() const {
  std::lock_guard lock(rules_mutex_);
  return rules_;
}

void FleetAgent::poll_rules() {
  std::string error;
  std::vector<std::string> skipped;
  // Only a set signed with the configured key can be the newest: an
  // unsigned or otherwise signed item above it (planted by anyone who can
  // write the table) is refused and reported, and cannot hide newer sets.
  std::string key_error;
  auto key = storage::load_public_key_file(options_.rules.public_key_file, key_error);
  if (!key) {
    std::lock_guard lock(rules_mutex_);
    rules_.last_problem = "cannot load the rules public key: " + key_error;
    return;
  }
  const auto newest = newest_rule_set(*control_client_, options_.table, error, &skipped,
                                      [&key](const RuleSet& set) { return check_rule_set(set, key.get()); });
  if (!error.empty()) {
    log("warning", "fleet rules: cannot read the published rule sets: " + error);
    return;
  }
  std::string passed_over;
  for (const auto& item : skipped) passed_over += (passed_over.empty() ? "" : "; ") + item;
  if (passed_over != passed_over_) {  // said once, not at every poll
    if (!passed_over.empty()) log("error", "fleet rules: " + passed_over);
    passed_over_ = passed_over;
  }
  if (!passed_over.empty() && (!newest || newest->version <= rules_state().applied_version)) {
    std::lock_guard lock(rules_mutex_);
    rules_.last_problem = passed_over;
  }
  if (!newest) return;
  const RulesState now = rules_state();
  if (newest->version == now.applied_version || newest->version == now.refused_version) return;
  if (newest->version < now.applied_version) return;  // never go back to an older set
  const auto refuse = [&](const std::string& why) {
    std::lock_guard lock(rules_mutex_);
    rules_.refused_version = newest->version;
    rules_.last_problem = "version " + std::to_string(newest->version) + " refused: " + why;
    log("error", "fleet rules: " + rules_.last_problem);
  };
  if (options_.rules.validate) {
    if (auto problem = options_.rules.validate(newest->text); !problem.empty()) return refuse(problem);
  }
  // Written where the proxy reads its rules, then the proxy's own reload:
  // the set is recorded in the chain (RulesLoad) like any other.
  std::string read_error;
  const auto previous = read_whole_file(options_.rules.file, read_error);
  if (!write_file_atomically(options_.rules.file, newest->text, error)) return refuse(error);
  if (!options_.rules.apply || !options_.rules.apply()) {
    std::string restore_error;
    if (previous) write_file_atomically(options_.rules.file, *previous, restore_error);
    else std::remove(options_.rules.file.c_str());
    return refuse("the proxy's reload refused it (see its rules log line)");
  }
  RulesState applied;
  applied.applied_version = newest->version;
  applied.applied_sha256 = newest->text_sha256;
  if (!save_applied_version(options_.rules.file, applied, error))
    log("warning", "fleet rules: cannot save the applied version: " + error);
  {
    std::lock_guard lock(rules_mutex_);
    rules_ = applied;
  }
  log("info", "fleet rules: applied version " + std::to_string(newest->version));
}

void FleetAgent::write_metrics(metrics::Exposition& out) const {
  using metrics::Type;
  const auto shipped = current_state();
  const std::uint64_t lag_records =
      shipped.head_sequence > shipped.shipped_sequence ? shipped.head_sequence - shipped.shipped_sequence : 0;
  const double lag_seconds =
      shipped.oldest_unshipped_ms > 0 ? std::max<double>(0.0, static_cast<double>(now_ms() - shipped.oldest_unshipped_ms) / 1000.0) : 0.0;
  out.family("dynaudit_fleet_shipped_records", Type::counter, "Records shipped to the fleet table since start");
  out.sample({}, shipped.shipped_records);
  out.family("dynaudit_fleet_shipped_checkpoints", Type::counter, "Checkpoints shipped to the fleet table since start");
  out.sample({}, shipped.shipped_checkpoints);
  out.family("dynaudit_fleet_shipped_sequence", Type::gauge, "The newest record sequence in the fleet table");
  out.sample({}, shipped.shipped_sequence);
  out.family("dynaudit_fleet_lag_records", Type::gauge, "Committed records not yet in the fleet table");
  out.sample({}, lag_records);
  out.family("dynaudit_fleet_lag_seconds", Type::gauge, "Age of the oldest record not yet in the fleet table");
  out.sample({}, lag_seconds);
  out.family("dynaudit_fleet_calls", Type::counter, "BatchWriteItem calls to the fleet table");
  out.sample({}, counters_.calls.load());
  out.family("dynaudit_fleet_throttled", Type::counter, "Fleet table answers that throttled");
  out.sample({}, counters_.throttled.load());
  out.family("dynaudit_fleet_failed_calls", Type::counter, "Fleet table calls that failed otherwise (retried)");
  out.sample({}, counters_.failed_calls.load());
  out.family("dynaudit_fleet_unprocessed_items", Type::counter, "Items the fleet table handed back unprocessed (retried)");
  out.sample({}, counters_.unprocessed.load());
  out.family("dynaudit_fleet_stubbed_items", Type::counter, "Items the fleet table refused alone, shipped as stubs");
  out.sample({}, counters_.stubbed.load());
  out.family("dynaudit_fleet_heartbeats", Type::counter, "Heartbeats written, by result");
  out.sample({{"result", "ok"}}, heartbeats_.load());
  out.sample({{"result", "failed"}}, heartbeat_failures_.load());
  out.family("dynaudit_fleet_healthy", Type::gauge, "1 when shipping works (no stall, the last call succeeded)");
  out.sample({}, std::uint64_t(shipped.problem.empty() && counters_.error().empty() ? 1 : 0));
  const auto rules = rules_state();
  out.family("dynaudit_fleet_rules_version", Type::gauge, "The central rule set version in force (0: none)");
  out.sample({}, rules.applied_version);
}

}  // namespace dynaudit::fleet
