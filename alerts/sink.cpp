// The sinks of each channel kind: payload formatter + transport.
#include "alerts/sink.hpp"

#include <unistd.h>

#include <climits>

#include "alerts/file_sink.hpp"
#include "alerts/http_post.hpp"
#include "alerts/payloads.hpp"
#include "alerts/syslog_sender.hpp"

namespace dynaudit::alerts {

std::string_view to_string(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::webhook: return "webhook";
    case ChannelKind::slack: return "slack";
    case ChannelKind::teams: return "teams";
    case ChannelKind::syslog_udp: return "syslog_udp";
    case ChannelKind::syslog_tcp: return "syslog_tcp";
    case ChannelKind::file: return "file";
  }
  return "unknown";
}

namespace {

class HttpSink final : public Sink {
 public:
  HttpSink(const ChannelConfig& config, Url url)
      : kind_(config.kind),
        url_(std::move(url)),
        headers_(config.headers),
        timeout_(config.timeout),
        client_(config.ca_file) {}

  DeliveryResult deliver(const Alert& alert, int cancel_fd) override {
    const std::string body = kind_ == ChannelKind::slack   ? slack_json(alert)
                             : kind_ == ChannelKind::teams ? teams_json(alert)
                                                           : webhook_json(alert);
    auto r = client_.post(url_, body, headers_, timeout_, cancel_fd);
    return DeliveryResult{r.ok, r.retryable, r.status, std::move(r.error)};
  }
  std::string endpoint() const override { return url_.endpoint(); }

 private:
  ChannelKind kind_;
  Url url_;
  HttpHeaders headers_;
  std::chrono::milliseconds timeout_;
  HttpClient client_;
};

class SyslogSink final : public Sink {
 public:
  explicit SyslogSink(const ChannelConfig& config)
      : sender_(config.kind == ChannelKind::syslog_tcp ? SyslogTransport::tcp
                                                       : SyslogTransport::udp,
                config.host, config.port, config.timeout) {
    fields_.facility = config.facility;
    fields_.app_name = config.app_name;
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) == 0) fields_.hostname = host;
    fields_.procid = std::to_string(::getpid());
  }

  DeliveryResult deliver(const Alert& alert, int cancel_fd) override {
    return sender_.send(syslog_message(alert, fields_), cancel_fd);
  }
  std::string endpoint() const override { return sender_.endpoint(); }

 private:
  SyslogSender sender_;
  SyslogFields fields_;
};

class FileSink final : public Sink {
 public:
  explicit FileSink(const ChannelConfig& config) : file_(config.path) {}
  DeliveryResult deliver(const Alert& alert, int) override { return file_.append(json_line(alert)); }
  std::string endpoint() const override { return "file://" + file_.path(); }

 private:
  FileAppender file_;
};

class BrokenSink final : public Sink {
 public:
  BrokenSink(std::string error, std::string endpoint)
      : error_(std::move(error)), endpoint_(std::move(endpoint)) {}
  DeliveryResult deliver(const Alert&, int) override { return DeliveryResult{false, false, 0, error_}; }
  std::string endpoint() const override { return endpoint_; }

 private:
  std::string error_;
  std::string endpoint_;
};

}  // namespace

std::unique_ptr<Sink> make_sink(const ChannelConfig& config) {
  switch (config.kind) {
    case ChannelKind::webhook:
    case ChannelKind::slack:
    case ChannelKind::teams: {
      std::string error;
      auto url = parse_url(config.url, &error);
      if (!url) return std::make_unique<BrokenSink>(error, "-");
      return std::make_unique<HttpSink>(config, std::move(*url));
    }
    case ChannelKind::syslog_udp:
    case ChannelKind::syslog_tcp: return std::make_unique<SyslogSink>(config);
    case ChannelKind::file:
      if (config.path.empty()) return std::make_unique<BrokenSink>("file: no path", "-");
      return std::make_unique<FileSink>(config);
  }
  return std::make_unique<BrokenSink>("unknown channel kind", "-");
}

}  // namespace dynaudit::alerts
