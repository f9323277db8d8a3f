// `dynaudit anomalies list|show|explain|learn` (anomalies_command.hpp).
// Exit codes as the audit commands: 0, 1 (a read failed half way, or no such
// anomaly), 2 usage or the store cannot be opened, 3 learn: the store is busy.
#include "cli/anomalies_command.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "analytics/analyser.hpp"
#include "analytics/anomaly_record.hpp"
#include "analytics/profile_codec.hpp"
#include "cli/audit_subcommands.hpp"
#include "cli/store_subcommand.hpp"
#include "cli/audit_time.hpp"
#include "proxy/config/analytics_config.hpp"
#include "proxy/net/fd_limit.hpp"
#include "storage/json_text.hpp"

namespace dynaudit::cli {
namespace {

void say(const std::string& message) { std::cerr << "dynaudit anomalies: " << message << "\n"; }

struct ListArgs {
  StoreArgs store;
  std::string since, until, principal, feature, min_severity = "low", limit;
  bool json = false;
};
struct OneArgs {
  StoreArgs store;
  std::string event_id;
  bool json = false;
};
struct LearnArgs {
  StoreArgs store;
  std::string since = "30d";
};

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, v == static_cast<double>(static_cast<long long>(v)) ? "%.0f" : "%.1f", v);
  return buffer;
}

// The anomaly JSON with the record's own eventID and sequence in front.
std::string json_line(const storage::AuditEvent& record, const analytics::Anomaly& a) {
  std::string out = "{\"anomalyEventID\":";
  storage::json::append_string(out, record.event_id);
  out += ",\"sequence\":" + std::to_string(record.sequence) + ",\"recordedAt\":";
  storage::json::append_string(out, format_utc(record.event_time, true));
  out += ",\"anomaly\":" + analytics::to_json(a) + "}";
  return out;
}

int run_list(const ListArgs& args) {
  storage::AuditQuery q;
  q.operation = std::string(analytics::kAnomalyEventName);
  q.principal = std::string(analytics::kAnalyticsPrincipal);
  std::string error;
  const auto now = std::chrono::system_clock::now();
  if (!args.since.empty() && !(q.since = parse_time_arg(args.since, now, error))) {
    say("--since: " + error);
    return kAuditUsage;
  }
  if (!args.until.empty() && !(q.until = parse_time_arg(args.until, now, error))) {
    say("--until: " + error);
    return kAuditUsage;
  }
  const auto min = analytics::parse_severity(args.min_severity);
  if (!min) {
    say("--min-severity must be low, medium, high or critical");
    return kAuditUsage;
  }
  std::optional<std::uint64_t> limit;
  if (!args.limit.empty() && !(limit = parse_count(args.limit))) {
    say("--limit must be a number");
    return kAuditUsage;
  }
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) return open_failure;
  if (!args.json)
    std::printf("%-20s %-8s %-24s %-24s %10s %10s  %s\n", "DETECTED", "SEVERITY", "PRINCIPAL", "FEATURE", "OBSERVED",
                "THRESHOLD", "ANOMALY EVENT ID");
  std::uint64_t shown = 0;
  const bool read = reader->query(
      q,
      [&](const storage::AuditEvent& record) {
        const auto a = analytics::anomaly_of_record(record);
        if (!a || a->severity < *min) return true;
        if (!args.principal.empty() && a->principal != args.principal) return true;
        if (!args.feature.empty() && a->feature != args.feature) return true;
        if (args.json) {
          std::cout << json_line(record, *a) << "\n";
        } else {
          std::printf("%-20s %-8s %-24s %-24s %10s %10s  %s\n", format_utc(record.event_time).c_str(),
                      std::string(analytics::to_string(a->severity)).c_str(), a->principal.c_str(), a->feature.c_str(),
                      number(a->observed).c_str(), a->model == "first_seen" ? a->value.c_str() : number(a->threshold).c_str(),
                      record.event_id.c_str());
        }
        return !limit || ++shown < *limit;
      },
      error);
  if (!read) return report_read_failure(error);
  return kAuditOk;
}

