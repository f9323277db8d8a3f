// See audit_body.hpp. One visitor over the model's value members decides, per
// kind of member, what the record keeps.
#include "proxy/pipeline/audit_body.hpp"

#include <algorithm>
#include <optional>

#include "ddb/error_response.hpp"
#include "ddb/expression_sanitizer.hpp"
#include "ddb/value_member_walk.hpp"
#include "masking/response_masker.hpp"
#include "proxy/pipeline/audit_tokens.hpp"
#include "proxy/pipeline/audit_values.hpp"

namespace dynaudit::proxy {
namespace {

void append_string(std::string& out, std::string_view text) {
  out += '"';
  ddb::append_json_escaped(out, text);
  out += '"';
}

void add_rules(std::vector<std::string>& into, const std::vector<std::string>& rules) {
  for (const auto& rule : rules)
    if (std::find(into.begin(), into.end(), rule) == into.end()) into.push_back(rule);
}

// Writes a request body back (minified: the audit copy need not be
// byte-exact) with each value-carrying member of the service model
// (ddb/value_members.hpp) replaced by what the audit log may keep:
// - items, and the values of the legacy members (AttributeUpdates, Expected,
//   KeyConditions, QueryFilter, ScanFilter), through the plan under their
//   attribute's name;
// - values that cannot be tied to an attribute (:placeholders, PartiQL
//   parameters) hashed whenever the plan masks anything: any of them may
//   belong to a masked attribute;
// - always, plan or not: expressions reduced to names and placeholders,
//   PartiQL literals hashed (audit_values.hpp).
class AuditBodyRewriter : public ddb::ValueMemberVisitor {
 public:
  AuditBodyRewriter(const masking::MaskPlan& plan, const masking::MaskKeys& keys, AuditTokens& tokens,
                    AuditBody& result)
      : plan_(plan), keys_(keys), tokens_(tokens), result_(result) {}

  void visit(ddb::ValueKind kind, simdjson::dom::element value, std::string* out) override {
    if (out == nullptr) return;
    switch (kind) {
      case ddb::ValueKind::item: return write_item(value, *out);
      case ddb::ValueKind::attribute_updates:
      case ddb::ValueKind::expected:
      case ddb::ValueKind::conditions: return write_legacy(ddb::wrapper_of(kind), value, *out);
      case ddb::ValueKind::expression_values: return write_each_member(value, *out);
      case ddb::ValueKind::value_list: return write_each_element(value, *out);
      case ddb::ValueKind::value: return write_opaque(value, *out);
      case ddb::ValueKind::statement: return write_statement(value, *out);
      case ddb::ValueKind::expression: return write_expression(value, *out);
    }
  }

 private:
  bool masking() const { return !plan_.empty(); }

  void note_masked(const masking::MaskOutcome& masked) {
    result_.changed = true;
    add_rules(result_.rules, masked.rules);
  }

  // A value no attribute name ties to the plan: hashed when the plan masks
  // anything, kept otherwise.
  void write_opaque(simdjson::dom::element value, std::string& out) {
    if (!masking()) return ddb::append_json(out, value);
    out += tokens_.value(simdjson::minify(value));
    result_.changed = true;
  }

  void write_item(simdjson::dom::element item, std::string& out) {
    if (!masking()) return ddb::append_json(out, item);
    simdjson::dom::object object;
    if (item.get(object) != simdjson::SUCCESS) return write_opaque(item, out);  // not an item: DynamoDB refuses it
    const std::string text = simdjson::minify(item);
    const auto masked = masking::mask_item_json(text, plan_, keys_);
    if (!masked.error.empty()) return write_opaque(item, out);
    if (!masked.changed) {
      out += text;
      return;
    }
    note_masked(masked);
    out += masked.body;
  }

  // A value compared with, or written to, attribute `name`: masked as the
  // plan masks that attribute. If the plan names the attribute but its path
  // does not reach this value (a scalar compared by CONTAINS with a list
  // masked at cards[*].number), it is hashed: the plan's shape cannot say
  // which part of it is sensitive.
  void write_tied(std::string_view name, simdjson::dom::element value, std::string& out) {
    if (!masking()) return ddb::append_json(out, value);
    std::string item = "{";
    append_string(item, name);
    item += ':';
    item += simdjson::minify(value);
    item += '}';
    const auto masked = masking::mask_item_json(item, plan_, keys_);
    simdjson::dom::object object;
    if (masked.changed && masked.error.empty() &&
        parser_.parse(simdjson::padded_string(masked.body)).get(object) == simdjson::SUCCESS) {
      note_masked(masked);
      simdjson::dom::element kept;
      if (object[name].get(kept) == simdjson::SUCCESS) out += simdjson::minify(kept);
      else out += R"({"NULL":true})";  // the mask removes the attribute
      return;
    }
    const auto& names = plan_.top_level_names();
    if (!masked.error.empty() || std::find(names.begin(), names.end(), name) != names.end()) return write_opaque(value, out);
    ddb::append_json(out, value);
  }

