// The upstream credential provider: resolves the configured source (or the
// default chain) once, synchronously, then keeps temporary credentials
// fresh from a background thread so that current() never waits on I/O.
#include "aws/upstream_credentials.hpp"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "aws/credential_sources.hpp"

namespace dynaudit::aws {
namespace {

using std::chrono::system_clock;
using Loader = std::function<CredentialResult()>;

class StaticProvider final : public UpstreamCredentialProvider {
 public:
  StaticProvider(AwsCredentials credentials, std::string source)
      : credentials_(std::make_shared<const AwsCredentials>(std::move(credentials))),
        source_(std::move(source)) {}
  std::shared_ptr<const AwsCredentials> current() const override {
    // Static credentials can still carry an expiration (env
    // AWS_CREDENTIAL_EXPIRATION); past it they are useless upstream.
    if (credentials_->expiration && *credentials_->expiration <= system_clock::now()) return nullptr;
    return credentials_;
  }
  std::string describe() const override { return source_; }

 private:
  std::shared_ptr<const AwsCredentials> credentials_;
  std::string source_;
};

// Temporary credentials: refreshed `refresh_before_expiry` ahead of their
// expiration; on failure retried with exponential backoff while the old
// credentials stay in use until they actually expire.
class RefreshingProvider final : public UpstreamCredentialProvider {
 public:
  RefreshingProvider(Loader loader, AwsCredentials first, std::string source,
                     const UpstreamCredentialSettings& settings)
      : loader_(std::move(loader)),
        source_(std::move(source)),
        refresh_before_(settings.refresh_before_expiry),
        retry_initial_(std::max(settings.refresh_retry_initial, std::chrono::milliseconds{1})),
        retry_max_(std::max(settings.refresh_retry_max, retry_initial_)) {
    credentials_.store(std::make_shared<const AwsCredentials>(std::move(first)));
    thread_ = std::thread([this] { run(); });
  }

  ~RefreshingProvider() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  std::shared_ptr<const AwsCredentials> current() const override {
    auto creds = credentials_.load();
    if (creds && creds->expiration && *creds->expiration <= system_clock::now()) return nullptr;
    return creds;
  }

  std::string describe() const override { return source_; }

  CredentialRefreshStats refresh_stats() const override {
    CredentialRefreshStats stats;
    stats.refreshed = refreshed_.load(std::memory_order_relaxed);
    stats.failed = failed_.load(std::memory_order_relaxed);
    if (const auto creds = credentials_.load(); creds && creds->expiration)
      stats.expires_at = std::chrono::duration_cast<std::chrono::seconds>(creds->expiration->time_since_epoch()).count();
    return stats;
  }

 private:
  std::chrono::milliseconds backoff(int attempts) const {
    auto delay = retry_initial_;
    for (int i = 1; i < attempts && delay < retry_max_; ++i) delay *= 2;
    return std::min(delay, retry_max_);
  }

  // When to try next: at the refresh point of the current credentials, or
  // — after failures, or when the source keeps handing out credentials that
  // are already due — after a growing backoff, so that neither a dead
  // endpoint nor a short-lived token turns this into a busy loop.
  system_clock::time_point next_attempt(int attempts, system_clock::time_point last_attempt) const {
    const auto creds = credentials_.load();
    if (attempts > 0) return last_attempt + backoff(attempts);
    if (!creds || !creds->expiration) return system_clock::time_point::max();
    return *creds->expiration - refresh_before_;
  }

