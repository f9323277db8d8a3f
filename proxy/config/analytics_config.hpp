// The `analytics` config section (docs/anomalies.md, docs/configuration.md)
// and what the server makes of it. Apart from serve_config.cpp so that the
// analyser's settings live in one place.
#pragma once

#include "analytics/analytics_service.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/config/yaml_reader.hpp"

namespace dynaudit::proxy {

// Reads `analytics` if present. Channel names are checked afterwards
// (check_analytics_channels), once alerts are read.
void read_analytics(YamlMap& root, AnalyticsConfig& out);
void check_analytics_channels(YamlMap& root, const ServeConfig& config);

analytics::AnalyticsServiceOptions analytics_service_options(const AnalyticsConfig& config);

}  // namespace dynaudit::proxy
