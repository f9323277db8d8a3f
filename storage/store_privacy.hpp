// The audit store's folder and files are private to the user running
// dynaudit (0700 and 0600), whatever the umask was when they were made:
// records name principals, tables and key values.
#pragma once

#include <string>

namespace dynaudit::storage {

// chmod of the folder (0700) and of every file under it (0600), as far as
// this user may. False, with `error` naming the first path that refused.
bool make_store_private(const std::string& path, std::string& error);

}  // namespace dynaudit::storage
