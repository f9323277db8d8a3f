// Tightening an audit store's permissions (see store_privacy.hpp).
#include "storage/store_privacy.hpp"

#include <filesystem>

namespace dynaudit::storage {
namespace {

namespace fs = std::filesystem;

bool restrict_to(const fs::path& path, fs::perms wanted, std::string& error) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (ec || fs::is_symlink(status)) return true;  // gone meanwhile, or not ours to follow
  if ((status.permissions() & fs::perms::mask) == wanted) return true;
  fs::permissions(path, wanted, fs::perm_options::replace, ec);
  if (ec && error.empty()) error = "cannot make " + path.string() + " private: " + ec.message();
  return !ec;
}

}  // namespace

bool make_store_private(const std::string& path, std::string& error) {
  bool ok = restrict_to(path, fs::perms::owner_all, error);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      ok = restrict_to(it->path(), fs::perms::owner_all, error) && ok;
    } else {
      ok = restrict_to(it->path(), fs::perms::owner_read | fs::perms::owner_write, error) && ok;
    }
  }
  if (ec && error.empty()) {
    error = "cannot list " + path + ": " + ec.message();
    ok = false;
  }
  return ok;
}

}  // namespace dynaudit::storage
