// Prometheus / OpenMetrics text; see exposition.hpp.
#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace dynaudit::metrics {

Format format_for_accept(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? Format::openmetrics
                                                                                : Format::prometheus_text;
}

std::string_view content_type(Format format) {
  return format == Format::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

void append_label_value(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

namespace {

void append_help(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter: return "counter";
    case Type::histogram: return "histogram";
    case Type::gauge: break;
  }
  return "gauge";
}

}  // namespace

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  family_.assign(name);
  type_ = type;
  // Prometheus text names a counter family by its sample name; OpenMetrics
  // by the name without the suffix.
  const std::string shown = type == Type::counter && format_ == Format::prometheus_text ? family_ + "_total" : family_;
  out_ += "# HELP ";
  out_ += shown;
  out_ += ' ';
  append_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += shown;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void Exposition::begin_sample(std::string_view suffix, const std::vector<Label>& labels, const Label* extra) {
  out_ += family_;
  out_ += suffix;
  if (!labels.empty() || extra) {
    out_ += '{';
    bool first = true;
    const auto one = [&](const Label& label) {
      if (!first) out_ += ',';
      first = false;
      out_ += label.first;
      out_ += "=\"";
      append_label_value(out_, label.second);
      out_ += '"';
    };
    for (const auto& label : labels) one(label);
    if (extra) one(*extra);
    out_ += '}';
  }
  out_ += ' ';
}

void Exposition::append_value(std::uint64_t value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out_.append(buf, end);
  out_ += '\n';
}

void Exposition::append_value(double value) {
  if (std::isnan(value)) {
    out_ += "NaN\n";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf\n" : "-Inf\n";
  } else {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    out_.append(buf, end);
    out_ += '\n';
  }
}

void Exposition::sample(std::initializer_list<Label> labels, std::uint64_t value) {
  sample(std::vector<Label>(labels), value);
}

void Exposition::sample(std::initializer_list<Label> labels, double value) {
  begin_sample(type_ == Type::counter ? "_total" : "", std::vector<Label>(labels));
  append_value(value);
}

void Exposition::sample(const std::vector<Label>& labels, std::uint64_t value) {
  begin_sample(type_ == Type::counter ? "_total" : "", labels);
  append_value(value);
}

void Exposition::histogram(const std::vector<Label>& labels, const HistogramTotals& totals) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < totals.buckets.size(); ++i) {
    cumulative += totals.buckets[i];
    std::string le = "+Inf";
    if (i < kLatencyBoundsMicros.size()) {
      char buf[32];
      // Fixed notation ("0.0001", not "1e-04"): the form dashboards and
      // people type in le="..." matchers.
      const auto end = std::to_chars(buf, buf + sizeof buf, static_cast<double>(kLatencyBoundsMicros[i]) / 1e6,
                                     std::chars_format::fixed).ptr;
      le.assign(buf, end);
    }
    const Label bound{"le", le};
    begin_sample("_bucket", labels, &bound);
    append_value(cumulative);
  }
  begin_sample("_sum", labels);
  append_value(static_cast<double>(totals.sum_micros) / 1e6);
  begin_sample("_count", labels);
  append_value(cumulative);
}

std::string Exposition::finish() {
  if (format_ == Format::openmetrics) out_ += "# EOF\n";
  return std::move(out_);
}

}  // namespace dynaudit::metrics
