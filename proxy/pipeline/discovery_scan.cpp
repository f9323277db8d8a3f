// Active discovery: dynaudit's own Scan pages, each one a call through the
// whole pipeline as "dynaudit:discovery" (RequestHandler::discovery_scan in
// request_handler.hpp). Nothing here reads values: the pages go to the
// discovery service like any sampled reply, and only counts come back.
#include <simdjson.h>

#include <algorithm>

#include "ddb/error_response.hpp"
#include "proxy/pipeline/request_handler.hpp"

namespace dynaudit::proxy {
namespace {

constexpr std::size_t kPageItems = 100;  // keeps a page under discovery's sample size
constexpr std::string_view kScanPrincipal = "dynaudit:discovery";

// DynamoDB's own rule for table names; anything else is refused before a
// request is made.
bool valid_table_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-' || ch == '.';
  });
}

struct Page {
  std::uint64_t count = 0;
  std::string last_key;  // LastEvaluatedKey as JSON; "" at the end of the table
  std::string error_type, message;
};

Page read_page(const HttpResponse& response) {
  Page page;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(response.body()).get(root)) {
    page.error_type = "SerializationException";
    page.message = "the reply is not JSON";
    return page;
  }
  if (response.result_int() != 200) {
    std::string_view type, message;
    if (!root["__type"].get(type)) page.error_type = std::string(type.substr(type.rfind('#') + 1));
    if (!root["message"].get(message) || !root["Message"].get(message)) page.message = std::string(message);
    return page;
  }
  std::uint64_t count = 0;
  if (!root["Count"].get(count)) page.count = count;
  simdjson::dom::element last;
  if (!root["LastEvaluatedKey"].get(last)) page.last_key = simdjson::minify(last);
  return page;
}

HttpRequest scan_request(const std::string& table, std::size_t limit, const std::string& start_key) {
  HttpRequest request{http::verb::post, "/", 11};
  request.set(http::field::host, "dynaudit.internal");
  request.set(http::field::content_type, "application/x-amz-json-1.0");
  request.set("X-Amz-Target", "DynamoDB_20120810.Scan");
  request.set(http::field::user_agent, "dynaudit-discover-scan");
  std::string body = "{\"TableName\":\"";
  ddb::append_json_escaped(body, table);
  body += "\",\"Limit\":" + std::to_string(limit);
  if (!start_key.empty()) body += ",\"ExclusiveStartKey\":" + start_key;
  body += '}';
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

}  // namespace

std::string to_json(const DiscoveryScanResult& r, std::size_t asked, bool saved) {
  std::string out = "{\"status\":" + std::to_string(r.status) + ",\"asked\":" + std::to_string(asked) +
                    ",\"items\":" + std::to_string(r.items) + ",\"pages\":" + std::to_string(r.pages) +
                    ",\"pagesSampled\":" + std::to_string(r.pages_sampled) + ",\"saved\":" + (saved ? "true" : "false") +
                    ",\"principal\":\"" + std::string(kScanPrincipal) + "\",\"requestIds\":[";
  for (std::size_t i = 0; i < r.request_ids.size(); ++i) {
    out += i ? ",\"" : "\"";
    ddb::append_json_escaped(out, r.request_ids[i]);
    out += '"';
  }
  out += "],\"errorType\":\"";
  ddb::append_json_escaped(out, r.error_type);
  out += "\",\"error\":\"";
  ddb::append_json_escaped(out, r.error);
  return out + "\"}";
}

asio::awaitable<DiscoveryScanResult> RequestHandler::discovery_scan(std::string table, std::size_t max_items) {
  DiscoveryScanResult result;
  if (!valid_table_name(table)) {
    result.status = 400;
    result.error = "not a table name";
    co_return result;
  }
  if (!shared_.discovery) {
    result.status = 409;
    result.error = "discovery is off (discovery.enabled, and it needs the audit store)";
    co_return result;
  }
  Principal self;
  self.name = std::string(kScanPrincipal);
  self.groups = {"dynaudit"};
  self.mode = shared_.config->auth.mode;
  self.verified = true;
  self.internal = true;
  ConnectionInfo connection;
  connection.listener = "internal:discover-scan";
  connection.remote_address = "127.0.0.1";  // the proxy's own host
  std::string start_key;
  do {
    HttpRequest request = scan_request(table, std::min(kPageItems, max_items - result.items), start_key);
    bool sampled = false;
    const HttpResponse response = co_await handle_call(request, connection, &self, &sampled);
    ++result.pages;
    if (sampled) ++result.pages_sampled;
    if (const auto id = response["x-amzn-RequestId"]; !id.empty()) result.request_ids.emplace_back(id);
    const Page page = read_page(response);
    if (response.result_int() != 200) {
      result.status = response.result_int();
      result.error_type = page.error_type;
      result.error = page.message.empty() ? page.error_type : page.message;
      co_return result;
    }
    result.items += page.count;
    start_key = page.last_key;
  } while (!start_key.empty() && result.items < max_items);
  co_return result;
}

}  // namespace dynaudit::proxy
