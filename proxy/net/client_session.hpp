// One client connection: read requests with limits and deadlines, hand each
// to the worker's RequestHandler, write the responses, honour keep-alive, and
// close cleanly (TLS close_notify included). Plain and TLS share the loop.
#pragma once

#include "proxy/config/serve_config.hpp"
#include "proxy/net/asio.hpp"
#include "proxy/net/connection_info.hpp"
#include "proxy/net/session_registry.hpp"

namespace dynaudit::proxy {

class RequestHandler;

struct SessionEnv {
  RequestHandler& handler;
  ServerControl& control;
  SessionRegistry& registry;
  const LimitsConfig& limits;
};

asio::awaitable<void> run_plain_session(tcp::socket socket, ConnectionInfo info, SessionEnv env);
asio::awaitable<void> run_tls_session(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                      ConnectionInfo info, SessionEnv env);

}  // namespace dynaudit::proxy
