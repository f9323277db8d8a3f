// Loading rule files: YAML parsed with yaml-cpp, validated key by key with
// positions, and compiled into condition trees (compiled.hpp). Every problem
// becomes a LoadError ("file:line:col: key: problem"); yaml-cpp's exceptions
// never leave this file, and all problems in a file are reported together.
#include <yaml-cpp/yaml.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <regex>
#include <span>
#include <sstream>

#include "ddb/operation_catalog.hpp"
#include "rules/compiled.hpp"
#include "rules/rule_fingerprint.hpp"

namespace dynaudit::rules {
namespace {

constexpr int kMaxNesting = 32;
constexpr std::size_t kMaxConditions = 10000;
constexpr std::size_t kMaxRegexLength = 1000;

constexpr std::string_view kRuleKeys[] = {
    "id", "description", "mode", "when", "effect", "message", "alert", "mask", "unmask_groups", "protect", "audit",
    "tags"};
constexpr std::string_view kConditionKeys[] = {
    "all", "any", "not", "operation", "operation_class", "table", "principal", "group", "authenticated",
    "source_ip", "tls", "attributes_read", "attributes_written", "attributes", "key", "item_count",
    "request_bytes", "partiql", "time", "rate", "status", "error_type", "returned_items", "consumed_capacity",
    "response_bytes"};
constexpr std::string_view kCompareKeys[] = {"gt", "gte", "lt", "lte", "eq"};
constexpr std::string_view kFrameworks[] = {"pci-dss", "hipaa", "gdpr", "sox",
                                                                 "soc2",    "iso27001", "custom"};
constexpr std::string_view kSeverities[] = {"info", "low", "medium", "high", "critical"};
constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

using Names = std::span<const std::string_view>;

std::string join(Names items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

bool contains(Names items, std::string_view s) { return std::find(items.begin(), items.end(), s) != items.end(); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const char x = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      const char y = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x == y ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Parses a CIDR ("10.0.0.0/8", "::1/128", a bare address = one host);
// host bits are masked off.
bool parse_cidr(std::string_view text, Cidr& out) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  const bool v4 = addr.find(':') == std::string_view::npos;
  const SourceAddress a = parse_source_address(addr);
  if (!a.valid) return false;
  int prefix = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return false;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > (v4 ? 32 : 128)) return false;
  }
  if (v4) prefix += 96;
  out.prefix = prefix;
  out.bytes = a.bytes;
  int bits = prefix;
  for (auto& b : out.bytes) {
    if (bits >= 8) {
      bits -= 8;
    } else {
      b &= bits <= 0 ? 0 : static_cast<std::uint8_t>(0xFF << (8 - bits));
      bits = 0;
    }
  }
  return true;
}

// "30s", "5m", "1h", "1d".
std::optional<std::chrono::seconds> parse_duration(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  std::int64_t n = 0;
  const std::string_view digits = s.substr(0, s.size() - 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || n <= 0) return std::nullopt;
  std::int64_t unit = 0;
  switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  if (n > 366 * 86400 / unit) return std::nullopt;  // at most a year
  return std::chrono::seconds(n * unit);
}

// "HH:MM" into minutes after midnight; 24:00 only when `allow_24`.
bool parse_hhmm(std::string_view s, bool allow_24, int& minutes) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return false;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) return false;
  minutes = h * 60 + m;
  return true;
}

bool valid_rule_id(std::string_view id) {
  return !id.empty() && id.size() <= 256 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
  });
}

struct RuleContext {
  bool response = false;
  std::optional<RateSpec> rate;
};

class FileLoader {
 public:
  FileLoader(const std::string& source, RuleSnapshot::Compiled& out, std::vector<LoadError>& errors,
             LoadState& state)
      : source_(source), out_(out), errors_(errors), state_(state) {}

  void load(const std::string& text) {
    try {
      const YAML::Node root = YAML::Load(text);
      load_root(root);
    } catch (const YAML::Exception& e) {
      LoadError err{source_, 0, 0, "YAML: " + e.msg};
      if (!e.mark.is_null()) {
        err.line = e.mark.line + 1;
        err.column = e.mark.column + 1;
      }
      errors_.push_back(std::move(err));
    } catch (const std::exception& e) {
      errors_.push_back(LoadError{source_, 0, 0, std::string("cannot load: ") + e.what()});
    }
  }

 private:
  using Node = YAML::Node;

  void error(const Node& at, std::string_view key, const std::string& message) {
    LoadError e{source_, 0, 0, {}};
    const YAML::Mark m = at.Mark();
    if (!m.is_null()) {
      e.line = m.line + 1;
      e.column = m.column + 1;
    }
    e.message = key.empty() ? message : std::string(key) + ": " + message;
    errors_.push_back(std::move(e));
  }