  void run() {
    int attempts_without_progress = 0;
    auto last_attempt = system_clock::now();
    std::unique_lock lock(mutex_);
    while (!stop_) {
      const auto due = next_attempt(attempts_without_progress, last_attempt);
      if (due == system_clock::time_point::max()) {
        wake_.wait(lock, [this] { return stop_; });
        return;
      }
      const auto now = system_clock::now();
      if (now < due) {
        // wait_for measures on the steady clock, so a wall-clock jump
        // only shifts the schedule, it never hangs the thread.
        wake_.wait_for(lock, due - now, [this] { return stop_; });
        continue;  // re-evaluate: woken early, stopped, or due now
      }
      lock.unlock();
      last_attempt = system_clock::now();
      CredentialResult result = loader_();
      lock.lock();
      if (stop_) return;
      if (result.credentials) {
        auto fresh = std::make_shared<const AwsCredentials>(std::move(*result.credentials));
        const bool still_due = fresh->expiration && *fresh->expiration - refresh_before_ <= system_clock::now();
        credentials_.store(std::move(fresh));
        attempts_without_progress = still_due ? attempts_without_progress + 1 : 0;
        last_error_.clear();
        refreshed_.fetch_add(1, std::memory_order_relaxed);
      } else {
        ++attempts_without_progress;
        last_error_ = result.error;
        failed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  Loader loader_;
  std::string source_;
  std::chrono::seconds refresh_before_;
  std::chrono::milliseconds retry_initial_;
  std::chrono::milliseconds retry_max_;
  std::atomic<std::shared_ptr<const AwsCredentials>> credentials_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string last_error_;  // kept for debugging; never holds a secret
  std::atomic<std::uint64_t> refreshed_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;      // last: started after every member above exists
};

// A source resolved to a loader that can be called again for refreshes.
struct Resolved {
  Loader loader;
  CredentialResult first;
};

std::unique_ptr<UpstreamCredentialProvider> make_provider(Resolved resolved,
                                                          const UpstreamCredentialSettings& settings,
                                                          std::string& error) {
  if (!resolved.first.credentials) {
    error = resolved.first.error;
    return nullptr;
  }
  AwsCredentials creds = std::move(*resolved.first.credentials);
  if (creds.expiration && resolved.loader)
    return std::make_unique<RefreshingProvider>(std::move(resolved.loader), std::move(creds),
                                                resolved.first.source_name, settings);
  return std::make_unique<StaticProvider>(std::move(creds), resolved.first.source_name);
}

Resolved resolve_ecs(const HttpFetch& fetch) {
  std::string error;
  auto endpoint = upstream::container_endpoint_from_environment(error);
  if (!endpoint) {
    CredentialResult r;
    r.source_name = "ecs";
    r.error = error;
    return {nullptr, std::move(r)};
  }
  Loader loader = [fetch, ep = *endpoint] { return upstream::load_from_container(fetch, ep); };
  CredentialResult first = loader();
  return {std::move(loader), std::move(first)};
}

Resolved resolve_imds(const HttpFetch& fetch, const UpstreamCredentialSettings& settings) {
  Loader loader = [fetch, ep = upstream::resolve_imds_endpoint(settings.imds_endpoint)] {
    return load_from_imds(fetch, ep);
  };
  CredentialResult first = loader();
  return {std::move(loader), std::move(first)};
}

Resolved resolve_profile(const UpstreamCredentialSettings& settings) {
  const std::string file = upstream::resolve_credentials_file(settings.shared_credentials_file);
  const std::string profile = upstream::resolve_profile(settings.profile);
  Loader loader = [file, profile] { return load_from_profile(file, profile); };
  CredentialResult first = loader();
  return {std::move(loader), std::move(first)};
}

// The default chain, in the SDKs' order. A source that is simply absent is
// skipped; one that is present but broken stops the chain, because falling
// through would sign with an identity the operator did not choose.
Resolved resolve_chain(const UpstreamCredentialSettings& settings, const HttpFetch& fetch) {
  std::string skipped;
  auto note = [&](const std::string& why) {
    if (!skipped.empty()) skipped += "; ";
    skipped += why;
  };

  if (upstream::env("AWS_ACCESS_KEY_ID") || upstream::env("AWS_SECRET_ACCESS_KEY"))
    return {nullptr, load_from_environment()};
  note("environment: AWS_ACCESS_KEY_ID is not set");

  {
    const std::string file = upstream::resolve_credentials_file(settings.shared_credentials_file);
    const std::string profile = upstream::resolve_profile(settings.profile);
    const bool profile_chosen = !settings.profile.empty() || upstream::env("AWS_PROFILE");
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      Resolved r = resolve_profile(settings);
      if (r.first.credentials || profile_chosen) return r;
      note(r.first.error);
    } else if (profile_chosen) {
      CredentialResult r;
      r.source_name = "profile:" + profile;
      r.error = "profile:" + profile + ": the credentials file " + file + " does not exist";
      return {nullptr, std::move(r)};
    } else {
      note("profile: no credentials file at " + file);
    }
  }

  if (upstream::container_endpoint_configured()) return resolve_ecs(fetch);
  note("ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI are not set");

  if (auto disabled = upstream::env("AWS_EC2_METADATA_DISABLED");
      disabled && (*disabled == "true" || *disabled == "TRUE" || *disabled == "True")) {
    note("imds: disabled by AWS_EC2_METADATA_DISABLED");
  } else {
    Resolved r = resolve_imds(fetch, settings);
    if (r.first.credentials) return r;
    note(r.first.error);
  }
  CredentialResult none;
  none.source_name = "chain";
  none.error = "no upstream credentials found (" + skipped + ")";
  return {nullptr, std::move(none)};
}

}  // namespace

std::unique_ptr<UpstreamCredentialProvider> make_upstream_credential_provider(
    const UpstreamCredentialSettings& settings, HttpFetch fetch, std::string& error) {
  switch (settings.source) {
    case CredentialSource::static_keys: {
      if (settings.static_credentials.access_key_id.empty() ||
          settings.static_credentials.secret_access_key.empty()) {
        error = "static: access key id and secret access key are both required";
        return nullptr;
      }
      return std::make_unique<StaticProvider>(settings.static_credentials, "static");
    }
    case CredentialSource::environment:
      return make_provider({nullptr, load_from_environment()}, settings, error);
    case CredentialSource::profile:
      return make_provider(resolve_profile(settings), settings, error);
    case CredentialSource::ecs:
      return make_provider(resolve_ecs(fetch), settings, error);
    case CredentialSource::imds:
      return make_provider(resolve_imds(fetch, settings), settings, error);
    case CredentialSource::chain:
      return make_provider(resolve_chain(settings, fetch), settings, error);
  }
  error = "unknown credential source";
  return nullptr;
}

}  // namespace dynaudit::aws
