// Record writers for `dynaudit audit query/tail` and the hourly files of
// `audit export`. JSON output is exactly storage::to_json, so what the CLI
// prints is what the hash chain covers.
#include "cli/audit_output.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace dynaudit::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDocumentHead = "{\"Records\":[\n";
constexpr std::string_view kDocumentTail = "\n]}\n";  // exactly this, so a reopened file can drop it

const std::vector<std::string> kTableHeader = {"TIME", "SEQ", "PRINCIPAL", "OPERATION", "TABLES", "STATUS",
                                               "DECISION", "RULE"};
constexpr std::size_t kSeqColumn = 1;

class TableWriter final : public RecordWriter {
 public:
  explicit TableWriter(std::ostream& out) : out_(out), widths_(kTableHeader.size(), 0) {}

  void write(const storage::AuditEvent& event) override {
    rows_.push_back(table_row(event));
    // Columns are sized from the rows at hand; buffering a few hundred keeps
    // memory flat on huge results and the table aligned in practice.
    if (rows_.size() >= 500) flush();
  }

  void flush() override {
    if (rows_.empty()) {
      out_.flush();
      return;
    }
    if (!header_printed_) widen(kTableHeader);
    for (const auto& row : rows_) widen(row);
    if (!header_printed_) {
      print(kTableHeader);
      header_printed_ = true;
    }
    for (const auto& row : rows_) print(row);
    rows_.clear();
    out_.flush();
  }

  void finish() override { flush(); }

 private:
  void widen(const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], row[i].size());
  }

  void print(const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      std::string pad(widths_[i] - std::min(widths_[i], row[i].size()), ' ');
      if (i == kSeqColumn) {
        line += pad + row[i];  // numbers align right
      } else {
        line += row[i];
        if (!last) line += pad;
      }
      if (!last) line += "  ";
    }
    out_ << line << '\n';
  }

  std::ostream& out_;
  std::vector<std::size_t> widths_;
  std::vector<std::vector<std::string>> rows_;
  bool header_printed_ = false;
};

class JsonLinesWriter final : public RecordWriter {
 public:
  explicit JsonLinesWriter(std::ostream& out) : out_(out) {}
  void write(const storage::AuditEvent& event) override { out_ << storage::to_json(event) << '\n'; }
  void flush() override { out_.flush(); }
  void finish() override { out_.flush(); }

 private:
  std::ostream& out_;
};

class CloudTrailWriter final : public RecordWriter {
 public:
  explicit CloudTrailWriter(std::ostream& out) : out_(out) {}
  void write(const storage::AuditEvent& event) override {
    out_ << (first_ ? kDocumentHead : std::string_view(",\n")) << storage::to_json(event);
    first_ = false;
  }
  void flush() override { out_.flush(); }
  void finish() override {
    // An empty result is still a valid document.
    out_ << (first_ ? std::string_view("{\"Records\":[]}\n") : kDocumentTail);
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "table") return OutputFormat::table;
  if (name == "jsonl") return OutputFormat::jsonl;
  if (name == "cloudtrail") return OutputFormat::cloudtrail;
  return std::nullopt;
}

std::unique_ptr<RecordWriter> make_record_writer(OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::table: return std::make_unique<TableWriter>(out);
    case OutputFormat::jsonl: return std::make_unique<JsonLinesWriter>(out);
    case OutputFormat::cloudtrail: return std::make_unique<CloudTrailWriter>(out);
  }
  return nullptr;
}

std::vector<std::string> table_row(const storage::AuditEvent& e) {
  // A trailing '?' marks an identity nobody checked (trust mode, failed
  // authentication): the reader must not take it for a verified principal.
  std::string principal = e.user_identity.principal_id.empty() ? "-" : e.user_identity.principal_id;
  if (!e.signature_verified) principal += "?";
  std::string status;
  if (e.phase == storage::RecordPhase::intent) {
    status = "intent";
  } else {
    status = e.http_status ? std::to_string(e.http_status) : "-";
    if (!e.error_code.empty()) status += " " + e.error_code;
  }
  return {format_utc(e.event_time, true),
          std::to_string(e.sequence),
          principal,
          e.event_name.empty() ? "-" : e.event_name,
          e.tables.empty() ? "-" : join(e.tables, ","),
          status,
          e.decision.empty() ? "-" : e.decision,
          // The rule that decided; a shadow rule that would have decided otherwise in brackets.
          (e.determining_rule.empty() ? std::string("-") : e.determining_rule) +
              (e.shadow_decision.empty() || e.shadow_rules.empty() ? std::string()
                                                                   : " [shadow " + e.shadow_decision + ": " + e.shadow_rules.front() + "]")};
}

