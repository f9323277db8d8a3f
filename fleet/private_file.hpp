// Small private files the fleet keeps beside the store (the shipping
// cursor, the applied rule version, the central rule file): replaced
// atomically and durably, mode 0600 whatever the umask.
#pragma once

#include <optional>
#include <string>

namespace dynaudit::fleet {

// Temporary file, fsync, rename over `path`, fsync the folder.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error);
// The whole file; nullopt when it does not exist (`error` empty) or cannot be read (`error` set).
std::optional<std::string> read_whole_file(const std::string& path, std::string& error);

}  // namespace dynaudit::fleet
