// The read-only audit subcommands: query, tail (-f follows a live store),
// export (hourly CloudTrail files) and stats. They open the store read-only,
// so they run next to `dynaudit serve` without disturbing it.
#include <atomic>
#include <csignal>
#include <deque>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/audit_output.hpp"
#include "cli/audit_subcommands.hpp"
#include "cli/fleet_command.hpp"
#include "proxy/config/duration.hpp"

namespace dynaudit::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

std::optional<OutputFormat> output_format(const std::string& name) {
  auto f = parse_output_format(name);
  if (!f) report("--format must be table, jsonl or cloudtrail (got '" + name + "')");
  return f;
}

std::uint64_t folder_bytes(const std::string& path) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int run_query(const QueryArgs& args) {
  storage::AuditQuery q;
  std::string error;
  if (!build_query(args.filter, q, error)) {
    report(error);
    return kAuditUsage;
  }
  auto format = output_format(args.format);
  if (!format) return kAuditUsage;
  if (args.fleet) return run_fleet_query(args.store.config, q, *format);
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) return open_failure;
  auto writer = make_record_writer(*format, std::cout);
  const bool read = reader->query(
      q,
      [&](const storage::AuditEvent& e) {
        writer->write(e);
        return static_cast<bool>(std::cout);  // stop early when the reader of a pipe goes away
      },
      error);
  writer->finish();
  return read ? kAuditOk : report_read_failure(error);
}

int run_tail(const TailArgs& args) {
  storage::AuditQuery base;
  std::string error;
  if (!build_query(args.filter, base, error)) {
    report(error);
    return kAuditUsage;
  }
  auto count = parse_count(args.count);
  if (!count) {
    report("-n must be a whole number");
    return kAuditUsage;
  }
  auto interval = proxy::parse_duration(args.interval);
  if (!interval || *interval <= std::chrono::milliseconds::zero()) {
    report("--interval must be a duration like 250ms or 2s");
    return kAuditUsage;
  }
  auto format = output_format(args.format);
  if (!format) return kAuditUsage;
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) return open_failure;

  // The last N matching records: read them oldest first, keeping a window.
  // Unfiltered, start right before the last N sequence numbers so that a
  // large store is not walked from its beginning.
  const auto stats = reader->stats();
  if (!stats.healthy) return report_read_failure(stats.problem);
  storage::AuditQuery q = base;
  q.limit = 0;
  const bool unfiltered = !q.since && !q.until && !q.principal && !q.table && !q.operation && !q.decision &&
                          !q.error_code;
  if (unfiltered && stats.records > *count && stats.last_sequence >= *count) {
    q.after_sequence = stats.last_sequence - *count;
  }
  std::deque<storage::AuditEvent> window;
  std::optional<std::uint64_t> last_seen;
  const bool read = reader->query(
      q,
      [&](const storage::AuditEvent& e) {
        last_seen = e.sequence;
        if (*count == 0) return true;
        window.push_back(e);
        if (window.size() > *count) window.pop_front();
        return true;
      },
      error);
  // Nothing printed: a window missing records it cannot see is no tail.
  if (!read) return report_read_failure(error);
  auto writer = make_record_writer(*format, std::cout);
  for (const auto& e : window) writer->write(e);
  writer->flush();
  if (!args.follow) {
    writer->finish();
    return kAuditOk;
  }

  // Follow: poll the live store for records after the last one seen.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  if (!last_seen && stats.records > 0) last_seen = stats.last_sequence;
  while (!g_stop.load()) {
    // Sleep in short slices so that Ctrl-C ends it promptly.
    const auto wake = std::chrono::steady_clock::now() + *interval;
    while (!g_stop.load() && std::chrono::steady_clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_stop.load()) break;
    if (!reader->refresh(error)) {
      writer->finish();
      report("lost the audit store: " + error);
      return kAuditDamaged;
    }
    storage::AuditQuery next = base;
    next.limit = 0;
    next.after_sequence = last_seen;
    const bool followed = reader->query(
        next,
        [&](const storage::AuditEvent& e) {
          last_seen = e.sequence;
          writer->write(e);
          return true;
        },
        error);
    writer->flush();
    if (!followed) {
      writer->finish();
      return report_read_failure(error);
    }
    if (!std::cout) break;  // the pipe we print to is gone
  }
  writer->finish();
  return kAuditOk;
}