// The Anomaly record `event_id`; prints why not.
std::optional<std::pair<storage::AuditEvent, analytics::Anomaly>> find_anomaly(const OneArgs& args, int& code) {
  code = kAuditUsage;
  if (args.event_id.empty()) {
    say("give the anomaly's EVENT_ID (see `dynaudit anomalies list`)");
    return std::nullopt;
  }
  auto reader = open_reader(args.store, nullptr, &code);
  if (!reader) return std::nullopt;
  std::string error;
  auto record = reader->find_event(args.event_id, &error);
  code = kAuditDamaged;
  if (!error.empty()) {
    say(error);
    return std::nullopt;
  }
  if (!record) {
    say("no record with eventID " + args.event_id);
    return std::nullopt;
  }
  auto anomaly = analytics::anomaly_of_record(*record);
  if (!anomaly) {
    say("record " + args.event_id + " is a " + record->event_name + " record, not an Anomaly");
    return std::nullopt;
  }
  code = kAuditOk;
  return std::make_pair(std::move(*record), std::move(*anomaly));
}

int run_show(const OneArgs& args) {
  int code = kAuditOk;
  const auto found = find_anomaly(args, code);
  if (!found) return code;
  const auto& [record, a] = *found;
  if (args.json) {
    std::cout << json_line(record, a) << "\n";
    return kAuditOk;
  }
  std::cout << "anomaly " << record.event_id << " (record " << record.sequence << ", " << format_utc(record.event_time, true)
            << ")\n"
            << "  principal   " << a.principal << "\n"
            << "  feature     " << a.feature << " (" << a.model << ")\n"
            << "  severity    " << analytics::to_string(a.severity) << "\n"
            << "  seen at     " << format_utc(a.time, true) << "\n";
  if (a.model == "first_seen") {
    std::cout << "  new value   " << a.value << "\n  known       ";
    for (std::size_t i = 0; i < a.known.size(); ++i) std::cout << (i ? ", " : "") << a.known[i];
    std::cout << "\n";
  } else {
    std::cout << "  observed    " << number(a.observed) << "\n  baseline    " << number(a.baseline) << " (spread "
              << number(a.scale) << ", peak " << number(a.peak) << ", " << a.bucket << ")\n  threshold   "
              << number(a.threshold) << "\n  score       " << number(a.score) << "\n";
  }
  std::cout << "  tables      ";
  for (std::size_t i = 0; i < a.tables.size(); ++i) std::cout << (i ? ", " : "") << a.tables[i];
  std::cout << "\n  call        " << a.event_id << " (dynaudit audit show " << a.event_id << ")\n";
  return kAuditOk;
}

int run_explain(const OneArgs& args) {
  int code = kAuditOk;
  const auto found = find_anomaly(args, code);
  if (!found) return code;
  const auto& [record, a] = *found;
  std::cout << a.principal << ": " << a.explanation << ".\n";
  if (a.model == "rate_1m" || a.model == "rate_1d")
    std::cout << "The threshold is the largest of the baseline plus " << (a.model == "rate_1m" ? "8" : "6")
              << " spreads, " << (a.model == "rate_1m" ? "twice" : "1.5 times")
              << " the highest value of recent weeks, and the feature's minimum; severity grows with observed / "
                 "threshold (medium below 2, high below 4, critical above).\n";
  else if (a.model == "first_seen")
    std::cout << "First use of a value is reported once the principal's learning period has passed; the value is "
                 "known from then on.\n";
  else
    std::cout << "Reported once the hour has " << number(a.threshold)
              << " calls, for a principal seen for at least two weeks that is not active around the clock.\n";
  std::cout << "The call that crossed the line: dynaudit audit show " << a.event_id << "\n";
  return kAuditOk;
}

