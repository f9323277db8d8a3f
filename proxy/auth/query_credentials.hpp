// The caller's query-string credentials: a presigned request's X-Amz-*
// parameters name the caller's key and carry its signature, so the proxy
// never forwards them (it signs again with its own key).
#pragma once

#include <string>
#include <string_view>

namespace dynaudit::proxy {

// The request-target without its X-Amz-* query parameters (any case, judged
// by the percent-decoded name). Every other parameter is kept byte for byte,
// in order; a query left empty loses its '?'.
std::string without_query_credentials(std::string_view target);

}  // namespace dynaudit::proxy
