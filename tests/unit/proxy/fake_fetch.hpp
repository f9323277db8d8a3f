// A scripted stand-in for the Beast HTTP client that ECS and IMDS use:
// answers by method and URL, records every request, and can be switched to
// failures at any time (thread-safe: the refresh thread calls it).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"

namespace dynaudit::proxy::test {

class FakeFetch {
 public:
  using Responder = std::function<FetchResponse(const FetchRequest&)>;

  void on(const std::string& method, const std::string& url, Responder responder) {
    std::lock_guard lock(mutex_);
    routes_[{method, url}] = std::move(responder);
  }
  void on(const std::string& method, const std::string& url, unsigned status, std::string body) {
    on(method, url, [status, body](const FetchRequest&) { return FetchResponse{status, body, ""}; });
  }

  HttpFetch fetch() {
    return [this](const FetchRequest& request) {
      Responder responder;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        const auto it = routes_.find({request.method, request.url});
        if (it == routes_.end()) return FetchResponse{0, "", "connection refused"};
        responder = it->second;
      }
      return responder(request);
    };
  }

  std::vector<FetchRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Responder> routes_;
  std::vector<FetchRequest> requests_;
};

inline std::string credentials_json(const std::string& access_key, const std::string& expiration,
                                    const std::string& code = "") {
  std::string body = "{";
  if (!code.empty()) body += "\"Code\":\"" + code + "\",\"LastUpdated\":\"2024-01-01T00:00:00Z\",\"Type\":\"AWS-HMAC\",";
  body += "\"AccessKeyId\":\"" + access_key + "\",\"SecretAccessKey\":\"secret-of-" + access_key +
          "\",\"Token\":\"token-of-" + access_key + "\"";
  if (!expiration.empty()) body += ",\"Expiration\":\"" + expiration + "\"";
  return body + "}";
}

}  // namespace dynaudit::proxy::test
