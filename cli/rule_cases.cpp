// Loading and running rule test cases; see rule_cases.hpp.
#include "cli/rule_cases.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "ddb/error_response.hpp"
#include "ddb/operation_catalog.hpp"
#include "ddb/request_facts.hpp"
#include "cli/audit_time.hpp"

namespace dynaudit::cli {
namespace {

class CaseReader {
 public:
  CaseReader(std::string path, std::vector<std::string>& errors) : path_(std::move(path)), errors_(errors) {}

  void error(const YAML::Node& at, const std::string& problem) {
    const int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    errors_.push_back(path_ + ":" + std::to_string(line) + ": " + problem);
  }

  // Reports keys of `map` outside `allowed`.
  void only_keys(const YAML::Node& map, const std::string& where, std::initializer_list<std::string_view> allowed) {
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>("");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(entry.first, where + ": unknown key '" + key + "' (allowed: " + list + ")");
      }
    }
  }

  std::optional<std::string> text(const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      error(node, what + ": must be a string");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::vector<std::string>> list(const YAML::Node& node, const std::string& what) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          error(item, what + ": must be a list of strings");
          return std::nullopt;
        }
        out.push_back(item.Scalar());
      }
    } else if (!node.IsNull()) {
      error(node, what + ": must be a string or a list of strings");
      return std::nullopt;
    }
    return out;
  }

  template <typename T>
  bool number(const YAML::Node& node, const std::string& what, T& out) {
    try {
      out = node.as<T>();
      return true;
    } catch (const YAML::Exception&) {
      error(node, what + ": must be a number");
      return false;
    }
  }

  bool flag(const YAML::Node& node, const std::string& what, bool& out) {
    try {
      out = node.as<bool>();
      return true;
    } catch (const YAML::Exception&) {
      error(node, what + ": must be true or false");
      return false;
    }
  }

 private:
  std::string path_;
  std::vector<std::string>& errors_;
};

// YAML to JSON for request bodies written as YAML mappings. Plain scalars
// that read as numbers or booleans stay unquoted; quoted scalars are strings.
bool plain_json_literal(const YAML::Node& node) {
  if (node.Tag() != "?") return false;  // quoted in the file
  const std::string& s = node.Scalar();
  if (s == "true" || s == "false" || s == "null") return true;
  if (s.empty()) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digits = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}

void append_json(std::string& out, const YAML::Node& node) {
  if (node.IsMap()) {
    out += '{';
    bool first = true;
    for (const auto& entry : node) {
      if (!first) out += ',';
      first = false;
      out += '"';
      ddb::append_json_escaped(out, entry.first.as<std::string>(""));
      out += "\":";
      append_json(out, entry.second);
    }
    out += '}';
  } else if (node.IsSequence()) {
    out += '[';
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (i) out += ',';
      append_json(out, node[i]);
    }
    out += ']';
  } else if (node.IsScalar()) {
    if (plain_json_literal(node)) {
      out += node.Scalar();
    } else {
      out += '"';
      ddb::append_json_escaped(out, node.Scalar());
      out += '"';
    }
  } else {
    out += "null";
  }
}

std::optional<rules::Effect> effect_of(const std::string& s) {
  if (s == "allow") return rules::Effect::allow;
  if (s == "deny") return rules::Effect::deny;
  return std::nullopt;
}

std::optional<rules::AuditLevel> audit_of(const std::string& s) {
  if (s == "none") return rules::AuditLevel::none;
  if (s == "metadata") return rules::AuditLevel::metadata;
  if (s == "full") return rules::AuditLevel::full;
  return std::nullopt;
}

