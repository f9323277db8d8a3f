// HTML text and attribute escaping for every page dynaudit writes (the
// compliance report, the console): & < > " ' become entities, nothing else
// changes.
#pragma once

#include <string>
#include <string_view>

namespace dynaudit::report {

std::string html_escape(std::string_view text);

}  // namespace dynaudit::report
