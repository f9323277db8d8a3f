// RequestFacts: what a DynamoDB call touches, read from its JSON body with
// simdjson. The rule engine, the audit record and the request log all work
// from these facts; extraction never throws and never copies the body.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/attribute_use.hpp"
#include "ddb/error_response.hpp"
#include "ddb/operation_catalog.hpp"

namespace dynaudit::ddb {

// One key attribute of one item named by the request (GetItem's Key, each
// key of a BatchGetItem, ...). `value` is the scalar as DynamoDB wrote it
// (numbers as their string form, binary as its base64 text).
struct KeyValue {
  std::string table;
  std::string attribute;
  std::string type;  // "S", "N" or "B"
  std::string value;
};

struct RequestFacts {
  std::string target;     // X-Amz-Target as sent
  std::string operation;  // the part after the dot; empty if none
  const OperationInfo* info = nullptr;  // nullptr for an unknown operation
  std::vector<std::string> tables;               // unique, in order of appearance
  std::vector<KeyValue> keys;
  std::vector<std::string> attributes_read;      // unique; nested paths as "a.b[0].c"
  std::vector<std::string> attributes_written;   // unique
  // True when some item read returns whole items: a GetItem, Query, Scan,
  // BatchGetItem table or TransactGetItems Get without a projection, a
  // PartiQL SELECT *, or ReturnValues ALL_OLD/ALL_NEW on a write. Rules on
  // attributes read then match every attribute.
  bool reads_all_attributes = false;
  std::vector<std::string> expressions;          // raw expression strings, for the audit record
  std::optional<std::string> partiql_statement;  // ExecuteStatement's Statement (first one for batches)
  // Every statement of the call, in order: batches and transactions carry
  // several, and a rule on statements must see each, not only the first.
  std::vector<std::string> partiql_statements;
  std::size_t item_count = 0;   // items written or keys read (batches: the total)
  std::size_t body_bytes = 0;
  std::optional<std::string> index_name;
  std::optional<int> segment;
  std::optional<int> total_segments;
  std::optional<long long> limit;
  // DynamoDB Streams GetRecords: the iterator as sent. Its table is what the
  // proxy learned when it handed the iterator out, never what its text says.
  std::optional<std::string> shard_iterator;
};

struct FactsResult {
  RequestFacts facts;
  std::optional<DdbError> error;  // SerializationException for malformed JSON
};

// Parses `body` (copied into a reused per-thread padded buffer, as simdjson
// needs padding). Never throws; a malformed body gives `error`.
FactsResult extract_request_facts(std::string_view x_amz_target, std::string_view body);

// How the request uses each attribute it names (attribute_use.hpp), for the
// masking check: a second walk of the body, paid only by calls a mask
// applies to. nullopt when the body cannot be analysed (malformed, out of
// memory): the caller must then refuse rather than assume no use.
std::optional<std::vector<AttributeUse>> extract_attribute_uses(std::string_view x_amz_target, std::string_view body);

}  // namespace dynaudit::ddb
