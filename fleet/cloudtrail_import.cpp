// Reading CloudTrail files and matching them to the fleet (see cloudtrail_import.hpp).
#include "fleet/cloudtrail_import.hpp"

#include <zlib.h>

#include <simdjson.h>

#include <set>
#include <unordered_map>

#include "fleet/fleet_table.hpp"
#include "fleet/item_reader.hpp"
#include "fleet/table_query.hpp"

namespace dynaudit::fleet {
namespace {

constexpr std::size_t kMaxFileBytes = 1024ull * 1024 * 1024;  // a CloudTrail file is far smaller

// The file's bytes, gunzipped when it is gzip (by content, not by name).
bool read_maybe_gzip(const std::string& path, std::string& out, std::string& error) {
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files as they are, too
  if (file == nullptr) {
    error = "cannot open " + path;
    return false;
  }
  char buf[65536];
  for (;;) {
    const int n = gzread(file, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      error = path + ": " + gzerror(file, &code);
      gzclose(file);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxFileBytes) {
      gzclose(file);
      error = path + ": larger than 1 GiB uncompressed";
      return false;
    }
  }
  gzclose(file);
  return true;
}

std::string text(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return {};
  return std::string(v);
}

std::string table_from_arn(std::string_view arn) {
  const auto slash = arn.find(":table/");
  if (slash == std::string_view::npos) return {};
  auto name = arn.substr(slash + 7);
  return std::string(name.substr(0, name.find('/')));
}

}  // namespace

bool read_cloudtrail_file(const std::string& path, std::vector<CloudTrailCall>& out, std::string& error) {
  std::string body;
  if (!read_maybe_gzip(path, body, error)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array records;
  if (parser.parse(body).get(doc) || doc["Records"].get_array().get(records)) {
    error = path + ": not a CloudTrail file ({\"Records\":[...]})";
    return false;
  }
  for (auto record : records) {
    CloudTrailCall call;
    call.event_source = text(record, "eventSource");
    if (call.event_source != "dynamodb.amazonaws.com") continue;
    call.event_time = text(record, "eventTime");
    call.event_name = text(record, "eventName");
    call.request_id = text(record, "requestID");
    call.source_ip = text(record, "sourceIPAddress");
    call.user_agent = text(record, "userAgent");
    simdjson::dom::element identity;
    if (!record["userIdentity"].get(identity)) {
      call.principal = text(identity, "arn");
      if (call.principal.empty()) call.principal = text(identity, "principalId");
      call.access_key_id = text(identity, "accessKeyId");
    }
    simdjson::dom::element parameters;
    if (!record["requestParameters"].get(parameters) && parameters.is_object())
      call.table = text(parameters, "tableName");
    if (call.table.empty()) {
      simdjson::dom::array resources;
      if (!record["resources"].get_array().get(resources)) {
        for (auto resource : resources) {
          call.table = table_from_arn(text(resource, "ARN"));
          if (!call.table.empty()) break;
        }
      }
    }
    call.file = path;
    out.push_back(std::move(call));
  }
  return true;
}

bool find_bypasses(DynamoDbClient& client, const std::string& fleet_table, const std::vector<std::string>& files,
                   BypassReport& report, std::string& error) {
  report = BypassReport{};
  std::vector<CloudTrailCall> calls;
  for (const auto& file : files) {
    if (!read_cloudtrail_file(file, calls, error)) return false;
    ++report.files;
  }
  std::unordered_map<std::string, bool> known;  // request id -> a proxy recorded it
  for (auto& call : calls) {
    ++report.dynamodb_calls;
    // The fleet's own calls on its table (shipping, heartbeats, rule pulls,
    // status and verify reads) are not bypasses; anything else on it
    // (DeleteItem, UpdateItem, DeleteTable, UpdateTimeToLive, ...) is
    // someone working on the audit copy around every proxy.
    static const std::set<std::string, std::less<>> kFleetOwn = {"BatchWriteItem", "PutItem", "Query", "GetItem",
                                                                 "DescribeTable", "CreateTable"};
    if (call.table == fleet_table && kFleetOwn.count(call.event_name) > 0) {
      ++report.fleet_own_calls;
      continue;
    }
    if (call.request_id.empty()) {
      report.unmatchable.push_back(std::move(call));
      continue;
    }
    auto it = known.find(call.request_id);
    if (it == known.end()) {
      TableQuery query;
      query.table = fleet_table;
      query.index = std::string(kIndexByRequest);
      query.key_name = "rid";
      query.key_value = call.request_id;
      query.limit = 10;
      bool found = false;
      if (!run_query(client, query, [&](simdjson::dom::element element) {
            // A record item (not any item someone gave a `rid`); `audit
            // verify --fleet` proves the records themselves.
            found = ItemReader(element).s("pk").value_or("").rfind("R#", 0) == 0;
            return !found;
          }, error))
        return false;
      it = known.emplace(call.request_id, found).first;
    }
    if (it->second) ++report.matched;
    else report.bypasses.push_back(std::move(call));
  }
  return true;
}

}  // namespace dynaudit::fleet
