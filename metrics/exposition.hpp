// Writes metrics in the Prometheus text format (0.0.4) or, when the scraper
// asks for it, OpenMetrics 1.0. The two differ in small ways this class
// hides: a counter's TYPE line names the family without `_total` in
// OpenMetrics, whose output also ends in `# EOF`. Families are written one
// at a time: family(), then its samples.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/latency_histogram.hpp"

namespace dynaudit::metrics {

enum class Format { prometheus_text, openmetrics };

// The format for a request's Accept header (OpenMetrics only when asked).
Format format_for_accept(std::string_view accept);
std::string_view content_type(Format format);

enum class Type { counter, gauge, histogram };

using Label = std::pair<std::string_view, std::string_view>;  // name, value

class Exposition {
 public:
  explicit Exposition(Format format) : format_(format) {}

  // `name` without `_total` for counters: the writer adds it.
  void family(std::string_view name, Type type, std::string_view help);
  // A sample of the current family (a counter's gets `_total`).
  void sample(std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::initializer_list<Label> labels, double value);
  void sample(const std::vector<Label>& labels, std::uint64_t value);
  // The current family's histogram for one label set: cumulative buckets,
  // `_sum` in seconds, `_count`.
  void histogram(const std::vector<Label>& labels, const HistogramTotals& totals);

  // The whole exposition; the writer is spent afterwards.
  std::string finish();

 private:
  void begin_sample(std::string_view suffix, const std::vector<Label>& labels, const Label* extra = nullptr);
  void append_value(std::uint64_t value);
  void append_value(double value);

  Format format_;
  std::string out_;
  std::string family_;
  Type type_ = Type::gauge;
};

// `text` as a label value: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view text);

}  // namespace dynaudit::metrics
