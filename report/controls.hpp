// The control mapping: for each control of the frameworks a report covers
// (PCI DSS 4.0, HIPAA Security Rule, GDPR, SOX ITGC), whether the period's
// audit log holds the evidence it asks for — "met", "gap" (with what is
// missing) or "not applicable" — and the records that show it. What each
// row checks is in docs/compliance.md; the judgement is the log's, an
// auditor's opinion is still needed.
#pragma once

#include <vector>

#include "report/report_data.hpp"

namespace dynaudit::report {

std::vector<ControlRow> judge_controls(const ReportData& data);

}  // namespace dynaudit::report