void read_request(CaseReader& r, const YAML::Node& node, RuleCase& c) {
  if (!node.IsMap()) {
    r.error(node, "request: must be a mapping");
    return;
  }
  r.only_keys(node, "request",
              {"operation", "target", "body", "principal", "groups", "source_ip", "tls", "verified", "time"});
  if (node["target"]) {
    if (auto t = r.text(node["target"], "request.target")) c.target = *t;
  } else if (node["operation"]) {
    if (auto op = r.text(node["operation"], "request.operation")) {
      const auto* info = ddb::find_operation(ddb::ApiFamily::dynamodb, *op);
      const auto* streams = ddb::find_operation(ddb::ApiFamily::streams, *op);
      if (!info && !streams) r.error(node["operation"], "request.operation: unknown operation '" + *op + "'");
      c.target = std::string(info || !streams ? ddb::kDynamoDbTargetPrefix : ddb::kStreamsTargetPrefix) + "." + *op;
    }
  } else {
    r.error(node, "request: needs operation (or target)");
  }
  if (const auto body = node["body"]) {
    if (body.IsScalar() && body.Tag() != "?") c.body = body.Scalar();  // JSON text, quoted
    else if (body.IsMap()) {
      c.body.clear();
      append_json(c.body, body);
    } else {
      r.error(body, "request.body: must be a mapping or a quoted JSON string");
    }
  }
  if (node["principal"])
    if (auto p = r.text(node["principal"], "request.principal")) c.principal = *p;
  if (node["groups"])
    if (auto g = r.list(node["groups"], "request.groups")) c.groups = *g;
  if (node["source_ip"]) {
    if (auto ip = r.text(node["source_ip"], "request.source_ip")) {
      c.source_ip = *ip;
      if (!rules::parse_source_address(*ip).valid) r.error(node["source_ip"], "request.source_ip: not an IP address");
    }
  }
  if (node["tls"]) r.flag(node["tls"], "request.tls", c.tls);
  if (node["verified"]) r.flag(node["verified"], "request.verified", c.verified);
  if (node["time"]) {
    if (auto t = r.text(node["time"], "request.time")) {
      std::string problem;
      const auto when = parse_time_arg(*t, std::chrono::system_clock::now(), problem);
      if (!when) r.error(node["time"], "request.time: " + problem);
      else c.time = *when;
    }
  }
}

void read_response(CaseReader& r, const YAML::Node& node, RuleCase& c) {
  if (!node.IsMap()) {
    r.error(node, "response: must be a mapping");
    return;
  }
  r.only_keys(node, "response", {"status", "error_type", "items", "consumed_capacity", "bytes"});
  rules::ResponseContext response;
  response.status = 200;
  if (node["status"]) r.number(node["status"], "response.status", response.status);
  if (node["error_type"])
    if (auto e = r.text(node["error_type"], "response.error_type")) c.response_error_type = *e;
  if (node["items"]) r.number(node["items"], "response.items", response.item_count);
  if (node["consumed_capacity"]) r.number(node["consumed_capacity"], "response.consumed_capacity", response.consumed_capacity);
  if (node["bytes"]) r.number(node["bytes"], "response.bytes", response.bytes);
  c.response = response;
}

void read_expect(CaseReader& r, const YAML::Node& node, RuleCase& c) {
  if (!node.IsMap()) {
    r.error(node, "expect: must be a mapping");
    return;
  }
  r.only_keys(node, "expect", {"effect", "rule", "matched", "shadow", "tags", "alerts", "audit", "withheld"});
  auto& e = c.expect;
  if (!node["effect"]) r.error(node, "expect: needs effect (allow or deny)");
  else if (auto text = r.text(node["effect"], "expect.effect")) {
    if (auto effect = effect_of(*text)) e.effect = *effect;
    else r.error(node["effect"], "expect.effect: must be allow or deny, not '" + *text + "'");
  }
  if (node["rule"]) e.rule = node["rule"].IsNull() ? std::string() : r.text(node["rule"], "expect.rule").value_or("");
  if (node["matched"]) e.matched = r.list(node["matched"], "expect.matched");
  if (node["shadow"]) e.shadow = r.list(node["shadow"], "expect.shadow");
  if (node["tags"]) e.tags = r.list(node["tags"], "expect.tags");
  if (node["alerts"]) e.alerts = r.list(node["alerts"], "expect.alerts");
  if (node["audit"]) {
    if (auto text = r.text(node["audit"], "expect.audit")) {
      e.audit = audit_of(*text);
      if (!e.audit) r.error(node["audit"], "expect.audit: must be none, metadata or full");
    }
  }
  if (node["withheld"]) {
    bool withheld = false;
    if (r.flag(node["withheld"], "expect.withheld", withheld)) e.withheld = withheld;
  }
}

std::vector<std::string> ids(const std::vector<const rules::Rule*>& list) {
  std::vector<std::string> out;
  for (const auto* rule : list) out.push_back(rule->id);
  return out;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + list[i];
  return out + "]";
}

void compare_list(std::vector<std::string>& diffs, const char* what, const std::optional<std::vector<std::string>>& expected,
                  const std::vector<std::string>& actual) {
  if (expected && *expected != actual) diffs.push_back(std::string(what) + ": expected " + joined(*expected) + ", got " + joined(actual));
}

}  // namespace

