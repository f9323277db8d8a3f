// How `dynaudit audit …` prints records: an aligned table for people, JSON
// lines for jq, one CloudTrail {"Records":[…]} document for tools that read
// CloudTrail, and the hourly CloudTrail files `audit export` writes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/audit_time.hpp"
#include "storage/audit_event.hpp"

namespace dynaudit::cli {

enum class OutputFormat { table, jsonl, cloudtrail };

std::optional<OutputFormat> parse_output_format(std::string_view name);

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void write(const storage::AuditEvent& event) = 0;
  // Makes everything written so far visible (tail -f prints as records come).
  virtual void flush() = 0;
  // Ends the output (the closing "]}" of a CloudTrail document).
  virtual void finish() = 0;
};

std::unique_ptr<RecordWriter> make_record_writer(OutputFormat format, std::ostream& out);

// The table's cells for one record (exposed for the table writer and tests).
std::vector<std::string> table_row(const storage::AuditEvent& event);

// Writes records into DIR/YYYY/MM/DD/dynaudit_YYYYMMDDTHH00Z.json (one
// CloudTrail document per UTC hour) or .jsonl. Records arrive in sequence
// order, which is nearly but not exactly time order (a record's time is when
// its call arrived, its sequence when it was committed), so a file may be
// reopened after it was closed; files are replaced, not appended to, the first
// time a run touches them.
class HourlyExporter {
 public:
  HourlyExporter(std::string dir, OutputFormat format);
  ~HourlyExporter();
  bool write(const storage::AuditEvent& event, std::string& error);
  bool finish(std::string& error);
  std::uint64_t files_written() const { return touched_.size(); }
  std::uint64_t records_written() const { return records_; }

 private:
  struct OpenFile;
  bool open_file(SysTime hour, std::string& error);
  bool close_file(SysTime hour, std::string& error);

  std::string dir_;
  OutputFormat format_;
  std::map<SysTime, std::unique_ptr<OpenFile>> open_;
  std::set<SysTime> touched_;  // hours this run has written (replaced, then appended to)
  std::uint64_t records_ = 0;
  std::uint64_t clock_ = 0;  // for least-recently-used closing
};

}  // namespace dynaudit::cli
