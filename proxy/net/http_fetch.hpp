// A small blocking HTTP/1.1 client for the credential providers (ECS
// container endpoint, EC2 IMDSv2) and the CLI's calls to the admin
// listener. Plain HTTP only: those endpoints are link-local or loopback by
// design.
#pragma once

#include "aws/upstream_credentials.hpp"
#include "proxy/auth/aws_imports.hpp"

namespace dynaudit::proxy {

FetchResponse blocking_http_fetch(const FetchRequest& request);

}  // namespace dynaudit::proxy