int run_export(const ExportArgs& args) {
  storage::AuditQuery q;
  std::string error;
  if (!build_query(args.filter, q, error)) {
    report(error);
    return kAuditUsage;
  }
  if (args.out_dir.empty()) {
    report("export needs --out DIR");
    return kAuditUsage;
  }
  if (args.format != "cloudtrail" && args.format != "jsonl") {
    report("export --format must be cloudtrail or jsonl");
    return kAuditUsage;
  }
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, nullptr, &open_failure);
  if (!reader) return open_failure;
  HourlyExporter exporter(args.out_dir, args.format == "jsonl" ? OutputFormat::jsonl : OutputFormat::cloudtrail);
  bool ok = true;
  std::string read_error;
  const bool read = reader->query(
      q,
      [&](const storage::AuditEvent& e) {
        ok = exporter.write(e, error);
        return ok;
      },
      read_error);
  std::string finish_error;
  const bool finished = exporter.finish(finish_error);
  if (!read) {
    report("export stopped after " + std::to_string(exporter.records_written()) + " records in " +
           std::to_string(exporter.files_written()) + " files under " + args.out_dir);
    return report_read_failure(read_error);
  }
  if (!ok || !finished) {
    report("export failed: " + (ok ? finish_error : error));
    return kAuditDamaged;
  }
  std::cout << "exported " << exporter.records_written() << " records into " << exporter.files_written()
            << " files under " << args.out_dir << "\n";
  return kAuditOk;
}

int run_stats(const StatsArgs& args) {
  std::string path;
  int open_failure = kAuditUsage;
  auto reader = open_reader(args.store, &path, &open_failure);
  if (!reader) return open_failure;
  // Only what the files say: failed appends, batches and health are the
  // running writer's own state (its log and the AuditStoreRecovered record
  // carry them), so a read-only open has nothing true to print for them.
  const auto s = reader->stats();
  if (!s.healthy) return report_read_failure(s.problem);
  // First and last record times: cheap lookups by sequence, not a scan.
  std::string first_time, last_time, error;
  if (s.records > 0) {
    storage::AuditQuery first;
    first.limit = 1;
    const bool read_first = reader->query(
        first,
        [&](const storage::AuditEvent& e) {
          first_time = format_utc(e.event_time);
          return false;
        },
        error);
    if (!read_first) return report_read_failure(error);
    storage::AuditQuery last;
    last.limit = 1;
    if (s.last_sequence > 0) last.after_sequence = s.last_sequence - 1;
    const bool read_last = reader->query(
        last,
        [&](const storage::AuditEvent& e) {
          last_time = format_utc(e.event_time);
          return false;
        },
        error);
    if (!read_last) return report_read_failure(error);
    // The head in meta must be a record the store holds.
    if (last_time.empty()) return report_read_failure("the newest record, " + std::to_string(s.last_sequence) + ", is missing");
  }
  const auto bytes = folder_bytes(path);
  if (args.json) {
    std::cout << "{\"path\":" << json_string(path) << ",\"records\":" << s.records
              << ",\"first_sequence\":" << s.first_sequence << ",\"last_sequence\":" << s.last_sequence
              << ",\"first_event_time\":" << (first_time.empty() ? "null" : json_string(first_time))
              << ",\"last_event_time\":" << (last_time.empty() ? "null" : json_string(last_time))
              << ",\"checkpoints\":" << s.checkpoints << ",\"disk_bytes\":" << bytes << "}\n";
    return kAuditOk;
  }
  std::cout << "store:           " << path << "\n"
            << "records:         " << s.records << "\n"
            << "sequences:       " << (s.records ? std::to_string(s.first_sequence) + " .. " +
                                                       std::to_string(s.last_sequence)
                                                 : std::string("-"))
            << "\n"
            << "first record:    " << (first_time.empty() ? "-" : first_time) << "\n"
            << "last record:     " << (last_time.empty() ? "-" : last_time) << "\n"
            << "checkpoints:     " << s.checkpoints << "\n"
            << "disk:            " << bytes << " bytes\n";
  return kAuditOk;
}

}  // namespace dynaudit::cli
