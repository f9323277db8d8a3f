// Claiming a listening port for this process alone; see listen_port.hpp.
#include "proxy/net/listen_port.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

namespace dynaudit::proxy {
namespace {

namespace fs = std::filesystem;

struct Listening {
  asio::ip::address_v6 address;  // IPv4 as v4-mapped
  bool v4 = false;               // from /proc/net/tcp (so "any" means any IPv4 address)
  std::uint16_t port = 0;
  std::string inode;
};

asio::ip::address_v6 as_v6(const asio::ip::address& address) {
  return address.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()) : address.to_v6();
}

// /proc/net/tcp prints each 32-bit word of the address as the host stores
// it: on a little-endian machine "0100007F" is 127.0.0.1.
std::optional<asio::ip::address_v6> parse_proc_address(const std::string& hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> bytes{};
  std::vector<unsigned char> raw;
  for (std::size_t word = 0; word < hex.size() / 8; ++word) {
    std::uint32_t value = 0;
    try {
      value = static_cast<std::uint32_t>(std::stoul(hex.substr(word * 8, 8), nullptr, 16));
    } catch (...) {
      return std::nullopt;
    }
    unsigned char host[4];
    std::memcpy(host, &value, 4);
    raw.insert(raw.end(), host, host + 4);
  }
  if (raw.size() == 4) {
    asio::ip::address_v4::bytes_type v4;
    std::copy(raw.begin(), raw.end(), v4.begin());
    return asio::ip::make_address_v6(asio::ip::v4_mapped, asio::ip::address_v4(v4));
  }
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

std::vector<Listening> listening_sockets() {
  std::vector<Listening> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
        continue;
      if (state != "0A") continue;  // TCP_LISTEN
      const auto colon = local.find(':');
      if (colon == std::string::npos) continue;
      const auto address = parse_proc_address(local.substr(0, colon));
      if (!address) continue;
      Listening l;
      l.address = *address;
      l.v4 = std::string_view(table) == "/proc/net/tcp";
      try {
        l.port = static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
      } catch (...) {
        continue;
      }
      l.inode = inode;
      out.push_back(std::move(l));
    }
  }
  return out;
}

// The socket inodes of a process's descriptors ("socket:[123]" → "123").
std::set<std::string> socket_inodes(const fs::path& fd_folder) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(fd_folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_error;
    const std::string target = fs::read_symlink(it->path(), link_error).string();
    if (!link_error && target.rfind("socket:[", 0) == 0 && target.back() == ']')
      inodes.insert(target.substr(8, target.size() - 9));
  }
  return inodes;
}

bool overlaps(const Listening& theirs, const tcp::endpoint& ours) {
  if (theirs.port != ours.port()) return false;
  const auto mine = as_v6(ours.address());
  const bool my_any = ours.address().is_unspecified();
  const bool their_any =
      theirs.v4 ? theirs.address == asio::ip::make_address_v6(asio::ip::v4_mapped, asio::ip::address_v4::any())
                : theirs.address.is_unspecified();
  if (theirs.address == mine) return true;
  if (their_any) return !theirs.v4 || mine.is_v4_mapped() || my_any;
  if (my_any) return ours.address().is_v6() || theirs.address.is_v4_mapped();
  return false;
}

// "process 1234 (dynaudit)", found by the socket's inode; best effort (a
// process of another user may not be readable).
std::string holder_of(const std::string& inode) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!socket_inodes(it->path() / "fd").count(inode)) continue;
    std::ifstream comm(it->path() / "comm");
    std::string name;
    std::getline(comm, name);
    return "process " + pid + (name.empty() ? std::string() : " (" + name + ")");
  }
  return "another process";
}

std::string where(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// Who listens on the endpoint's port, for an error message.
std::string holders(const tcp::endpoint& endpoint) {
  const auto ours = socket_inodes("/proc/self/fd");
  std::set<std::string> names;
  for (const auto& l : listening_sockets())
    if (overlaps(l, endpoint) && !ours.count(l.inode)) names.insert(holder_of(l.inode));
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? std::string("another socket") : text;
}

}  // namespace

bool open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool shared, std::string& error) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && shared) {
    // SO_REUSEPORT: one acceptor per worker on the same port.
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec == asio::error::address_in_use) {
    error = where(endpoint) + ": the port is held by " + holders(endpoint);
  } else if (ec) {
    error = where(endpoint) + ": " + ec.message();
  }
  return !ec;
}

std::uint16_t claim_port(const tcp::endpoint& endpoint, std::string& error) {
  asio::io_context ioc{1};
  tcp::acceptor probe(ioc);
  error_code ec;
  probe.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only lets the bind past connections in TIME_WAIT (a quick
  // restart); a listener of any other process still makes it fail.
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    error = where(endpoint) + ": the port is held by " + holders(endpoint) +
            "; dynaudit does not share its port (two proxies on one port would split the calls between two audit "
            "logs)";
    return 0;
  }
  if (ec) {
    error = where(endpoint) + ": " + ec.message();
    return 0;
  }
  const auto port = probe.local_endpoint(ec).port();
  if (ec) {
    error = where(endpoint) + ": " + ec.message();
    return 0;
  }
  return port;
}

bool port_held_only_by_us(const tcp::endpoint& endpoint, std::string& error) {
  const auto ours = socket_inodes("/proc/self/fd");
  for (const auto& l : listening_sockets()) {
    if (!overlaps(l, endpoint) || ours.count(l.inode)) continue;
    error = where(endpoint) + ": " + holder_of(l.inode) +
            " listens on this port too (both started at once?); dynaudit does not share its port";
    return false;
  }
  return true;
}

}  // namespace dynaudit::proxy