  // Reports keys not in `allowed`, duplicate keys and non-string keys.
  bool check_keys(const Node& map, std::initializer_list<std::string_view> allowed, std::string_view where) {
    return check_keys(map, Names(allowed.begin(), allowed.size()), where);
  }
  bool check_keys(const Node& map, Names allowed, std::string_view where) {
    bool ok = true;
    std::vector<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, where, "keys must be strings");
        ok = false;
        continue;
      }
      const std::string& k = it->first.Scalar();
      if (!contains(allowed, k)) {
        error(it->first, where, "unknown key '" + k + "' (allowed keys: " + join(allowed) + ")");
        ok = false;
      } else if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
        error(it->first, k, "duplicate key");
        ok = false;
      }
      seen.push_back(k);
    }
    return ok;
  }

  std::optional<std::string> scalar(const Node& n, std::string_view key) {
    if (!n.IsScalar()) {
      error(n, key, "expected a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  // A scalar or a non-empty list of scalars, each with its node for errors.
  bool scalar_list(const Node& n, std::string_view key, std::vector<Node>& out) {
    if (n.IsScalar()) {
      out.push_back(n);
      return true;
    }
    if (!n.IsSequence() || n.size() == 0) {
      error(n, key, "expected a string or a non-empty list of strings");
      return false;
    }
    bool ok = true;
    for (const Node& item : n) {
      if (!item.IsScalar()) {
        error(item, key, "expected a string");
        ok = false;
      } else {
        out.push_back(item);
      }
    }
    return ok;
  }

  std::optional<double> number(const Node& n, std::string_view key) {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      double v = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v)) return v;
    }
    error(n, key, "expected a number");
    return std::nullopt;
  }

  std::optional<std::uint64_t> count(const Node& n, std::string_view key, std::uint64_t min) {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      std::uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size() && v >= min) return v;
    }
    error(n, key, "expected a whole number of at least " + std::to_string(min));
    return std::nullopt;
  }

  std::optional<bool> boolean(const Node& n, std::string_view key) {
    if (n.IsScalar()) {
      if (n.Scalar() == "true") return true;
      if (n.Scalar() == "false") return false;
    }
    error(n, key, "expected true or false");
    return std::nullopt;
  }

  std::optional<std::chrono::seconds> duration(const Node& n, std::string_view key) {
    if (n.IsScalar()) {
      if (auto d = parse_duration(n.Scalar())) return d;
      error(n, key, "bad duration '" + n.Scalar() + "' (expected a number and s, m, h or d, like 30s or 5m)");
    } else {
      error(n, key, "expected a duration like 30s, 5m, 1h or 1d");
    }
    return std::nullopt;
  }

  // `{gt: N, lte: M, ...}`: all must hold.
  bool comparators(const Node& n, std::string_view key, std::vector<NumCompare>& out) {
    if (!n.IsMap() || n.size() == 0) {
      error(n, key, "expected a mapping of comparisons (" + join(kCompareKeys) + ")");
      return false;
    }
    bool ok = check_keys(n, kCompareKeys, key);
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& k = it->first.Scalar();
      if (!contains(kCompareKeys, k)) continue;
      auto v = number(it->second, key);
      if (!v) {
        ok = false;
        continue;
      }
      CompareOp op = k == "gt" ? CompareOp::gt : k == "gte" ? CompareOp::gte : k == "lt" ? CompareOp::lt
                   : k == "lte" ? CompareOp::lte : CompareOp::eq;
      out.push_back({op, *v});
    }
    return ok;
  }

  bool globs(const Node& n, std::string_view key, GlobOptions opts, std::vector<Glob>& out) {
    std::vector<Node> items;
    if (!scalar_list(n, key, items)) return false;
    bool ok = true;
    for (const Node& item : items) {
      std::string why;
      if (auto g = Glob::compile(item.Scalar(), opts, why)) {
        out.push_back(std::move(*g));
      } else {
        error(item, key, why);
        ok = false;
      }
    }
    return ok;
  }

  std::string suggest_operation(std::string_view name) {
    // No operation name is longer than 40 characters, and a suggestion needs
    // a distance of at most a third of the name: past 64 there is none to
    // find, and the distances would cost length x 70 operations each.
    if (name.size() > 64) return {};
    std::string_view best;
    std::size_t best_d = static_cast<std::size_t>(-1);
    for (const auto& op : ddb::all_operations()) {
      const std::size_t d = edit_distance(name, op.name);
      if (d < best_d) {
        best_d = d;
        best = op.name;
      }
    }
    if (best.empty() || best_d > std::max<std::size_t>(3, name.size() / 3)) return {};
    return " (did you mean " + std::string(best) + "?)";
  }

  // The conditions of one mapping, all of which must hold.
  void conditions(const Node& map, int depth, bool top, RuleContext& rc, std::vector<Condition>& out) {
    if (!map.IsMap()) {
      error(map, top ? "when" : "", "expected a mapping of conditions");
      return;
    }
    check_keys(map, kConditionKeys, "when");
    std::vector<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& key = it->first.Scalar();
      if (!contains(kConditionKeys, key)) continue;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      if (key == "rate") {
        if (!top) {
          error(it->first, key, "rate is allowed only directly under a rule's when, not inside all, any or not");
          continue;
        }
        rate(it->second, rc);
        continue;
      }
      if (++condition_count_ > kMaxConditions) {
        if (condition_count_ == kMaxConditions + 1)
          error(it->first, key, "too many conditions in one file (limit " + std::to_string(kMaxConditions) + ")");
        return;
      }
      Condition c;
      if (condition(key, it->first, it->second, depth, rc, c)) out.push_back(std::move(c));
    }
  }

  bool condition(const std::string& key, const Node& key_node, const Node& v, int depth, RuleContext& rc,
                 Condition& c) {
    if (key == "all" || key == "any" || key == "not") {
      if (depth >= kMaxNesting) {
        error(key_node, key, "conditions nested deeper than " + std::to_string(kMaxNesting) + " levels");
        return false;
      }
      if (key == "not") {
        c.kind = CondKind::not_;
        const std::size_t before = errors_.size();
        conditions(v, depth + 1, false, rc, c.children);
        return errors_.size() == before;
      }
      c.kind = key == "all" ? CondKind::all : CondKind::any;
      if (!v.IsSequence() || v.size() == 0) {
        error(v, key, "expected a non-empty list of condition mappings");
        return false;
      }
      const std::size_t before = errors_.size();
      for (const Node& item : v) {
        Condition group;
        group.kind = CondKind::all;
        if (!item.IsMap()) {
          error(item, key, "expected a mapping of conditions");
          continue;
        }
        conditions(item, depth + 1, false, rc, group.children);
        c.children.push_back(std::move(group));
      }
      return errors_.size() == before;
    }
    if (key == "operation") {
      c.kind = CondKind::operation;
      const auto ops = ddb::all_operations();
      c.operations.assign(ops.size(), false);
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      bool ok = true;
      for (const Node& item : items) {
        const std::string& name = item.Scalar();
        bool found = false;
        for (std::size_t i = 0; i < ops.size(); ++i)
          if (ops[i].name == name) {
            c.operations[i] = true;
            found = true;
          }
        if (!found) {
          error(item, key, "unknown operation '" + name + "'" + suggest_operation(name));
          ok = false;
        }
      }
      return ok;
    }
    if (key == "operation_class") {
      c.kind = CondKind::operation_class;
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      bool ok = true;
      for (const Node& item : items) {
        const std::string& s = item.Scalar();
        if (s == "read") c.classes |= kClassRead;
        else if (s == "write") c.classes |= kClassWrite;
        else if (s == "admin") c.classes |= kClassAdmin;
        else if (s == "scan-like") c.classes |= kClassScanLike;
        else if (s == "unknown") c.classes |= kClassUnknown;
        else {
          error(item, key, "unknown operation class '" + s + "' (expected read, write, admin, scan-like or unknown)");
          ok = false;
        }
      }
      return ok;
    }
    if (key == "table" || key == "principal") {
      c.kind = key == "table" ? CondKind::table : CondKind::principal;
      return globs(v, key, {}, c.globs);
    }
    if (key == "partiql") {
      // Either glob(s), or {match: glob(s), except: glob(s)}: both are judged
      // statement by statement, so in a batch one statement must match
      // `match` and none of `except` (a WHERE in another statement cannot
      // excuse a full-table SELECT).
      c.kind = CondKind::partiql;
      if (!v.IsMap()) return globs(v, key, GlobOptions{true, true}, c.globs);
      bool ok = true;
      for (const auto& entry : v) {
        const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
        if (name != "match" && name != "except") {
          error(entry.first, key, "unknown key '" + name + "' (allowed keys: match, except)");
          ok = false;
        }
      }
      if (!v["match"]) {
        error(v, key, "needs match (the statements this condition is about)");
        return false;
      }
      ok = globs(v["match"], "partiql.match", GlobOptions{true, true}, c.globs) && ok;
      if (v["except"]) ok = globs(v["except"], "partiql.except", GlobOptions{true, true}, c.except_globs) && ok;
      return ok;
    }
    if (key == "group" || key == "error_type") {
      c.kind = key == "group" ? CondKind::group : CondKind::error_type;
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      for (const Node& item : items) c.names.push_back(item.Scalar());
      if (key == "error_type") rc.response = true;
      return true;
    }
    if (key == "authenticated" || key == "tls") {
      c.kind = key == "tls" ? CondKind::tls : CondKind::authenticated;
      auto b = boolean(v, key);
      if (!b) return false;
      c.flag = *b;
      return true;
    }
    if (key == "source_ip") {
      c.kind = CondKind::source_ip;
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      bool ok = true;
      for (const Node& item : items) {
        Cidr cidr;
        if (parse_cidr(item.Scalar(), cidr)) {
          c.cidrs.push_back(cidr);
        } else {
          error(item, key, "bad CIDR '" + item.Scalar() + "'");
          ok = false;
        }
      }
      return ok;
    }
    if (key == "attributes_read" || key == "attributes_written" || key == "attributes") {
      c.kind = key == "attributes" ? CondKind::attributes
             : key == "attributes_read" ? CondKind::attributes_read : CondKind::attributes_written;
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      bool ok = true;
      for (const Node& item : items) {
        AttributePath p;
        if (parse_attribute_path(item.Scalar(), p)) {
          c.paths.push_back(std::move(p));
        } else {
          error(item, key, "unknown attribute path form '" + item.Scalar() + "'");
          ok = false;
        }
      }
      return ok;
    }
    if (key == "key") return key_condition(v, c);
    if (key == "item_count" || key == "request_bytes" || key == "returned_items" || key == "consumed_capacity" ||
        key == "response_bytes") {
      c.kind = key == "item_count" ? CondKind::item_count
             : key == "request_bytes" ? CondKind::request_bytes
             : key == "returned_items" ? CondKind::returned_items
             : key == "consumed_capacity" ? CondKind::consumed_capacity : CondKind::response_bytes;
      if (key == "returned_items" || key == "consumed_capacity" || key == "response_bytes") rc.response = true;
      return comparators(v, key, c.compares);
    }
    if (key == "status") {
      c.kind = CondKind::status;
      rc.response = true;
      if (v.IsMap()) return comparators(v, key, c.compares);
      std::vector<Node> items;
      if (!scalar_list(v, key, items)) return false;
      bool ok = true;
      for (const Node& item : items) {
        auto n = count(item, key, 100);
        if (!n || *n > 599) {
          if (n) error(item, key, "expected an HTTP status code (100-599)");
          ok = false;
          continue;
        }
        c.statuses.push_back(static_cast<unsigned>(*n));
      }
      return ok;
    }
    if (key == "time") return time_condition(v, c);
    return false;
  }

  bool key_condition(const Node& v, Condition& c) {
    c.kind = CondKind::key;
    if (!v.IsMap()) {
      error(v, "key", "expected a mapping with attribute and equals or prefix");
      return false;
    }
    bool ok = check_keys(v, {"attribute", "equals", "prefix", "table"}, "key");
    const Node attribute = v["attribute"];
    const Node equals = v["equals"];
    const Node prefix = v["prefix"];
    const Node table = v["table"];
    if (!attribute) {
      error(v, "key", "attribute is required");
      ok = false;
    } else if (auto s = scalar(attribute, "key.attribute")) {
      c.key_attribute = *s;
    } else {
      ok = false;
    }
    if (equals && prefix) {
      error(v, "key", "give exactly one of equals and prefix, not both");
      ok = false;
    } else if (!equals && !prefix) {
      error(v, "key", "give exactly one of equals and prefix");
      ok = false;
    } else if (equals) {
      std::vector<Node> items;
      if (scalar_list(equals, "key.equals", items)) {
        for (const Node& item : items) c.names.push_back(item.Scalar());
      } else {
        ok = false;
      }
    } else if (auto s = scalar(prefix, "key.prefix")) {
      c.key_prefix = *s;
      c.key_has_prefix = true;
    } else {
      ok = false;
    }
    if (table) {
      std::string why;
      if (!table.IsScalar()) {
        error(table, "key.table", "expected a glob");
        ok = false;
      } else if (auto g = Glob::compile(table.Scalar(), {}, why)) {
        c.globs.push_back(std::move(*g));
        c.key_has_table = true;
      } else {
        error(table, "key.table", why);
        ok = false;
      }
    }
    return ok;
  }

  bool time_condition(const Node& v, Condition& c) {
    c.kind = CondKind::time;
    if (!v.IsMap()) {
      error(v, "time", "expected a mapping with days, hours and zone");
      return false;
    }
    bool ok = check_keys(v, {"days", "hours", "zone"}, "time");
    auto w = std::make_shared<TimeWindow>();
    if (const Node days = v["days"]) {
      std::vector<Node> items;
      if (scalar_list(days, "time.days", items)) {
        w->days = 0;
        for (const Node& item : items) {
          const auto it = std::find(std::begin(kDays), std::end(kDays), item.Scalar());
          if (it == std::end(kDays)) {
            error(item, "time.days", "unknown day '" + item.Scalar() + "' (expected " + join(kDays) + ")");
            ok = false;
          } else {
            w->days |= static_cast<std::uint8_t>(1u << (it - std::begin(kDays)));
          }
        }
      } else {
        ok = false;
      }
    }
    if (const Node hours = v["hours"]) {
      const std::string s = hours.IsScalar() ? hours.Scalar() : std::string();
      const auto dash = s.find('-');
      int a = 0, b = 0;
      if (dash == std::string::npos || !parse_hhmm(std::string_view(s).substr(0, dash), false, a) ||
          !parse_hhmm(std::string_view(s).substr(dash + 1), true, b) || a == b) {
        error(hours, "time.hours", "bad hours '" + s + "' (expected HH:MM-HH:MM like 09:00-17:00, end exclusive)");
        ok = false;
      } else {
        w->start_minute = a;
        w->end_minute = b;
      }
    }
    if (const Node zone = v["zone"]) {
      std::string why;
      if (!zone.IsScalar()) {
        error(zone, "time.zone", "expected a zone name like Europe/Berlin");
        ok = false;
      } else if (auto z = TimeZone::load(zone.Scalar(), why)) {
        w->zone = std::move(*z);
      } else {
        error(zone, "time.zone", why);
        ok = false;
      }
    }
    c.time = std::move(w);
    return ok;
  }

  void rate(const Node& v, RuleContext& rc) {
    if (!v.IsMap()) {
      error(v, "rate", "expected a mapping with calls or items, per and by");
      return;
    }
    bool ok = check_keys(v, {"calls", "items", "per", "by"}, "rate");
    RateSpec r;
    const Node calls = v["calls"];
    const Node items = v["items"];
    if ((calls && items) || (!calls && !items)) {
      error(v, "rate", "give exactly one of calls and items");
      ok = false;
    } else {
      r.items = static_cast<bool>(items);
      if (auto n = count(items ? items : calls, items ? "rate.items" : "rate.calls", 0)) r.limit = *n;
      else ok = false;
    }
    if (const Node per = v["per"]) {
      if (auto d = duration(per, "rate.per")) r.per = *d;
      else ok = false;
    } else {
      error(v, "rate", "per is required (a duration like 1m)");
      ok = false;
    }
    if (const Node by = v["by"]) {
      const std::string s = by.IsScalar() ? by.Scalar() : std::string();
      if (s == "principal") r.by = RateBy::principal;
      else if (s == "table") r.by = RateBy::table;
      else if (s == "principal_and_table") r.by = RateBy::principal_and_table;
      else {
        error(by, "rate.by", "expected principal, table or principal_and_table");
        ok = false;
      }
    }
    if (ok) rc.rate = r;
  }

  void alert(const Node& v, Rule& rule) {
    if (!v.IsMap()) {
      error(v, "alert", "expected a mapping with channel, severity, message and throttle");
      return;
    }
    check_keys(v, {"channel", "severity", "message", "throttle"}, "alert");
    AlertSpec a;
    a.message_template = "dynaudit rule {rule} matched {operation} on {table} by {principal}";
    bool ok = true;
    if (const Node channel = v["channel"]) {
      auto s = scalar(channel, "alert.channel");
      if (s && !s->empty()) a.channel = *s;
      else {
        if (s) error(channel, "alert.channel", "must not be empty");
        ok = false;
      }
    } else {
      error(v, "alert", "channel is required");
      ok = false;
    }
    if (const Node severity = v["severity"]) {
      auto s = scalar(severity, "alert.severity");
      if (s && contains(kSeverities, *s)) a.severity = *s;
      else {
        if (s) error(severity, "alert.severity", "unknown severity '" + *s + "' (expected " + join(kSeverities) + ")");
        ok = false;
      }
    }
    if (const Node message = v["message"]) {
      if (auto s = scalar(message, "alert.message")) a.message_template = *s;
      else ok = false;
    }
    if (const Node throttle = v["throttle"]) {
      if (!throttle.IsMap()) {
        error(throttle, "alert.throttle", "expected a mapping with max and per");
        ok = false;
      } else {
        if (!check_keys(throttle, {"max", "per"}, "alert.throttle")) ok = false;
        if (const Node max = throttle["max"]) {
          if (auto n = count(max, "alert.throttle.max", 1)) a.throttle_max = static_cast<std::size_t>(*n);
          else ok = false;
        }
        if (const Node per = throttle["per"]) {
          if (auto d = duration(per, "alert.throttle.per")) a.throttle_window = *d;
          else ok = false;
        }
      }
    }
    if (ok) rule.alert = std::move(a);
  }

  // protect: {use: deny|alert|allow, key_equality: allow|deny|alert,
  //           channel: <alerts channel>, severity: <severity>}
  void protect(const Node& v, Rule& rule) {
    if (!v.IsMap()) {
      error(v, "protect", "expected a mapping with use, key_equality, channel, severity");
      return;
    }
    if (rule.mask.empty()) error(v, "protect", "protect applies to masked attributes: the rule needs mask");
    check_keys(v, {"use", "key_equality", "channel", "severity"}, "protect");
    if (const Node c = v["channel"]) {
      if (auto s = scalar(c, "protect.channel")) rule.protect.channel = *s;
    }
    if (const Node severity = v["severity"]) {
      if (auto s = scalar(severity, "protect.severity")) {
        if (contains(kSeverities, *s)) rule.protect.severity = *s;
        else error(severity, "protect.severity", "unknown severity '" + *s + "' (expected " + join(kSeverities) + ")");
      }
    }
    const auto action = [&](const char* key, ProtectAction& out) {
      const Node n = v[key];
      if (!n) return;
      const std::string where = std::string("protect.") + key;
      auto s = scalar(n, where);
      if (!s) return;
      if (*s == "deny") out = ProtectAction::deny;
      else if (*s == "alert") out = ProtectAction::alert;
      else if (*s == "allow") out = ProtectAction::allow;
      else return error(n, where, "unknown action '" + *s + "' (expected deny, alert or allow)");
      if (out == ProtectAction::alert && rule.protect.channel.empty())
        error(n, where, "alert needs protect.channel (the alerts channel to tell)");
    };
    action("use", rule.protect.use);
    action("key_equality", rule.protect.key_equality);
  }

  void mask(const Node& v, Rule& rule) {
    if (!v.IsSequence() || v.size() == 0) {
      error(v, "mask", "expected a non-empty list of mask actions");
      return;
    }
    static constexpr std::string_view kMethods[] = {
        "redact", "partial", "email", "hash", "nullify", "remove", "regex", "round"};
    for (const Node& item : v) {
      if (!item.IsMap()) {
        error(item, "mask", "expected a mapping with path and method");
        continue;
      }
      check_keys(item, {"path", "method", "keep_first", "keep_last", "replacement", "pattern", "step"}, "mask");
      MaskAction m;
      if (const Node path = item["path"]) {
        AttributePath parsed;
        auto s = scalar(path, "mask.path");
        if (s && parse_attribute_path(*s, parsed)) m.path = *s;
        else if (s) error(path, "mask.path", "unknown attribute path form '" + *s + "'");
      } else {
        error(item, "mask", "path is required");
      }
      const Node method = item["method"];
      if (!method) {
        error(item, "mask", "method is required (" + join(kMethods) + ")");
        continue;
      }
      auto ms = scalar(method, "mask.method");
      if (!ms) continue;
      if (!contains(kMethods, *ms)) {
        error(method, "mask.method", "unknown method '" + *ms + "' (expected " + join(kMethods) + ")");
        continue;
      }
      m.method = *ms;
      // Options that only some methods take.
      struct Option {
        const char* key;
        std::string_view method1, method2;  // the methods that take it
      };
      static constexpr Option kOptions[] = {{"keep_first", "partial", ""},
                                            {"keep_last", "partial", ""},
                                            {"replacement", "redact", "regex"},
                                            {"pattern", "regex", ""},
                                            {"step", "round", ""}};
      for (const Option& o : kOptions) {
        const Node n = item[o.key];
        if (!n) continue;
        if (m.method != o.method1 && m.method != o.method2) {
          error(n, std::string("mask.") + o.key, "not an option of method " + m.method);
          continue;
        }
        const std::string key = std::string("mask.") + o.key;
        if (std::string_view(o.key) == "keep_first" || std::string_view(o.key) == "keep_last") {
          auto c = count(n, key, 0);
          if (c && *c <= 1000) (std::string_view(o.key) == "keep_first" ? m.keep_first : m.keep_last) = static_cast<int>(*c);
          else if (c) error(n, key, "at most 1000");
        } else if (std::string_view(o.key) == "replacement") {
          if (auto s = scalar(n, key)) m.replacement = *s;
        } else if (std::string_view(o.key) == "pattern") {
          auto s = scalar(n, key);
          if (!s) continue;
          if (s->empty() || s->size() > kMaxRegexLength) {
            error(n, key, "a regular expression of 1 to " + std::to_string(kMaxRegexLength) + " characters");
            continue;
          }
          try {
            std::regex re(*s, std::regex::ECMAScript);
            m.pattern = *s;
          } catch (const std::regex_error& e) {
            error(n, key, "bad regular expression '" + *s + "': " + e.what());
          }
        } else if (std::string_view(o.key) == "step") {
          auto d = number(n, key);
          if (d && *d > 0) m.step = *d;
          else if (d) error(n, key, "must be greater than 0");
        }
      }
      if (m.method == "regex" && !item["pattern"]) error(item, "mask", "method regex needs a pattern");
      if (m.method == "round" && !item["step"]) error(item, "mask", "method round needs a step");
      rule.mask.push_back(std::move(m));
    }
  }

  void tags(const Node& v, Rule& rule) {
    std::vector<Node> items;
    if (!scalar_list(v, "tags", items)) return;
    for (const Node& item : items) {
      const std::string& t = item.Scalar();
      const auto colon = t.find(':');
      const std::string fw = t.substr(0, colon);
      if (colon == std::string::npos || colon + 1 == t.size() || !contains(kFrameworks, fw)) {
        error(item, "tags", "bad tag '" + t + "' (expected framework:control, framework one of " +
                                join(kFrameworks) + ")");
        continue;
      }
      rule.tags.push_back(t);
    }
  }

  void load_root(const Node& root) {
    if (!root.IsMap()) {
      if (root.IsNull()) {
        errors_.push_back(LoadError{source_, 0, 0, "empty rule file (expected a mapping with a 'rules' list)"});
      } else {
        error(root, "", "expected a mapping with a 'rules' list");
      }
      return;
    }
    check_keys(root, {"version", "rules"}, "");
    if (const Node version = root["version"]) {
      if (!version.IsScalar() || version.Scalar() != "1") error(version, "version", "only version 1 is supported");
    }
    const Node rules = root["rules"];
    if (!rules) {
      error(root, "", "missing 'rules' (a list of rules)");
      return;
    }
    if (rules.IsNull()) return;  // `rules:` with nothing: no rules
    if (!rules.IsSequence()) {
      error(rules, "rules", "expected a list of rules");
      return;
    }
    for (const Node& r : rules) load_rule(r);
  }

  void load_rule(const Node& n) {
    if (!n.IsMap()) {
      error(n, "rules", "each rule must be a mapping");
      return;
    }
    const std::size_t errors_before = errors_.size();
    check_keys(n, kRuleKeys, "rule");
    Rule rule;
    rule.file = source_;
    rule.line = n.Mark().is_null() ? 0 : n.Mark().line + 1;
    const Node id = n["id"];
    if (!id) {
      error(n, "id", "a rule needs an id");
    } else if (auto s = scalar(id, "id")) {
      if (!valid_rule_id(*s)) {
        error(id, "id", "bad rule id '" + *s + "' (letters, digits, _ . : - only)");
      } else {
        const std::string here = source_ + ":" + std::to_string(id.Mark().line + 1);
        auto [it, inserted] = state_.seen_ids.emplace(*s, here);
        if (!inserted) error(id, "id", "duplicate rule id '" + *s + "' (first defined at " + it->second + ")");
        rule.id = *s;
      }
    }
    if (const Node d = n["description"]) {
      if (auto s = scalar(d, "description")) rule.description = *s;
    }
    if (const Node m = n["mode"]) {
      if (auto s = scalar(m, "mode")) {
        if (*s == "enforce") rule.mode = RuleMode::enforce;
        else if (*s == "shadow") rule.mode = RuleMode::shadow;
        else error(m, "mode", "unknown mode '" + *s + "' (expected enforce or shadow)");
      }
    }
    RuleContext rc;
    CompiledRule cr;
    if (const Node w = n["when"]) conditions(w, 0, true, rc, cr.when);
    cr.rate = rc.rate;
    rule.phase = rc.response ? Phase::response : Phase::request;
    const Node effect = n["effect"];
    if (effect) {
      if (auto s = scalar(effect, "effect")) {
        if (*s == "allow") rule.effect = Effect::allow;
        else if (*s == "deny") rule.effect = Effect::deny;
        else error(effect, "effect", "unknown effect '" + *s + "' (expected allow or deny)");
      }
      if (rule.effect == Effect::allow && rule.phase == Phase::response)
        error(effect, "effect", "allow cannot apply after the response (the rule has response conditions); "
                                "use deny, alert, mask, audit or tags");
    }
    if (const Node m = n["message"]) {
      if (auto s = scalar(m, "message")) {
        if (rule.effect != Effect::deny) error(m, "message", "a message is only for effect: deny");
        rule.message = *s;
      }
    }
    if (rule.effect == Effect::deny && rule.message.empty()) rule.message = "Access denied by dynaudit rule " + rule.id;
    if (const Node a = n["alert"]) alert(a, rule);
    if (const Node m = n["mask"]) mask(m, rule);
    if (const Node u = n["unmask_groups"]) {
      std::vector<Node> items;
      if (scalar_list(u, "unmask_groups", items))
        for (const Node& item : items) rule.unmask_groups.push_back(item.Scalar());
    }
    if (const Node p = n["protect"]) protect(p, rule);
    if (const Node a = n["audit"]) {
      if (auto s = scalar(a, "audit")) {
        if (*s == "none") rule.audit_level = AuditLevel::none;
        else if (*s == "metadata") rule.audit_level = AuditLevel::metadata;
        else if (*s == "full") rule.audit_level = AuditLevel::full;
        else error(a, "audit", "unknown audit level '" + *s + "' (expected none, metadata or full)");
      }
    }
    if (const Node t = n["tags"]) tags(t, rule);
    if (!effect && !n["alert"] && !n["mask"] && !n["audit"] && !n["tags"])
      error(n, "rule", "rule does nothing (give at least one of effect, alert, mask, audit, tags)");
    if (errors_.size() != errors_before) return;
    if (rule.effect == Effect::deny) widen_to_unknown_operations(cr.when, true);
    if (rule.phase == Phase::response) out_.has_response_rules = true;
    out_.rules.push_back(std::move(rule));
    out_.compiled.push_back(std::move(cr));
  }

  // A deny on writes or admin calls, or on an operation by name, must not be
  // sidestepped by a target outside the catalog (another API version, an
  // operation dynaudit does not know) when such targets are forwarded: the
  // unknown call may be a write. Only conditions that hold positively are
  // widened; under `not` matching more would deny less.
  static void widen_to_unknown_operations(std::vector<Condition>& conditions, bool positive) {
    for (Condition& c : conditions) {
      switch (c.kind) {
        case CondKind::all:
        case CondKind::any: widen_to_unknown_operations(c.children, positive); break;
        case CondKind::not_: widen_to_unknown_operations(c.children, !positive); break;
        case CondKind::operation_class:
          if (positive && (c.classes & (kClassWrite | kClassAdmin))) c.classes |= kClassUnknown;
          break;
        case CondKind::operation:
          if (positive) c.operations_by_name = true;
          break;
        default: break;
      }
    }
  }

  const std::string& source_;
  RuleSnapshot::Compiled& out_;
  std::vector<LoadError>& errors_;
  LoadState& state_;
  std::size_t condition_count_ = 0;
};

}  // namespace

