// The `analytics` config section (analytics_config.hpp).
#include "proxy/config/analytics_config.hpp"

namespace dynaudit::proxy {

void read_analytics(YamlMap& root, AnalyticsConfig& out) {
  if (!root.has("analytics")) return;
  YamlMap map(root.child("analytics"), "analytics", root.errors());
  if (!map.valid()) return;
  map.read("enabled", out.enabled);
  map.read_duration("learning_period", out.learning_period);
  map.read_duration("suppress_for", out.suppress_for);
  map.read_count("max_principals", out.max_principals, 1, 1'000'000);
  map.read_duration("persist_interval", out.persist_interval);
  if (out.persist_interval < Millis(1'000)) {
    root.errors().add_plain(root.errors().source() + ": analytics.persist_interval: at least 1s");
  }
  map.read_count("max_queue", out.max_queue, 1, 10'000'000);
  const YAML::Node routes = map.child("alerts");
  if (routes && !routes.IsSequence()) {
    root.errors().add(routes, "analytics.alerts", "must be a list of {channel, min_severity}");
  } else if (routes) {
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const std::string path = "analytics.alerts[" + std::to_string(i) + "]";
      YamlMap route(routes[i], path, root.errors());
      if (!route.valid()) continue;
      AnalyticsRouteConfig r;
      route.require("channel");
      route.read("channel", r.channel);
      route.read_choice("min_severity", r.min_severity, {"low", "medium", "high", "critical"});
      route.finish();
      out.alerts.push_back(std::move(r));
    }
  }
  map.finish();
}

void check_analytics_channels(YamlMap& root, const ServeConfig& config) {
  for (const auto& route : config.analytics.alerts) {
    if (route.channel.empty()) continue;  // reported by require()
    bool found = false;
    for (const auto& c : config.alerts.channels) found = found || c.name == route.channel;
    if (!found)
      root.errors().add_plain(root.errors().source() + ": analytics.alerts: no alert channel named '" + route.channel +
                              "' in alerts.channels");
  }
}

analytics::AnalyticsServiceOptions analytics_service_options(const AnalyticsConfig& config) {
  analytics::AnalyticsServiceOptions o;
  o.analyser.learning_period = std::chrono::duration_cast<std::chrono::seconds>(config.learning_period);
  o.analyser.suppress_for = std::chrono::duration_cast<std::chrono::seconds>(config.suppress_for);
  o.analyser.max_principals = config.max_principals;
  o.persist_interval = config.persist_interval;
  o.max_queue = config.max_queue;
  for (const auto& route : config.alerts)
    o.routes.push_back({route.channel, analytics::parse_severity(route.min_severity).value_or(analytics::Severity::medium)});
  return o;
}

}  // namespace dynaudit::proxy
