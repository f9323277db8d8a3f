// Analyser: learns how each principal uses DynamoDB from the committed audit
// records, in their order, and says when that changes. Single-threaded and
// deterministic: the same records give the same anomalies, live or replayed
// (`anomalies learn`, the evaluation harness). Time is the records' time,
// never the wall clock, so simulated weeks run in seconds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/analyser_config.hpp"
#include "analytics/anomaly.hpp"
#include "analytics/observation.hpp"
#include "analytics/principal_profile.hpp"

namespace dynaudit::analytics {

struct AnalyserStats {
  std::uint64_t observed = 0;     // records taken in
  std::uint64_t anomalies = 0;    // reported
  std::uint64_t suppressed = 0;   // found but inside a principal's quiet period
  std::uint64_t evicted = 0;      // principals forgotten for max_principals
  std::size_t principals = 0;
};

class Analyser {
 public:
  explicit Analyser(AnalyserConfig config = {});

  // Takes one call in; appends what it found unusual to `out`. With
  // alerting off (learning from history) it only learns.
  void observe(const Observation& call, std::vector<Anomaly>& out);
  void set_alerting(bool on) { alerting_ = on; }

  const AnalyserConfig& config() const { return config_; }
  AnalyserStats stats() const;

  // Persistence: every profile, and loading one back.
  void for_each_profile(const std::function<void(const std::string&, const PrincipalProfile&)>& visit) const;
  void load_profile(const std::string& principal, std::unique_ptr<PrincipalProfile> profile);
  const PrincipalProfile* profile(const std::string& principal) const;

 private:
  PrincipalProfile& profile_of(const std::string& principal, std::int64_t now_ms);
  void evict_oldest();
  void roll_minute(PrincipalProfile& p, std::int64_t minute) const;
  void roll_day(PrincipalProfile& p, std::int64_t day) const;
  void check_minute(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out);
  void check_day(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out);
  void check_hour_of_week(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out);
  void check_first_seen(PrincipalProfile& p, const Observation& call, std::vector<Anomaly>& out);
  bool learned(const PrincipalProfile& p, std::int64_t now_ms) const;
  // Applies suppression; true when the anomaly was reported.
  bool report(PrincipalProfile& p, Anomaly anomaly, std::vector<Anomaly>& out);

  AnalyserConfig config_;
  bool alerting_ = true;
  std::unordered_map<std::string, std::unique_ptr<PrincipalProfile>> profiles_;
  AnalyserStats stats_;
};

// "Mon 03:00 UTC" for an hour-of-week bucket (0 = Monday 00:00).
std::string bucket_label(std::size_t hour_of_week);
std::size_t hour_of_week(std::int64_t unix_ms);

}  // namespace dynaudit::analytics
