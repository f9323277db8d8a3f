// RuleEngine: the running snapshot, swapped atomically on reload; reload
// status for the admin endpoint; a polling watcher for rule files.
#include "rules/rule_engine.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>

#include "ddb/utf8.hpp"
#include "rules/time_zone.hpp"

namespace dynaudit::rules {
namespace {

void json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = ddb::valid_utf8_sequence_length(s.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

std::string iso8601(std::chrono::system_clock::time_point tp) {
  const std::int64_t ms = std::chrono::floor<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::int64_t days = ms / 86400000;
  std::int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

}  // namespace

struct RuleEngine::FileStamp {
  bool exists = false;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool operator==(const RuleEngine::FileStamp&) const = default;
};

RuleEngine::FileStamp RuleEngine::stamp_of(const std::string& path) {
  struct stat st {};
  RuleEngine::FileStamp s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = static_cast<std::int64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.device = static_cast<std::uint64_t>(st.st_dev);
  return s;
}

struct RuleEngine::Watcher {
  std::mutex mutex;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;
};

RuleEngine::RuleEngine(std::vector<std::string> files, EngineSettings settings,
                       std::shared_ptr<const RuleSnapshot> first)
    : files_(std::move(files)), settings_(settings), current_(std::move(first)) {
  const auto now = std::chrono::system_clock::now();
  status_.loaded_at = now;
  status_.last_attempt = now;
  status_.rule_count = current_->rules().size();
}

RuleEngine::~RuleEngine() {
  if (watcher_) {
    {
      std::lock_guard<std::mutex> lock(watcher_->mutex);
      watcher_->stop = true;
    }
    watcher_->cv.notify_all();
    if (watcher_->thread.joinable()) watcher_->thread.join();
  }
}

std::pair<std::unique_ptr<RuleEngine>, std::vector<LoadError>> RuleEngine::create(std::vector<std::string> files,
                                                                                   EngineSettings settings) {
  // Stamped before reading: a write during the load shows as a change.
  std::vector<FileStamp> stamps;
  for (const std::string& f : files) stamps.push_back(stamp_of(f));
  SnapshotResult r = RuleSnapshot::load_files(files, settings);
  if (!r.snapshot) return {nullptr, std::move(r.errors)};
  std::unique_ptr<RuleEngine> engine(new RuleEngine(std::move(files), settings, std::move(r.snapshot)));
  engine->loaded_stamps_ = std::move(stamps);
  return {std::move(engine), std::vector<LoadError>{}};
}

std::shared_ptr<const RuleSnapshot> RuleEngine::current() const { return std::atomic_load(&current_); }

RuleLoadAttempt RuleEngine::start_attempt() const {
  const auto snapshot = current();
  RuleLoadAttempt attempt;
  attempt.time = status().loaded_at;
  attempt.trigger = "start";
  attempt.rules = snapshot->rules().size();
  attempt.fingerprint = snapshot->fingerprint();
  attempt.files = files_;
  return attempt;
}

bool RuleEngine::reload(std::string_view trigger) {
  std::lock_guard<std::mutex> one_at_a_time(reload_mutex_);
  SnapshotResult r = RuleSnapshot::load_files(files_, settings_);
  if (r.snapshot && validator_) {
    // What the files cannot know (e.g. which alert channels exist) is checked
    // by the owner, and refused like any other error in the files.
    if (std::string problem = validator_(*r.snapshot); !problem.empty()) {
      r.errors.push_back(LoadError{"", 0, 0, std::move(problem)});
      r.snapshot.reset();
    }
  }
  const auto now = std::chrono::system_clock::now();
  const bool ok = r.snapshot != nullptr;
  std::size_t rules = 0;
  if (ok) {
    rules = r.snapshot->rules().size();
    std::atomic_store(&current_, std::shared_ptr<const RuleSnapshot>(r.snapshot));
  }
  {
    std::lock_guard<std::mutex> lock(status_mutex_);
    status_.last_attempt = now;
    status_.last_attempt_ok = ok;
    if (ok) {
      status_.loaded_at = now;
      status_.rule_count = rules;
      status_.last_errors.clear();
      ++status_.reloads;
    } else {
      status_.last_errors = r.errors;
      ++status_.failed_reloads;
      rules = status_.rule_count;
    }
  }
  std::string line = "{\"time\":\"" + iso8601(now) + "\",\"event\":\"rules_reload\",\"ok\":";
  line += ok ? "true" : "false";
  if (!ok) {
    line += ",\"errors\":[";
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
      if (i) line += ',';
      json_string(line, format(r.errors[i]));
    }
    line += ']';
  }
  line += ",\"rules\":" + std::to_string(rules) + "}\n";
  // One write(2) so concurrent log lines do not interleave.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  if (observer_) {
    RuleLoadAttempt attempt;
    attempt.time = now;
    attempt.trigger = std::string(trigger);
    attempt.ok = ok;
    attempt.rules = rules;
    attempt.fingerprint = current()->fingerprint();
    attempt.files = files_;
    for (const auto& e : r.errors) attempt.errors.push_back(format(e));
    observer_(attempt);
  }
  return ok;
}

void RuleEngine::watch(std::chrono::milliseconds interval) {
  if (watcher_) return;
  watcher_ = std::make_unique<Watcher>();
  if (interval.count() <= 0) interval = std::chrono::milliseconds(1);
  std::vector<FileStamp> initial = loaded_stamps_;
  watcher_->thread = std::thread([this, interval, stamps = std::move(initial)]() mutable {
    Watcher& w = *watcher_;
    std::unique_lock<std::mutex> lock(w.mutex);
    while (!w.cv.wait_for(lock, interval, [&] { return w.stop; })) {
      lock.unlock();
      bool changed = false;
      for (std::size_t i = 0; i < files_.size(); ++i) {
        FileStamp now = stamp_of(files_[i]);
        if (!(now == stamps[i])) {
          stamps[i] = now;
          changed = true;
        }
      }
      if (changed) reload("file change");
      lock.lock();
    }
  });
}

ReloadStatus RuleEngine::status() const {
  std::lock_guard<std::mutex> lock(status_mutex_);
  return status_;
}

std::string RuleEngine::status_json() const {
  const ReloadStatus s = status();
  std::string out = "{\"rules\":" + std::to_string(s.rule_count) + ",\"files\":[";
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (i) out += ',';
    json_string(out, files_[i]);
  }
  out += "],\"fingerprint\":";
  json_string(out, current()->fingerprint());
  out += ",\"loaded_at\":\"" + iso8601(s.loaded_at) + "\"";
  out += ",\"reloads\":" + std::to_string(s.reloads);
  out += ",\"failed_reloads\":" + std::to_string(s.failed_reloads);
  out += ",\"last_attempt_ok\":";
  out += s.last_attempt_ok ? "true" : "false";
  out += ",\"last_errors\":[";
  for (std::size_t i = 0; i < s.last_errors.size(); ++i) {
    if (i) out += ',';
    json_string(out, format(s.last_errors[i]));
  }
  out += "]}";
  return out;
}

}  // namespace dynaudit::rules