// ---- HourlyExporter ---------------------------------------------------------

struct HourlyExporter::OpenFile {
  std::ofstream stream;
  std::string path;
  std::uint64_t last_used = 0;
  bool empty = true;  // nothing written in this opening (the CloudTrail head is pending)
  bool appending = false;
};

HourlyExporter::HourlyExporter(std::string dir, OutputFormat format) : dir_(std::move(dir)), format_(format) {}

HourlyExporter::~HourlyExporter() {
  std::string ignored;
  finish(ignored);
}

bool HourlyExporter::open_file(SysTime hour, std::string& error) {
  // Bounded number of open files: exporting months of records must not run
  // out of descriptors. Close the least recently used one.
  constexpr std::size_t kMaxOpen = 32;
  if (open_.size() >= kMaxOpen) {
    auto lru = std::min_element(open_.begin(), open_.end(),
                                [](const auto& a, const auto& b) { return a.second->last_used < b.second->last_used; });
    if (!close_file(lru->first, error)) return false;
  }
  auto file = std::make_unique<OpenFile>();
  file->path = (fs::path(dir_) / (hour_file_stem(hour) + (format_ == OutputFormat::jsonl ? ".jsonl" : ".json"))).string();
  std::error_code ec;
  fs::create_directories(fs::path(file->path).parent_path(), ec);
  if (ec) {
    error = "cannot create " + fs::path(file->path).parent_path().string() + ": " + ec.message();
    return false;
  }
  const bool seen = touched_.count(hour) > 0;
  if (seen && format_ == OutputFormat::cloudtrail) {
    // Reopening a finished document: cut its tail and continue the array.
    auto size = fs::file_size(file->path, ec);
    if (ec || size < kDocumentTail.size()) {
      error = "cannot reopen " + file->path + (ec ? ": " + ec.message() : ": unexpectedly short");
      return false;
    }
    fs::resize_file(file->path, size - kDocumentTail.size(), ec);
    if (ec) {
      error = "cannot reopen " + file->path + ": " + ec.message();
      return false;
    }
    file->appending = true;
  }
  file->stream.open(file->path, seen ? std::ios::binary | std::ios::app : std::ios::binary | std::ios::trunc);
  if (!file->stream) {
    error = "cannot write " + file->path;
    return false;
  }
  touched_.insert(hour);
  open_.emplace(hour, std::move(file));
  return true;
}

bool HourlyExporter::close_file(SysTime hour, std::string& error) {
  auto it = open_.find(hour);
  if (it == open_.end()) return true;
  auto& f = *it->second;
  // Files are only opened for a record, so a CloudTrail document always has its head.
  if (format_ == OutputFormat::cloudtrail) f.stream << kDocumentTail;
  f.stream.close();
  const bool ok = !f.stream.fail();
  if (!ok) error = "write failed: " + f.path;
  open_.erase(it);
  return ok;
}

bool HourlyExporter::write(const storage::AuditEvent& event, std::string& error) {
  const SysTime hour = hour_floor(event.event_time);
  if (!open_.count(hour) && !open_file(hour, error)) return false;
  auto& f = *open_.at(hour);
  f.last_used = ++clock_;
  if (format_ == OutputFormat::jsonl) {
    f.stream << storage::to_json(event) << '\n';
  } else {
    if (f.empty && !f.appending) {
      f.stream << kDocumentHead;
    } else {
      f.stream << ",\n";
    }
    f.stream << storage::to_json(event);
  }
  f.empty = false;
  ++records_;
  if (!f.stream) {
    error = "write failed: " + f.path;
    return false;
  }
  return true;
}

bool HourlyExporter::finish(std::string& error) {
  bool ok = true;
  while (!open_.empty()) {
    if (!close_file(open_.begin()->first, error)) ok = false;
  }
  return ok;
}

}  // namespace dynaudit::cli