  // {"<attribute>": {"Value": v, "AttributeValueList": [v, ...], "Action": ...}}
  void write_legacy(std::string_view wrapper, simdjson::dom::element map, std::string& out) {
    simdjson::dom::object attributes;
    if (map.get(attributes) != simdjson::SUCCESS) return write_opaque(map, out);
    out += '{';
    bool first = true;
    for (auto attribute : attributes) {
      if (!first) out += ',';
      first = false;
      append_string(out, attribute.key);
      out += ':';
      simdjson::dom::object members;
      if (attribute.value.get(members) != simdjson::SUCCESS) {
        write_tied(attribute.key, attribute.value, out);
        continue;
      }
      out += '{';
      bool first_member = true;
      for (auto member : members) {
        if (!first_member) out += ',';
        first_member = false;
        append_string(out, member.key);
        out += ':';
        const auto kind = wrapper_member_kind(wrapper, member.key);
        simdjson::dom::array list;
        if (kind == ddb::ValueKind::value_list && member.value.get(list) == simdjson::SUCCESS) {
          out += '[';
          bool first_element = true;
          for (auto element : list) {
            if (!first_element) out += ',';
            first_element = false;
            write_tied(attribute.key, element, out);
          }
          out += ']';
        } else if (kind) {
          write_tied(attribute.key, member.value, out);
        } else {
          ddb::append_json(out, member.value);  // Action, Exists, ComparisonOperator
        }
      }
      out += '}';
    }
    out += '}';
  }

  static std::optional<ddb::ValueKind> wrapper_member_kind(std::string_view wrapper, std::string_view member) {
    for (const auto& entry : ddb::wrapper_value_members())
      if (entry.wrapper == wrapper && entry.member == member) return entry.kind;
    return std::nullopt;
  }

  // {":placeholder": value, ...}
  void write_each_member(simdjson::dom::element map, std::string& out) {
    simdjson::dom::object members;
    if (map.get(members) != simdjson::SUCCESS) return write_opaque(map, out);
    out += '{';
    bool first = true;
    for (auto member : members) {
      if (!first) out += ',';
      first = false;
      append_string(out, member.key);
      out += ':';
      write_opaque(member.value, out);
    }
    out += '}';
  }

  void write_each_element(simdjson::dom::element list, std::string& out) {
    simdjson::dom::array elements;
    if (list.get(elements) != simdjson::SUCCESS) return write_opaque(list, out);
    out += '[';
    bool first = true;
    for (auto element : elements) {
      if (!first) out += ',';
      first = false;
      write_opaque(element, out);
    }
    out += ']';
  }

  void write_statement(simdjson::dom::element value, std::string& out) {
    std::string_view statement;
    if (value.get(statement) != simdjson::SUCCESS) return write_opaque(value, out);
    const std::string kept = audit_statement_text(statement, tokens_);
    if (kept != statement) result_.changed = true;
    append_string(out, kept);
  }

  void write_expression(simdjson::dom::element value, std::string& out) {
    std::string_view expression;
    if (value.get(expression) != simdjson::SUCCESS) return write_opaque(value, out);
    const auto sanitized = ddb::sanitize_expression(expression);
    if (sanitized.changed) result_.changed = true;
    append_string(out, sanitized.text);
  }

  const masking::MaskPlan& plan_;
  const masking::MaskKeys& keys_;
  AuditTokens& tokens_;
  AuditBody& result_;
  simdjson::dom::parser parser_;  // reads masked values back
};

}  // namespace

AuditBody audit_request_body(simdjson::dom::element body, const masking::MaskPlan& plan,
                             const masking::MaskKeys& keys) {
  AuditBody result;
  AuditTokens tokens(keys);
  AuditBodyRewriter rewriter(plan, keys, tokens, result);
  ddb::walk_value_members(body, rewriter, &result.json);
  return result;
}

}  // namespace dynaudit::proxy