void load_rules_text(const std::string& text, const std::string& source, RuleSnapshot::Compiled& out,
                     std::vector<LoadError>& errors, LoadState& state) {
  FileLoader(source, out, errors, state).load(text);
}

SnapshotResult RuleSnapshot::load_text(const std::string& text, const std::string& source,
                                       const EngineSettings& settings) {
  auto compiled = std::make_unique<Compiled>();
  compiled->settings = settings;
  compiled->files.push_back(source);
  SnapshotResult result;
  LoadState state;
  load_rules_text(text, source, *compiled, result.errors, state);
  RuleFingerprint fingerprint;
  fingerprint.add(source, text);
  compiled->fingerprint = fingerprint.finish();
  if (result.errors.empty()) result.snapshot.reset(new RuleSnapshot(std::move(compiled)));
  return result;
}

SnapshotResult RuleSnapshot::load_files(const std::vector<std::string>& files, const EngineSettings& settings) {
  auto compiled = std::make_unique<Compiled>();
  compiled->settings = settings;
  compiled->files = files;
  SnapshotResult result;
  LoadState state;
  RuleFingerprint fingerprint;  // of the bytes compiled, not of the files as they are later
  for (const std::string& file : files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      result.errors.push_back(LoadError{file, 0, 0, std::string("cannot read rule file: ") + std::strerror(errno)});
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      result.errors.push_back(LoadError{file, 0, 0, "cannot read rule file: not a regular file"});
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      result.errors.push_back(LoadError{file, 0, 0, "cannot read rule file"});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      result.errors.push_back(LoadError{file, 0, 0, "cannot read rule file"});
      continue;
    }
    const std::string bytes = text.str();
    fingerprint.add(file, bytes);
    load_rules_text(bytes, file, *compiled, result.errors, state);
  }
  compiled->fingerprint = fingerprint.finish();
  if (result.errors.empty()) result.snapshot.reset(new RuleSnapshot(std::move(compiled)));
  return result;
}

}  // namespace dynaudit::rules
