// `dynaudit top`; see top_command.hpp. Fetches /metrics every interval and
// redraws the screen (ANSI home + clear, as `watch` does); --once prints a
// single frame from two scrapes, for scripts.
#include "cli/top_command.hpp"

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/top_view.hpp"
#include "proxy/config/duration.hpp"
#include "proxy/net/http_fetch.hpp"

namespace dynaudit::cli {
namespace {

struct TopArgs {
  std::string url = "http://127.0.0.1:9901/metrics";
  std::string interval = "2s";
  std::size_t rows = 20;
  bool once = false;
};

std::optional<metrics::ParsedExposition> scrape(const std::string& url, std::string& error) {
  proxy::FetchRequest request;
  request.method = "GET";
  request.url = url;
  request.headers["Accept"] = "text/plain;version=0.0.4";
  request.timeout = std::chrono::milliseconds(5000);
  const auto response = proxy::blocking_http_fetch(request);
  if (response.status != 200) {
    error = response.status == 0 ? response.error : "HTTP " + std::to_string(response.status);
    return std::nullopt;
  }
  return metrics::parse_exposition(response.body);
}

std::string clock_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

int run_top(const TopArgs& args) {
  const auto interval = proxy::parse_duration(args.interval);
  if (!interval || interval->count() < 100) {
    std::cerr << "dynaudit top: --interval must be a duration of at least 100ms (e.g. 2s)\n";
    return 2;
  }
  std::string error;
  auto before = scrape(args.url, error);
  auto taken = std::chrono::steady_clock::now();
  for (;;) {
    std::this_thread::sleep_for(*interval);
    auto after = scrape(args.url, error);
    const auto now = std::chrono::steady_clock::now();
    if (!after || !before) {
      if (args.once) {
        std::cerr << "dynaudit top: cannot read " << args.url << ": " << error << "\n";
        return 1;
      }
      std::cout << "\x1b[H\x1b[2Jdynaudit top - " << args.url << " - " << clock_now() << "\ncannot read it: " << error
                << " (retrying)\n"
                << std::flush;
      before = std::move(after);
      taken = now;
      continue;
    }
    TopFrame frame;
    frame.source = args.url;
    frame.clock = clock_now();
    frame.seconds = std::chrono::duration<double>(now - taken).count();
    frame.rows = args.rows;
    const auto screen = render_top(*before, *after, frame);
    if (args.once) {
      std::cout << screen << std::flush;
      return 0;
    }
    std::cout << "\x1b[H\x1b[2J" << screen << std::flush;
    before = std::move(after);
    taken = now;
  }
}

}  // namespace

void add_top_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TopArgs>();
  auto* top = app.add_subcommand("top", "Live view of a running proxy from its /metrics page");
  top->add_option("--url", args->url, "The admin listener's /metrics (default http://127.0.0.1:9901/metrics)");
  top->add_option("--interval", args->interval, "Time between refreshes (default 2s)");
  top->add_option("--rows", args->rows, "Table/operation rows to show (default 20)");
  top->add_flag("--once", args->once, "Print one frame (two scrapes one interval apart) and exit");
  top->callback([args, &exit_code] { exit_code = run_top(*args); });
}

}  // namespace dynaudit::cli
