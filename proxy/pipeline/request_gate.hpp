// The request gate: checks that run before anything reads a request's meaning,
// so that the proxy, its rules and DynamoDB cannot disagree about which call
// this is. One header of each kind that names or authenticates the call, and
// an operation the catalog knows (the catalog is the allowlist; forwarding
// anything else is an explicit setting). Pure functions over a RequestView.
#pragma once

#include <optional>
#include <string_view>

#include "ddb/error_response.hpp"
#include "ddb/request_facts.hpp"
#include "aws/http_view.hpp"
#include "proxy/auth/aws_imports.hpp"

namespace dynaudit::proxy {

// Headers a request may carry at most once. Two X-Amz-Target headers would
// let the rules judge one operation while the upstream runs the other; two
// Authorization or X-Amz-Date headers give the verifier and a re-signer a
// choice; Content-Type and Content-Encoding change how the body is read.
inline constexpr std::string_view kSingletonHeaders[] = {
    "x-amz-target", "host", "authorization", "x-amz-date", "x-amz-security-token",
    "content-type", "content-encoding", "x-amz-content-sha256",
};

// ValidationException naming the first header that appears more than once.
std::optional<ddb::DdbError> refuse_duplicate_headers(const RequestView& request);

// ValidationException for a request-target that is not a path ("/…", the
// origin form every SDK sends): "*", "?x", or an absolute URI would be
// signed, logged and forwarded as different things (a target of "?" loses
// its only character to query-credential removal). HTTP lets an origin
// server accept the absolute form; dynaudit refuses it on purpose.
std::optional<ddb::DdbError> refuse_target_not_a_path(const RequestView& request);

// ValidationException for any method but POST (GET and OPTIONS, which
// DynamoDB answers without a signature, are answered before the gate). A
// DynamoDB call is a POST; anything else would be judged as one call and
// forwarded as another request, and Beast refuses to frame some of them
// (TRACE with a body: its prepare_payload throws).
std::optional<ddb::DdbError> refuse_method_not_post(const RequestView& request);

// UnknownOperationException, as DynamoDB answers it (no message), for a
// target that is missing or not `DynamoDB_20120810.<Op>` /
// `DynamoDBStreams_20120810.<Op>` of a cataloged operation — unless the
// operator forwards unknown operations.
std::optional<ddb::DdbError> refuse_unknown_operation(const ddb::RequestFacts* facts, bool forward_unknown);

}  // namespace dynaudit::proxy
