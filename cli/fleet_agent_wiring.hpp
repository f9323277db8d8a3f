// Starts the fleet agent (fleet/fleet_agent.hpp) beside a created Server
// when the config enables it: the agent reaches the proxy only through the
// Server's companion hooks (rule engine, upstream credentials, /metrics).
#pragma once

#include <memory>
#include <string>

#include "fleet/fleet_agent.hpp"
#include "proxy/config/serve_config.hpp"
#include "proxy/net/server.hpp"

namespace dynaudit::cli {

// nullptr with `error` empty when the fleet is off; with `error` set when
// it is on and could not start (serve then refuses to start).
std::unique_ptr<fleet::FleetAgent> start_fleet_agent(const proxy::ServeConfig& config, proxy::Server& server,
                                                     std::string& error);

// The host name, the default fleet.proxy_id.
std::string default_proxy_id();

}  // namespace dynaudit::cli
