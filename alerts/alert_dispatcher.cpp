// AlertDispatcher: one bounded queue and one delivery thread per channel
// (see alert_dispatcher.hpp).
#include "alerts/alert_dispatcher.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "alerts/net.hpp"
#include "alerts/payloads.hpp"
#include "alerts/sink.hpp"

namespace dynaudit::alerts {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kDropLogInterval = std::chrono::seconds{1};
// Throttle windows of rules that went quiet are forgotten past this many.
constexpr std::size_t kMaxThrottleEntries = 4096;

void write_stderr(std::string_view line) {
  std::string out(line);
  out += '\n';
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, out.data(), out.size());
}

// {"time":"...","event":"<event>"  (the caller appends fields and '}')
std::string log_head(std::string_view event, std::string_view channel) {
  std::string out = "{\"time\":";
  append_json_string(out, iso8601_utc_ms(std::chrono::system_clock::now()));
  out += ",\"event\":";
  append_json_string(out, event);
  out += ",\"channel\":";
  append_json_string(out, channel);
  return out;
}

}  // namespace

struct AlertDispatcher::Channel {
  explicit Channel(ChannelConfig c)
      : config(std::move(c)), sink(make_sink(config)), endpoint(sink->endpoint()),
        rng(std::random_device{}()) {}

  struct Throttle {
    SteadyClock::time_point window_start{};
    std::size_t count = 0;                    // delivered in this window
    std::uint64_t suppressed_in_window = 0;
    std::uint64_t unreported = 0;             // suppressed in past windows, not yet told
  };

  // The drop line, if one is due (at most one a second); empty otherwise.
  std::string drop_line_if_due(SteadyClock::time_point now, std::string_view reason) {
    if (dropped_unlogged == 0) return {};
    if (last_drop_log != SteadyClock::time_point{} && now - last_drop_log < kDropLogInterval)
      return {};
    std::string line = log_head("alerts_dropped", config.name);
    line += ",\"reason\":";
    append_json_string(line, reason);
    line += ",\"dropped\":" + std::to_string(dropped_unlogged) + ",\"queueCapacity\":" +
            std::to_string(config.queue_capacity) + "}";
    dropped_unlogged = 0;
    last_drop_log = now;
    return line;
  }

  const ChannelConfig config;
  const std::unique_ptr<Sink> sink;
  const std::string endpoint;
  net::CancelToken cancel;

  mutable std::mutex mu;
  std::condition_variable wake;     // work queued, or quitting
  std::condition_variable drained;  // queue empty and nothing in flight
  std::deque<Alert> queue;
  bool busy = false;
  bool stopping = false;  // no new alerts
  bool quitting = false;  // threads leave, deliveries are abandoned
  ChannelStats stats;
  std::unordered_map<std::string, Throttle> throttles;
  std::uint64_t dropped_unlogged = 0;
  SteadyClock::time_point last_drop_log{};
  std::mt19937_64 rng;
  std::thread thread;
};

AlertDispatcher::AlertDispatcher(std::vector<ChannelConfig> channels, AlertLogFn log)
    : log_(log ? std::move(log) : AlertLogFn(write_stderr)) {
  channels_.reserve(channels.size());
  for (auto& config : channels) channels_.push_back(std::make_unique<Channel>(std::move(config)));
  for (auto& channel : channels_) {
    Channel* c = channel.get();
    c->thread = std::thread([this, c] { run(*c); });
  }
}

AlertDispatcher::~AlertDispatcher() { stop(); }

AlertDispatcher::Channel* AlertDispatcher::find(const std::string& name) const {
  for (const auto& channel : channels_)
    if (channel->config.name == name) return channel.get();
  return nullptr;
}

bool AlertDispatcher::has_channel(const std::string& name) const { return find(name) != nullptr; }

bool AlertDispatcher::submit(Alert alert) {
  Channel* ch = find(alert.channel);
  if (ch == nullptr) return false;
  if (alert.time == std::chrono::system_clock::time_point{})
    alert.time = std::chrono::system_clock::now();
  const auto now = SteadyClock::now();
  std::string line;
  bool queued = false;
  {
    std::lock_guard lock(ch->mu);
    ++ch->stats.submitted;
    if (ch->stopping) {
      ++ch->stats.dropped;
      ++ch->dropped_unlogged;
      line = ch->drop_line_if_due(now, "stopped");
    } else {
      // Fixed-window throttle per (rule, channel). throttle_max 0 or an
      // empty window turns it off.
      std::uint64_t reported = 0;
      Channel::Throttle* throttle = nullptr;
      bool suppressed = false;
      if (alert.throttle_max > 0 && alert.throttle_window.count() > 0) {
        if (ch->throttles.size() >= kMaxThrottleEntries) {
          std::erase_if(ch->throttles, [&](const auto& entry) {
            return entry.second.unreported == 0 && entry.second.suppressed_in_window == 0 &&
                   now - entry.second.window_start >= alert.throttle_window;
          });
        }
        auto [it, inserted] = ch->throttles.try_emplace(alert.rule_id);
        throttle = &it->second;
        if (inserted || now - throttle->window_start >= alert.throttle_window) {
          throttle->unreported += throttle->suppressed_in_window;
          throttle->suppressed_in_window = 0;
          throttle->count = 0;
          throttle->window_start = now;
        }
        if (throttle->count >= alert.throttle_max) {
          suppressed = true;
          ++ch->stats.suppressed;
          if (++throttle->suppressed_in_window == 1) {
            line = log_head("alert_suppressed", ch->config.name);
            line += ",\"rule\":";
            append_json_string(line, alert.rule_id);
            line += ",\"windowSeconds\":" + std::to_string(alert.throttle_window.count()) +
                    ",\"max\":" + std::to_string(alert.throttle_max) + "}";
          }
        } else {
          ++throttle->count;
          reported = throttle->unreported;
        }
      }
      if (!suppressed) {
        if (ch->queue.size() >= std::max<std::size_t>(ch->config.queue_capacity, 1)) {
          ++ch->stats.dropped;
          ++ch->dropped_unlogged;
          line = ch->drop_line_if_due(now, "queue_full");
        } else {
          if (reported > 0) {
            alert.message += " (" + std::to_string(reported) + " similar alerts suppressed)";
            throttle->unreported = 0;
          }
          ch->queue.push_back(std::move(alert));
          queued = true;
        }
      }
    }
  }
  if (queued) ch->wake.notify_one();
  if (!line.empty()) log_(line);
  return queued;
}