int run_learn(const LearnArgs& args) {
  std::string path, error;
  if (!resolve_store_path(args.store, path, error)) {
    say(error);
    return kAuditUsage;
  }
  analytics::AnalyserConfig config;
  if (!args.store.config.empty()) {
    const auto loaded = proxy::load_serve_config(args.store.config);
    if (loaded.config) config = proxy::analytics_service_options(loaded.config->analytics).analyser;
  }
  storage::AuditQuery q;
  if (!(q.since = parse_time_arg(args.since, std::chrono::system_clock::now(), error))) {
    say("--since: " + error);
    return kAuditUsage;
  }
  auto reader = storage::AuditReader::open_for_prune(path, error);
  if (!reader) {
    if (const auto holder = store_lock_holder(path)) {
      say("the store " + path + " is in use by process " + std::to_string(*holder) +
          " (dynaudit serve?): learn needs it to itself; stop serve, learn, start serve");
      return kAuditBusy;
    }
    say(error);
    return kAuditUsage;
  }
  analytics::Analyser analyser(config);
  analyser.set_alerting(false);
  std::uint64_t records = 0, calls = 0;
  std::vector<analytics::Anomaly> ignored;
  const bool read = reader->query(
      q,
      [&](const storage::AuditEvent& record) {
        ++records;
        if (auto o = analytics::observe(record)) {
          ++calls;
          analyser.observe(*o, ignored);
        }
        return true;
      },
      error);
  if (!read) return report_read_failure(error);
  storage::SideEntries entries;
  analyser.for_each_profile([&](const std::string& principal, const analytics::PrincipalProfile& profile) {
    entries.emplace_back(principal, analytics::encode_profile(profile));
  });
  if (!reader->write_side_state(storage::SideState::baselines, entries, error)) {
    say(error);
    return kAuditDamaged;
  }
  std::cout << "learned from " << calls << " calls (" << records << " records since " << format_utc(*q.since)
            << "): baselines of " << entries.size() << " principals written to " << path << "\n";
  return kAuditOk;
}

template <typename Args>
void bind(CLI::App* cmd, std::shared_ptr<Args> args, int (*body)(const Args&), int& exit_code) {
  bind_store_subcommand(cmd, args, body, exit_code, say, "anomalies");
}

}  // namespace

void add_anomalies_command(CLI::App& app, int& exit_code) {
  auto* anomalies = app.add_subcommand("anomalies", "What the behaviour analyser found, and learning its baselines");
  anomalies->require_subcommand(1);

  auto list = std::make_shared<ListArgs>();
  auto* l = anomalies->add_subcommand("list", "Anomaly records, oldest first");
  add_store_options(l, list->store);
  l->add_option("--since", list->since, "From this time on (RFC 3339, or an age: 15m, 2h, 1d)");
  l->add_option("--until", list->until, "Before this time");
  l->add_option("--principal", list->principal, "Only anomalies about this principal");
  l->add_option("--feature", list->feature, "Only this feature (items_returned, new_network, off_hours, ...)");
  l->add_option("--min-severity", list->min_severity, "low (default), medium, high or critical");
  l->add_option("--limit", list->limit, "At most this many");
  l->add_flag("--json", list->json, "One JSON object per line");
  bind(l, list, run_list, exit_code);

  auto show = std::make_shared<OneArgs>();
  auto* s = anomalies->add_subcommand("show", "One anomaly with its numbers");
  add_store_options(s, show->store);
  s->add_option("event_id", show->event_id, "The Anomaly record's eventID");
  s->add_flag("--json", show->json, "As JSON");
  bind(s, show, run_show, exit_code);

  auto explain = std::make_shared<OneArgs>();
  auto* e = anomalies->add_subcommand("explain", "Why an anomaly was reported, in words");
  add_store_options(e, explain->store);
  e->add_option("event_id", explain->event_id, "The Anomaly record's eventID");
  bind(e, explain, run_explain, exit_code);

  auto learn = std::make_shared<LearnArgs>();
  auto* n = anomalies->add_subcommand(
      "learn", "Build the analyser's baselines from the audit history (stop serve first; it loads them at start)");
  add_store_options(n, learn->store);
  n->add_option("--since", learn->since, "History from this time on (default 30d)");
  bind(n, learn, run_learn, exit_code);
}

}  // namespace dynaudit::cli
