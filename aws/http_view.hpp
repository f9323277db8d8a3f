// A non-owning view of an HTTP request, so that SigV4 code can work on
// requests without knowing Boost.Beast. The views point into the session's
// request object and live only as long as it does.
#pragma once

#include <span>
#include <string_view>

namespace dynaudit::aws {

struct HeaderView {
  std::string_view name;   // as received, any case
  std::string_view value;  // as received, untrimmed
};

struct RequestView {
  std::string_view method;  // "POST"
  std::string_view target;  // request-target: path and optional "?query"
  std::span<const HeaderView> headers;
  std::string_view body;
};

}  // namespace dynaudit::aws
