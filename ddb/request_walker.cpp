// The request-body walk. A request is a tree of a few known shapes: the
// "item request" (TableName, Key, Item, expressions, their names) appears at
// the top level of GetItem/PutItem/UpdateItem/DeleteItem/Query/Scan, inside
// each TransactItems entry and inside each RequestItems table; batches and
// PartiQL add a few members around it. Every occurrence of a member is
// visited (JSON may repeat a key), so duplicate keys cannot hide a table.
#include "ddb/request_walker.hpp"

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression_paths.hpp"
#include "ddb/expression_uses.hpp"
#include "ddb/partiql_statement.hpp"
#include "ddb/table_reference.hpp"

namespace dynaudit::ddb {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::optional<std::string_view> string_of(element value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

std::optional<object> object_of(element value) {
  object members;
  if (value.get_object().get(members) != simdjson::SUCCESS) return std::nullopt;
  return members;
}

std::optional<array> array_of(element value) {
  array elements;
  if (value.get_array().get(elements) != simdjson::SUCCESS) return std::nullopt;
  return elements;
}

std::optional<long long> integer_of(element value) {
  std::int64_t number = 0;
  if (value.get_int64().get(number) != simdjson::SUCCESS) return std::nullopt;
  return static_cast<long long>(number);
}

std::optional<int> int_of(element value) {
  const auto number = integer_of(value);
  if (!number || *number < INT_MIN || *number > INT_MAX) return std::nullopt;
  return static_cast<int>(*number);
}

template <std::size_t N>
bool is_one_of(std::string_view name, const std::string_view (&names)[N]) {
  for (const std::string_view candidate : names) {
    if (name == candidate) return true;
  }
  return false;
}

// Members that name a table by name (or, since 2024, by ARN).
constexpr std::string_view kTableNameMembers[] = {
    "TableName", "SourceTableName", "TargetTableName", "GlobalTableName"};
// Members holding an ARN of a table or of something under it. Kinesis ARNs
// (EnableKinesisStreamingDestination's StreamArn) are not tables and are
// dropped by table_name_from_arn.
constexpr std::string_view kTableArnMembers[] = {
    "TableArn",  "SourceTableArn", "ResourceArn", "BackupArn",
    "StreamArn", "ExportArn",      "ImportArn",   "GlobalTableSourceArn"};
constexpr std::string_view kReadExpressionMembers[] = {
    "KeyConditionExpression", "FilterExpression", "ConditionExpression"};
// Legacy (pre-expression) parameters whose member names are attributes the
// condition reads.
constexpr std::string_view kLegacyConditionMembers[] = {"KeyConditions", "QueryFilter", "ScanFilter", "Expected"};

class RequestWalker {
 public:
  explicit RequestWalker(FactsBuilder& builder) : builder_(builder) {}

  RequestCounts walk_body(const object& body) {
    const ItemContext context = context_of(body, {});
    for (const auto field : body) {
      if (walk_item_member(field.key, field.value, context)) continue;
      walk_top_level_member(field.key, field.value);
    }
    const std::string_view operation = builder_.facts().operation;
    const bool item_read = operation == "GetItem" || operation == "Query" || operation == "Scan";
    note_whole_item_reads(context, item_read);
    return counts_;
  }

 private:
  // What members of one item request need from their siblings.
  struct ItemContext {
    std::string_view table;  // the table Key/Keys belong to
    ExpressionAttributeNames names;
    bool projected = false;       // ProjectionExpression or AttributesToGet present
    bool counts_only = false;     // Select: COUNT or SPECIFIC_ATTRIBUTES
    bool returns_item = false;    // ReturnValues ALL_OLD / ALL_NEW
  };

  // An item read without a projection returns every attribute; so does a
  // write asking for ALL_OLD/ALL_NEW.
  void note_whole_item_reads(const ItemContext& context, bool item_read) {
    if ((item_read && !context.projected && !context.counts_only) || context.returns_item) {
      builder_.facts().reads_all_attributes = true;
    }
  }

  ItemContext context_of(const object& request, std::string_view default_table) const {
    ItemContext context{default_table, {}};
    std::vector<NamePlaceholder> placeholders;
    for (const auto field : request) {
      if (field.key == "TableName") {
        // With a repeated TableName the last one is taken for keys, as a
        // last-wins JSON reader would; every one is still listed in tables.
        if (const auto name = string_of(field.value)) {
          context.table = table_name_from_name_or_arn(*name).value_or(std::string_view{});
        }
      } else if (field.key == "ProjectionExpression" || field.key == "AttributesToGet") {
        context.projected = true;
      } else if (field.key == "Select") {
        const auto select = string_of(field.value);
        context.counts_only = select && (*select == "COUNT" || *select == "SPECIFIC_ATTRIBUTES");
      } else if (field.key == "ReturnValues") {
        const auto values = string_of(field.value);
        context.returns_item = values && (*values == "ALL_OLD" || *values == "ALL_NEW");
      } else if (field.key == "ExpressionAttributeNames") {
        if (const auto names = object_of(field.value)) {
          for (const auto entry : *names) {
            if (const auto name = string_of(entry.value)) placeholders.push_back({entry.key, *name});
          }
        }
      }
    }
    context.names = ExpressionAttributeNames(std::move(placeholders));
    return context;
  }

  void walk_item_request(const object& request, std::string_view default_table, bool item_read = false) {
    const ItemContext context = context_of(request, default_table);
    for (const auto field : request) walk_item_member(field.key, field.value, context);
    note_whole_item_reads(context, item_read);
  }

  // Returns true when `name` is a member of the item-request shape.
  bool walk_item_member(std::string_view name, element value, const ItemContext& context) {
    if (is_one_of(name, kTableNameMembers)) {
      if (const auto text = string_of(value)) {
        if (const auto table = table_name_from_name_or_arn(*text)) builder_.add_table(*table);
      }
    } else if (is_one_of(name, kTableArnMembers)) {
      if (const auto text = string_of(value)) {
        if (const auto table = table_name_from_arn(*text)) builder_.add_table(*table);
      }
    } else if (name == "Key") {
      record_key(value, context.table, name);
    } else if (name == "Keys") {
      if (const auto keys = array_of(value)) {
        for (const element key : *keys) {
          record_key(key, context.table, name);
          ++counts_.batch_get_keys;
        }
      }
    } else if (name == "ExclusiveStartKey") {
      record_start_key(value, context.table);
    } else if (name == "Item") {
      if (const auto item = object_of(value)) {
        for (const auto attribute : *item) {
          builder_.add_attribute_written(attribute.key);
          builder_.add_use(attribute.key, UseKind::write, name, {}, context.table);
        }
      }
    } else if (name == "ProjectionExpression") {
      record_expression(value, name, ExpressionKind::projection, context);
    } else if (is_one_of(name, kReadExpressionMembers)) {
      record_expression(value, name, ExpressionKind::condition, context);
    } else if (name == "UpdateExpression") {
      record_expression(value, name, ExpressionKind::update, context);
    } else if (name == "AttributesToGet") {
      if (const auto attributes = array_of(value)) {
        for (const element attribute : *attributes) {
          if (const auto text = string_of(attribute)) {
            builder_.add_attribute_read(*text);
            builder_.add_use(*text, UseKind::read, name, {}, context.table);
          }
        }
      }
    } else if (is_one_of(name, kLegacyConditionMembers)) {
      if (const auto conditions = object_of(value)) {
        for (const auto condition : *conditions) {
          builder_.add_attribute_read(condition.key);
          if (builder_.collecting_uses()) record_legacy_condition_use(name, condition.key, condition.value, context);
        }
      }
    } else if (name == "AttributeUpdates") {
      if (const auto updates = object_of(value)) {
        for (const auto update : *updates) {
          builder_.add_attribute_written(update.key);
          builder_.add_use(update.key, UseKind::write, name, {}, context.table);
        }
      }
    } else {
      return false;
    }
    return true;
  }

  void walk_top_level_member(std::string_view name, element value) {
    RequestFacts& facts = builder_.facts();
    if (name == "RequestItems") {
      walk_request_items(value);
    } else if (name == "TransactItems") {
      walk_transact_items(value);
    } else if (name == "Statement") {
      if (const auto statement = string_of(value)) record_statement(*statement);
    } else if (name == "Statements" || name == "TransactStatements") {
      walk_statements(value);
    } else if (name == "TableCreationParameters") {  // ImportTable
      if (const auto parameters = object_of(value)) walk_item_request(*parameters, {});
    } else if (name == "ShardIterator") {
      // An iterator is opaque, and its text is the caller's to write: which
      // table it reads is what the proxy learned when it handed it out
      // (proxy/pipeline/stream_tables.hpp), so no table is taken from it here.
      if (const auto iterator = string_of(value)) facts.shard_iterator = std::string(*iterator);
    } else if (name == "IndexName") {
      if (const auto index = string_of(value); index && !facts.index_name) facts.index_name = std::string(*index);
    } else if (name == "Segment") {
      if (const auto segment = int_of(value)) facts.segment = segment;
    } else if (name == "TotalSegments") {
      if (const auto total = int_of(value)) facts.total_segments = total;
    } else if (name == "Limit") {
      if (const auto limit = integer_of(value)) facts.limit = limit;
    }
  }

  // BatchGetItem: {"T": {"Keys": [...], "ProjectionExpression": ...}}
  // BatchWriteItem: {"T": [{"PutRequest": {"Item": ...}}, {"DeleteRequest": {"Key": ...}}]}
  void walk_request_items(element value) {
    const auto tables = object_of(value);
    if (!tables) return;
    for (const auto entry : *tables) {
      const std::string_view table = table_name_from_name_or_arn(entry.key).value_or(std::string_view{});
      builder_.add_table(table);
      if (const auto get_request = object_of(entry.value)) {
        walk_item_request(*get_request, table, /*item_read=*/true);
      } else if (const auto write_requests = array_of(entry.value)) {
        for (const element request : *write_requests) {
          ++counts_.batch_write_requests;
          walk_wrapped_requests(request, table);
        }
      }
    }
  }

  // TransactItems: [{"Put": {...}}, {"Update": {...}}, {"ConditionCheck": {...}}, ...]
  void walk_transact_items(element value) {
    const auto items = array_of(value);
    if (!items) return;
    for (const element item : *items) {
      ++counts_.transact_items;
      walk_wrapped_requests(item, {});
    }
  }

  // {"PutRequest": {...}} or {"Get": {...}}: an object whose members are item requests.
  void walk_wrapped_requests(element wrapper, std::string_view default_table) {
    const auto requests = object_of(wrapper);
    if (!requests) return;
    for (const auto request : *requests) {
      // TransactGetItems wraps each read in "Get".
      if (const auto members = object_of(request.value)) walk_item_request(*members, default_table, request.key == "Get");
    }
  }

  // BatchExecuteStatement's Statements / ExecuteTransaction's TransactStatements.
  void walk_statements(element value) {
    const auto statements = array_of(value);
    if (!statements) return;
    for (const element entry : *statements) {
      ++counts_.statements;
      const auto members = object_of(entry);
      if (!members) continue;
      for (const auto field : *members) {
        if (field.key != "Statement") continue;
        if (const auto statement = string_of(field.value)) record_statement(*statement);
      }
    }
  }

  void record_statement(std::string_view statement) {
    RequestFacts& facts = builder_.facts();
    if (!facts.partiql_statement) facts.partiql_statement = std::string(statement);
    facts.partiql_statements.emplace_back(statement);
    // Every statement of a batch goes to `expressions` too, so that the audit
    // record shows all of them, not only the first.
    builder_.add_expression(statement);
    const PartiqlFacts partiql = scan_partiql_statement(statement);
    for (const PartiqlTableRef& ref : partiql.tables) {
      builder_.add_table(ref.table);
      if (ref.index && !facts.index_name) facts.index_name = ref.index;
    }
    for (const std::string& path : partiql.attributes_read) builder_.add_attribute_read(path);
    for (const std::string& path : partiql.attributes_written) builder_.add_attribute_written(path);
    if (partiql.selects_all) facts.reads_all_attributes = true;
    if (auto* uses = builder_.uses()) uses->insert(uses->end(), partiql.uses.begin(), partiql.uses.end());
  }

  void record_expression(element value, std::string_view member, ExpressionKind kind, const ItemContext& context) {
    const auto expression = string_of(value);
    if (!expression) return;
    builder_.add_expression(*expression);
    paths_.read.clear();
    paths_.written.clear();
    collect_expression_paths(kind, *expression, context.names, paths_);
    for (const std::string& path : paths_.read) builder_.add_attribute_read(path);
    for (const std::string& path : paths_.written) builder_.add_attribute_written(path);
    if (auto* uses = builder_.uses()) {
      ExpressionRole role = ExpressionRole::condition;
      if (kind == ExpressionKind::projection) role = ExpressionRole::projection;
      else if (kind == ExpressionKind::update) role = ExpressionRole::update;
      else if (member == "KeyConditionExpression") role = ExpressionRole::key_condition;
      collect_expression_uses(role, member, *expression, context.names, context.table, *uses);
    }
  }

  // Legacy conditions: {"attr": {"ComparisonOperator": "BEGINS_WITH",
  // "AttributeValueList": [...]}} or, in Expected, {"attr": {"Exists":
  // false}} / {"attr": {"Value": ...}}. EQ in KeyConditions is key equality
  // (DynamoDB allows only key attributes there); NULL, NOT_NULL and Exists:
  // false only test presence; anything else probes the value.
  void record_legacy_condition_use(std::string_view member, std::string_view attribute, element condition,
                                   const ItemContext& context) {
    std::string_view op;
    bool exists_false = false;
    bool has_value = false;
    if (const auto fields = object_of(condition)) {
      for (const auto field : *fields) {
        if (field.key == "ComparisonOperator") op = string_of(field.value).value_or(std::string_view{"?"});
        else if (field.key == "Exists") exists_false = field.value.is_bool() && !field.value.get_bool().value_unsafe();
        else if (field.key == "Value" || field.key == "AttributeValueList") has_value = true;
      }
    }
    UseKind kind = UseKind::compare;
    if (op.empty() && exists_false && !has_value) kind = UseKind::exists;
    else if (op.empty() && has_value) kind = UseKind::equality;  // Expected's Value: Exists true, equal
    else if (op == "NULL" || op == "NOT_NULL") kind = UseKind::exists;
    else if (op == "EQ") kind = member == "KeyConditions" ? UseKind::key_equality : UseKind::equality;
    else if (op == "NE") kind = UseKind::equality;
    else if (op == "BEGINS_WITH" || op == "CONTAINS" || op == "NOT_CONTAINS") kind = UseKind::function;
    builder_.add_use(attribute, kind, member, op, context.table);
  }

  // {"id": {"S": "42"}, "sk": {"N": "7"}}: scalar key attributes only; a key
  // cannot be a set, list or map. Naming a key is equality on it.
  void record_key(element value, std::string_view table, std::string_view member) {
    const auto attributes = object_of(value);
    if (!attributes) return;
    for (const auto attribute : *attributes) {
      builder_.add_use(attribute.key, UseKind::key_equality, member, {}, table);
      const auto typed = object_of(attribute.value);
      if (!typed) continue;
      for (const auto scalar : *typed) {
        if (scalar.key != "S" && scalar.key != "N" && scalar.key != "B") continue;
        if (const auto text = string_of(scalar.value)) builder_.add_key(table, attribute.key, scalar.key, *text);
      }
    }
  }

  // ExclusiveStartKey says where a page starts: with a clear value for a
  // masked sort key, the page boundary is a range probe of that value. The
  // proxy tells its own sealed tokens from values; the walker keeps the text.
  void record_start_key(element value, std::string_view table) {
    auto* uses = builder_.uses();
    const auto attributes = object_of(value);
    if (!uses || !attributes) return;
    for (const auto attribute : *attributes) {
      if (attribute.key.empty()) continue;  // names nothing, as in FactsBuilder::add_use
      AttributeUse use{std::string(attribute.key), UseKind::start_key, "ExclusiveStartKey", {}, std::string(table), {}};
      if (const auto typed = object_of(attribute.value)) {
        for (const auto scalar : *typed) {
          if (const auto text = string_of(scalar.value)) use.start_key_value = std::string(*text);
        }
      }
      uses->push_back(std::move(use));
    }
  }

  FactsBuilder& builder_;
  RequestCounts counts_;
  ExpressionPaths paths_;  // reused between expressions
};

}  // namespace

RequestCounts walk_request_body(const object& body, FactsBuilder& builder) {
  return RequestWalker(builder).walk_body(body);
}

}  // namespace dynaudit::ddb
