// Helpers shared by the proxy/auth unit tests: an owning request that hands
// out RequestViews, scoped environment variables, and temp folders.
#pragma once

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aws/http_view.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "aws/sigv4.hpp"

namespace dynaudit::proxy::test {

// Owns the strings a RequestView points into. view() must be called again
// after any change: the views are rebuilt each time.
struct OwnedRequest {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<HeaderView> views;

  RequestView view() {
    views.clear();
    for (const auto& [name, value] : headers) views.push_back({name, value});
    return RequestView{method, target, views, body};
  }
  static bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
        return false;
    return true;
  }
  // Replaces the first header of that name (any case), or appends it.
  void set(const std::string& name, const std::string& value) {
    for (auto& h : headers)
      if (same(h.first, name)) {
        h.second = value;
        return;
      }
    headers.emplace_back(name, value);
  }
  void remove(const std::string& name) {
    std::erase_if(headers, [&](const auto& h) { return same(h.first, name); });
  }
  std::optional<std::string> get(const std::string& name) const {
    for (const auto& h : headers)
      if (same(h.first, name)) return h.second;
    return std::nullopt;
  }
};

inline std::chrono::system_clock::time_point at(std::string_view amz_date) {
  return sigv4::parse_amz_date(amz_date).value();
}

// Sets (or unsets) environment variables for one test and restores them.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }
  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }
  // Clears every variable an AWS credential source reads, so that the
  // machine's own configuration cannot leak into a test.
  void clear_aws() {
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
          "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
          "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED"})
      unset(name);
  }

 private:
  void save(const std::string& name) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A fresh folder under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("dynaudit-auth-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace dynaudit::proxy::test
