// A report as JSON (for GRC tools; its schema is docs/report.schema.json)
// and as one self-contained HTML page (inline CSS and SVG charts, no script,
// nothing fetched when opened, printable).
#pragma once

#include <string>

#include "report/report_data.hpp"

namespace dynaudit::report {

std::string render_json(const ReportData& data);
std::string render_html(const ReportData& data);

}  // namespace dynaudit::report
