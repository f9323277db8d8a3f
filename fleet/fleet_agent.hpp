// The fleet agent beside `dynaudit serve`: a shipping thread (records and
// checkpoints to the central table, record_shipper.hpp) and a control
// thread that heartbeats (id, build, rule set, lag, health) and pulls the
// newest signed rule set, applying it through the proxy's own reload path.
// Neither thread touches the request path; the table being slow, throttling
// or gone shows as lag and health, never as a client's error.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleet/dynamodb_client.hpp"
#include "fleet/record_shipper.hpp"
#include "fleet/rule_set.hpp"
#include "metrics/exposition.hpp"

namespace dynaudit::fleet {

struct CentralRulesOptions {
  bool pull = false;
  // The rule file the central set is written to (one of rules.files); also
  // with pull off, to report the set it holds.
  std::string file;
  std::string public_key_file;  // Ed25519 public key the sets must be signed with
  std::chrono::milliseconds poll_interval{30'000};
  // "" when `text` is a valid rule file for this proxy; else why not.
  std::function<std::string(const std::string& text)> validate;
  // Reloads the rules (the proxy's reload path); true when applied.
  std::function<bool()> apply;
  // The fingerprint of the rules in force and how many rule files are not
  // the central one (heartbeat: local files are drift too).
  std::function<std::string()> fingerprint;
  std::size_t local_files = 0;
};

struct AgentOptions {
  std::string proxy_id;
  std::string build;
  DynamoDbEndpoint endpoint;
  CredentialSupplier credentials;
  ShipperOptions shipper;  // proxy_id and table are filled from here
  std::string table;
  std::chrono::milliseconds ship_interval{1'000};
  std::size_t parallel_batches = 4;  // BatchWriteItem calls in flight at once
  std::chrono::milliseconds heartbeat_interval{30'000};
  std::string checkpoint_key_id;  // "" without signed checkpoints
  // The store's newest committed sequence, read at heartbeat and scrape
  // time, so that the lag counts records committed while a round is stuck.
  std::function<std::uint64_t()> committed_sequence;
  CentralRulesOptions rules;
  // One JSON log line (the proxy's log): shipping problems, rule sets.
  std::function<void(const std::string& level, const std::string& message)> log;
};

struct RulesState {
  std::uint64_t applied_version = 0;
  std::string applied_sha256;   // of the central file's text as applied
  std::uint64_t refused_version = 0;
  std::string last_problem;     // why the newest set was refused ("" when applied)
};

class FleetAgent {
 public:
  static std::unique_ptr<FleetAgent> start(AgentOptions options, std::string& error);
  ~FleetAgent();  // stops both threads (a round in flight is abandoned: shipped again later)
  void stop();

  // /metrics families (dynaudit_fleet_*).
  void write_metrics(metrics::Exposition& out) const;
  ShipperState shipper_state() const { return current_state(); }
  RulesState rules_state() const;

 private:
  explicit FleetAgent(AgentOptions options);
  bool pause(std::chrono::milliseconds duration);
  void ship_loop();
  void control_loop();
  void heartbeat();
  void poll_rules();
  void log(const std::string& level, const std::string& message) const;
  std::chrono::milliseconds heartbeat_period() const;
  // The shipper's state with the head as committed now.
  ShipperState current_state() const;

  AgentOptions options_;
  std::vector<std::unique_ptr<DynamoDbClient>> ship_clients_;  // one per lane
  std::unique_ptr<DynamoDbClient> control_client_;
  WriteCounters counters_;
  std::unique_ptr<RecordShipper> shipper_;
  std::atomic<std::uint64_t> heartbeats_{0};
  std::atomic<std::uint64_t> heartbeat_failures_{0};
  mutable std::mutex rules_mutex_;
  RulesState rules_;
  std::string passed_over_;  // RULES items last passed over (control thread only)
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread ship_thread_;
  std::thread control_thread_;
};

// The atomically written "<file>.fleet-version": which central version the
// rule file holds, so that a restart does not take it for drift.
bool load_applied_version(const std::string& rules_file, RulesState& out);
bool save_applied_version(const std::string& rules_file, const RulesState& state, std::string& error);

}  // namespace dynaudit::fleet
