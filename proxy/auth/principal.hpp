// Who made a call, as the proxy established it.
#pragma once

#include <string>
#include <vector>

namespace dynaudit::proxy {

enum class AuthMode { trust, verify };

struct Principal {
  std::string access_key_id;  // the key the client claimed (or empty)
  std::string name;           // from the credentials file; in trust mode, the access key
  std::vector<std::string> groups;
  AuthMode mode = AuthMode::trust;
  bool verified = false;      // true only after a successful SigV4 verification
  // dynaudit's own call (an active discovery scan): never set from anything
  // a client sends; its record names identity type "dynaudit".
  bool internal = false;
};

}  // namespace dynaudit::proxy
