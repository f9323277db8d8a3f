// The compiled form of a rule set: condition trees with every pattern,
// address, path and zone prepared at load, so evaluation only compares.
// Internal to rules/ (rule_loader.cpp builds it, rule_snapshot.cpp walks it).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/glob.hpp"
#include "rules/rule_snapshot.hpp"
#include "rules/time_zone.hpp"

namespace dynaudit::rules {

enum class CondKind : std::uint8_t {
  all, any, not_,
  operation, operation_class, table, principal, group, authenticated, source_ip, tls,
  attributes_read, attributes_written, attributes, key, item_count, request_bytes, partiql, time,
  // response phase
  status, error_type, returned_items, consumed_capacity, response_bytes,
};

enum class CompareOp : std::uint8_t { gt, gte, lt, lte, eq };
struct NumCompare {
  CompareOp op;
  double value;
};

// One segment of an attribute path: a name, or an index (`any_index` for [*]).
struct PathSegment {
  std::string name;
  std::int64_t index = 0;
  bool is_index = false;
  bool any_index = false;
};
using AttributePath = std::vector<PathSegment>;

struct Cidr {
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 128;
};

// kClassUnknown: a target outside the catalog, which reaches rules only when
// upstream.forward_unknown_operations is on.
enum OpClassBit : std::uint8_t {
  kClassRead = 1,
  kClassWrite = 2,
  kClassAdmin = 4,
  kClassScanLike = 8,
  kClassUnknown = 16,
};

struct TimeWindow {
  std::uint8_t days = 0x7F;  // bit 0 = Sunday ... bit 6 = Saturday
  int start_minute = 0;      // inclusive
  int end_minute = 1440;     // exclusive; end < start wraps over midnight
  TimeZone zone = TimeZone::utc();
};

struct Condition {
  CondKind kind = CondKind::all;
  std::vector<Condition> children;          // all / any / not (not: all of children, negated)
  std::vector<Glob> globs;                  // table, principal, partiql, key.table (one)
  std::vector<Glob> except_globs;           // partiql {match, except}: a statement must match none
  std::vector<std::string> names;           // group, error_type, key equals
  std::vector<bool> operations;             // indexed like ddb::all_operations()
  // operation: also match an unknown target whose name after the dot is one
  // of `operations` (DynamoDB_20111205.DeleteTable for DeleteTable). Set on
  // deny rules only, where matching more is the safe side.
  bool operations_by_name = false;
  std::uint8_t classes = 0;                 // OpClassBit
  bool flag = false;                        // authenticated, tls
  std::vector<Cidr> cidrs;
  std::vector<AttributePath> paths;
  std::vector<NumCompare> compares;
  std::vector<unsigned> statuses;           // status as a list of codes
  std::string key_attribute;
  std::string key_prefix;
  bool key_has_prefix = false;
  bool key_has_table = false;
  std::shared_ptr<const TimeWindow> time;
};

enum class RateBy : std::uint8_t { principal, table, principal_and_table };
struct RateSpec {
  bool items = false;  // count items rather than calls
  std::uint64_t limit = 0;
  std::chrono::seconds per{60};
  RateBy by = RateBy::principal;
};

struct CompiledRule {
  std::vector<Condition> when;  // all must hold
  std::optional<RateSpec> rate;
};

struct RuleSnapshot::Compiled {
  std::vector<Rule> rules;
  std::vector<CompiledRule> compiled;  // parallel to rules
  EngineSettings settings;
  std::vector<std::string> files;
  std::string fingerprint;  // rule_fingerprint.hpp
  bool has_response_rules = false;
};

// What loading several files shares: where each rule id was first defined.
struct LoadState {
  std::unordered_map<std::string, std::string> seen_ids;  // id -> "file:line"
};

// Builds the compiled rules of one file's text into `out`, appending errors.
void load_rules_text(const std::string& text, const std::string& source, RuleSnapshot::Compiled& out,
                     std::vector<LoadError>& errors, LoadState& state);

// Matches a rule's attribute path against a fact path ("a.b[0].c").
bool attribute_path_matches(const AttributePath& rule_path, std::string_view fact_path);
// Parses "a.b[0].c" / "a[*].b"; false for any other form.
bool parse_attribute_path(std::string_view text, AttributePath& out);

}  // namespace dynaudit::rules
