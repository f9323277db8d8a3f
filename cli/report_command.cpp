// `dynaudit report` (report_command.hpp). Exit codes as the audit commands:
// 0 written, 1 the store could not be read, 2 usage, no store, or no
// Chromium for a PDF.
#include "cli/report_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/audit_subcommands.hpp"
#include "cli/audit_time.hpp"
#include "proxy/net/fd_limit.hpp"
#include "report/render.hpp"

namespace dynaudit::cli {
namespace {

struct ReportArgs {
  StoreArgs store;
  std::string framework = "all";
  std::string since = "30d";
  std::string until;
  std::string out;
  std::string public_key;
  std::string witness;
};

void say(const std::string& message) { std::cerr << "dynaudit report: " << message << "\n"; }

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

std::string chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

// Prints the HTML with headless Chromium; the page has no script and fetches nothing.
bool print_pdf(const std::string& html, const std::string& pdf, std::string& error) {
  const std::string browser = chromium();
  if (browser.empty()) {
    error = "a PDF needs Chromium (apt-get install chromium); write .html or .json instead";
    return false;
  }
  const auto folder = std::filesystem::temp_directory_path() / ("dynaudit-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const auto page = folder / "report.html";
  if (!write_file(page.string(), html)) {
    error = "cannot write " + page.string();
    return false;
  }
  const std::string pdf_arg = "--print-to-pdf=" + std::filesystem::absolute(pdf).string();
  const std::string url = "file://" + page.string();
  const std::string profile = "--user-data-dir=" + (folder / "profile").string();
  const pid_t child = ::fork();
  if (child == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 1), ::dup2(null, 2);
    const char* argv[] = {browser.c_str(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                          profile.c_str(), pdf_arg.c_str(), url.c_str(), nullptr};
    ::execv(browser.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(pdf)) {
    error = "Chromium could not print " + pdf;
    return false;
  }
  return true;
}

int run_report(const ReportArgs& args) {
  if (args.framework != "all" && args.framework != "pci-dss" && args.framework != "hipaa" && args.framework != "gdpr" &&
      args.framework != "sox") {
    say("--framework must be pci-dss, hipaa, gdpr, sox or all");
    return kAuditUsage;
  }
  if (args.out.empty() || !(ends_with(args.out, ".html") || ends_with(args.out, ".json") || ends_with(args.out, ".pdf"))) {
    say("--out FILE ending in .html, .json or .pdf");
    return kAuditUsage;
  }
  std::string error;
  const auto now = std::chrono::system_clock::now();
  report::ReportOptions options;
  options.framework = args.framework;
  options.public_key_file = args.public_key;
  const auto since = parse_time_arg(args.since, now, error);
  if (!since) {
    say("--since: " + error);
    return kAuditUsage;
  }
  options.since = *since;
  options.until = now;
  if (!args.until.empty()) {
    const auto until = parse_time_arg(args.until, now, error);
    if (!until) {
      say("--until: " + error);
      return kAuditUsage;
    }
    options.until = *until;
  }
  int code = kAuditUsage;
  std::string path, config_witness;
  if (!args.store.config.empty() && !resolve_store_path(args.store, path, error, &config_witness)) {
    say(error);
    return kAuditUsage;
  }
  options.witness_file = args.witness.empty() ? config_witness : args.witness;
  auto reader = open_reader(args.store, &path, &code);
  if (!reader) return code;
  options.store = path;
  report::ReportData data;
  if (!report::gather_report(*reader, options, data, error)) return report_read_failure(error);
  if (ends_with(args.out, ".json")) {
    if (!write_file(args.out, report::render_json(data) + "\n")) {
      say("cannot write " + args.out);
      return kAuditUsage;
    }
  } else if (ends_with(args.out, ".html")) {
    if (!write_file(args.out, report::render_html(data))) {
      say("cannot write " + args.out);
      return kAuditUsage;
    }
  } else if (!print_pdf(report::render_html(data), args.out, error)) {
    say(error);
    return kAuditUsage;
  }
  std::size_t gaps = 0;
  for (const auto& c : data.controls) gaps += c.status == "gap";
  std::cout << "wrote " << args.out << ": " << data.calls << " calls, " << data.controls.size() << " controls, " << gaps
            << " gaps\n";
  return kAuditOk;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "A compliance report over a period of the audit log (HTML, JSON or PDF)");
  cmd->add_option("--store", args->store.store, "Audit store folder; default: dynaudit-audit in the working folder");
  cmd->add_option("-c,--config", args->store.config, "dynaudit serve config file; its audit.path is the store");
  cmd->add_option("--framework", args->framework, "pci-dss, hipaa, gdpr, sox or all (default)");
  cmd->add_option("--since", args->since, "From this time on (RFC 3339, or an age: 7d; default 30d)");
  cmd->add_option("--until", args->until, "Before this time (default: now)");
  cmd->add_option("-o,--out", args->out, "The report: FILE.html, FILE.json or FILE.pdf (Chromium prints it)");
  cmd->add_option("--public-key", args->public_key, "PEM Ed25519 public key: check the checkpoints' signatures too");
  cmd->add_option("--witness", args->witness, "The store's witness file (default with --config: its audit.witness.file)");
  cmd->allow_extras();
  cmd->callback([cmd, args, &exit_code] {
    if (!cmd->remaining().empty()) {
      say("unexpected argument '" + cmd->remaining().front() + "' (see dynaudit report --help)");
      exit_code = kAuditUsage;
      return;
    }
    ::umask(077);
    proxy::raise_open_file_limit();
    exit_code = run_report(*args);
  });
}

}  // namespace dynaudit::cli
