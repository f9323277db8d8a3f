// Listening ports that belong to this process alone. Each worker has its own
// acceptor on a listener's port (SO_REUSEPORT), and the kernel lets any other
// process of the same user join that group and take a share of the
// connections: a second dynaudit with another store would split the audit
// log between the two. So a port is claimed first by a bind without
// SO_REUSEPORT, which fails while any process holds it; and once this
// process's acceptors are bound, /proc/net/tcp must show no listener on the
// port but them (two processes starting at the same instant both refuse).
#pragma once

#include <cstdint>
#include <string>

#include "proxy/net/asio.hpp"

namespace dynaudit::proxy {

// Opens, binds and listens. `shared`: with SO_REUSEPORT, for the workers'
// acceptors of one listener; otherwise the port is this socket's alone.
bool open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool shared, std::string& error);

// Binds a socket without SO_REUSEPORT and closes it: the port (the chosen
// one when endpoint's is 0), or 0 with `error` naming who holds it.
std::uint16_t claim_port(const tcp::endpoint& endpoint, std::string& error);

// True unless a listening socket of another process overlaps `endpoint`
// (same port; same address, or either is a wildcard); then `error` says so.
bool port_held_only_by_us(const tcp::endpoint& endpoint, std::string& error);

}  // namespace dynaudit::proxy