CaseFile load_rule_cases(const std::string& path) {
  CaseFile file;
  CaseReader r(path, file.errors);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    file.errors.push_back(path + ": cannot be read");
    return file;
  } catch (const YAML::Exception& e) {
    file.errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return file;
  }
  if (!root.IsMap()) {
    file.errors.push_back(path + ": must be a mapping with a `cases` list");
    return file;
  }
  try {
    r.only_keys(root, "cases file", {"cases", "default_effect", "default_audit"});
    if (root["default_effect"]) {
      file.default_effect = effect_of(root["default_effect"].as<std::string>(""));
      if (!file.default_effect) r.error(root["default_effect"], "default_effect: must be allow or deny");
    }
    if (root["default_audit"]) {
      file.default_audit = audit_of(root["default_audit"].as<std::string>(""));
      if (!file.default_audit) r.error(root["default_audit"], "default_audit: must be none, metadata or full");
    }
    const auto cases = root["cases"];
    if (!cases || !cases.IsSequence()) {
      r.error(root, "cases: must be a list");
      return file;
    }
    std::set<std::string> names;
    for (const auto& node : cases) {
      RuleCase c;
      c.line = node.Mark().line + 1;
      c.time = std::chrono::system_clock::now();
      if (!node.IsMap()) {
        r.error(node, "each case must be a mapping");
        continue;
      }
      r.only_keys(node, "case", {"name", "request", "response", "expect"});
      c.name = node["name"] ? node["name"].as<std::string>("") : "case at line " + std::to_string(c.line);
      if (!names.insert(c.name).second) r.error(node, "duplicate case name '" + c.name + "'");
      if (node["request"]) read_request(r, node["request"], c);
      else r.error(node, "case '" + c.name + "': needs request");
      if (node["response"]) read_response(r, node["response"], c);
      if (node["expect"]) read_expect(r, node["expect"], c);
      else r.error(node, "case '" + c.name + "': needs expect");
      file.cases.push_back(std::move(c));
    }
  } catch (const YAML::Exception& e) {
    file.errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return file;
}

std::vector<std::string> run_rule_case(const rules::RuleSnapshot& snapshot, const RuleCase& c) {
  auto facts = ddb::extract_request_facts(c.target, c.body.empty() ? std::string_view("{}") : std::string_view(c.body));
  std::vector<std::string> diffs;
  if (facts.error) diffs.push_back("request.body: " + ddb::error_body(*facts.error));
  rules::RequestContext request;
  request.facts = &facts.facts;
  request.principal = c.principal;
  request.groups = &c.groups;
  request.source = rules::parse_source_address(c.source_ip);
  request.tls = c.tls;
  request.verified = c.verified;
  request.time = c.time;
  rules::RateState rates;
  rules::Decision decision;
  snapshot.evaluate_request(request, rates, decision);
  if (c.response && decision.effect == rules::Effect::allow) {
    auto response = *c.response;
    response.error_type = c.response_error_type;
    snapshot.evaluate_response(request, response, rates, decision);
  }
  const auto& e = c.expect;
  if (decision.effect != e.effect)
    diffs.push_back("effect: expected " + std::string(rules::to_string(e.effect)) + ", got " +
                    std::string(rules::to_string(decision.effect)));
  const std::string determining = decision.determining ? decision.determining->id : "";
  if (e.rule && *e.rule != determining)
    diffs.push_back("rule: expected " + (e.rule->empty() ? std::string("the default effect") : "'" + *e.rule + "'") +
                    ", got " + (determining.empty() ? std::string("the default effect") : "'" + determining + "'"));
  compare_list(diffs, "matched", e.matched, ids(decision.matched));
  compare_list(diffs, "shadow", e.shadow, ids(decision.shadow));
  compare_list(diffs, "tags", e.tags, std::vector<std::string>(decision.tags.begin(), decision.tags.end()));
  compare_list(diffs, "alerts", e.alerts, ids(decision.alerts));
  if (e.audit && *e.audit != decision.audit_level)
    diffs.push_back("audit: expected " + std::string(rules::to_string(*e.audit)) + ", got " +
                    std::string(rules::to_string(decision.audit_level)));
  if (e.withheld && *e.withheld != decision.denied_in_response)
    diffs.push_back(std::string("withheld: expected ") + (*e.withheld ? "true" : "false") + ", got " + (decision.denied_in_response ? "true" : "false"));
  return diffs;
}

}  // namespace dynaudit::cli