void AlertDispatcher::run(Channel& ch) {
  std::unique_lock lock(ch.mu);
  for (;;) {
    ch.wake.wait(lock, [&] { return ch.quitting || !ch.queue.empty(); });
    if (ch.quitting) break;
    Alert alert = std::move(ch.queue.front());
    ch.queue.pop_front();
    ch.busy = true;

    const unsigned max_attempts = std::max(ch.config.max_attempts, 1u);
    auto backoff = std::max(ch.config.initial_backoff, std::chrono::milliseconds{1});
    const auto max_backoff = std::max(ch.config.max_backoff, backoff);
    unsigned attempts = 0;
    std::string line;
    for (;;) {
      ++attempts;
      lock.unlock();
      DeliveryResult r = ch.sink->deliver(alert, ch.cancel.fd());
      lock.lock();
      if (r.ok) {
        ++ch.stats.delivered;
        break;
      }
      if (ch.quitting) {  // interrupted by stop()
        ++ch.stats.dropped;
        ++ch.dropped_unlogged;
        break;
      }
      if (!r.retryable || attempts >= max_attempts) {
        ++ch.stats.failed;
        line = log_head("alert_delivery_failed", ch.config.name);
        line += ",\"endpoint\":";
        append_json_string(line, ch.endpoint);
        line += ",\"rule\":";
        append_json_string(line, alert.rule_id);
        line += ",\"attempts\":" + std::to_string(attempts) + ",\"error\":";
        append_json_string(line, r.error);
        line += '}';
        break;
      }
      // Exponential backoff with up to 25% jitter, so channels that failed
      // together do not retry in lockstep.
      const auto delay = std::min(backoff, max_backoff);
      std::uniform_int_distribution<long long> jitter(0, delay.count() / 4);
      const auto wait = delay + std::chrono::milliseconds{jitter(ch.rng)};
      if (ch.wake.wait_for(lock, wait, [&] { return ch.quitting; })) {
        ++ch.stats.dropped;
        ++ch.dropped_unlogged;
        break;
      }
      ++ch.stats.retried;
      backoff = std::min(backoff * 2, max_backoff);
    }
    ch.busy = false;
    // Drops the one-a-second limit held back in submit() are reported here
    // once due, so the last ones of a burst are not left untold. stop()
    // reports its own (reason "stopped") after the join.
    if (line.empty() && !ch.quitting) line = ch.drop_line_if_due(SteadyClock::now(), "queue_full");
    if (!line.empty()) {
      lock.unlock();
      log_(line);
      lock.lock();
    }
    if (ch.queue.empty()) ch.drained.notify_all();
  }
}

void AlertDispatcher::stop(std::chrono::milliseconds grace) {
  const auto deadline = SteadyClock::now() + grace;
  for (auto& ch : channels_) {
    std::lock_guard lock(ch->mu);
    ch->stopping = true;
  }
  for (auto& ch : channels_) {
    std::unique_lock lock(ch->mu);
    ch->drained.wait_until(lock, deadline, [&] { return ch->queue.empty() && !ch->busy; });
    ch->quitting = true;
  }
  for (auto& ch : channels_) {
    ch->cancel.cancel();
    ch->wake.notify_all();
  }
  for (auto& ch : channels_) {
    if (ch->thread.joinable()) ch->thread.join();
    std::string line;
    {
      std::lock_guard lock(ch->mu);
      ch->stats.dropped += ch->queue.size();
      ch->dropped_unlogged += ch->queue.size();
      ch->queue.clear();
      ch->last_drop_log = {};
      line = ch->drop_line_if_due(SteadyClock::now(), "stopped");
    }
    if (!line.empty()) log_(line);
  }
}

std::map<std::string, ChannelStats> AlertDispatcher::stats() const {
  std::map<std::string, ChannelStats> out;
  for (const auto& ch : channels_) {
    std::lock_guard lock(ch->mu);
    out[ch->config.name] = ch->stats;
  }
  return out;
}

}  // namespace dynaudit::alerts
