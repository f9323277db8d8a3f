// CloudTrail bypass detection: CloudTrail data-event files, as delivered to
// S3 ({"Records":[...]}, .json or .json.gz), are read, their DynamoDB calls
// matched to proxy records in the fleet table by the request id DynamoDB
// gave both (the proxy records the upstream's x-amzn-RequestId), and every
// DynamoDB call no proxy recorded is a bypass: someone reached DynamoDB
// around every proxy. The fleet's own calls on the fleet table (the writes
// and reads dynaudit makes) are not; any other call on it is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fleet/dynamodb_client.hpp"

namespace dynaudit::fleet {

struct CloudTrailCall {
  std::string event_time;
  std::string event_name;
  std::string event_source;
  std::string request_id;
  std::string principal;   // userIdentity.arn, else principalId
  std::string access_key_id;
  std::string source_ip;
  std::string user_agent;
  std::string table;       // requestParameters.tableName, else the first table ARN's name
  std::string file;        // which file it came from
};

// The DynamoDB calls in one file (other services' records are skipped).
// False with `error` when the file cannot be read or is not CloudTrail.
bool read_cloudtrail_file(const std::string& path, std::vector<CloudTrailCall>& out, std::string& error);

struct BypassReport {
  std::uint64_t files = 0;
  std::uint64_t dynamodb_calls = 0;   // DynamoDB records in the files
  std::uint64_t matched = 0;          // found in the fleet table
  std::uint64_t fleet_own_calls = 0;  // dynaudit's own kinds of calls on the fleet table (not checked)
  std::vector<CloudTrailCall> bypasses;    // no proxy record
  std::vector<CloudTrailCall> unmatchable; // no request id in the CloudTrail record
};

bool find_bypasses(DynamoDbClient& client, const std::string& fleet_table, const std::vector<std::string>& files,
                   BypassReport& report, std::string& error);

}  // namespace dynaudit::fleet
