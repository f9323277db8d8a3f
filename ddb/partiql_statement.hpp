// What a DynamoDB PartiQL statement (ExecuteStatement, BatchExecuteStatement,
// ExecuteTransaction) touches: its table (and index), the attributes it reads
// and the attributes it writes. Best effort on any input, like the expression
// scanner: a statement DynamoDB would reject still yields what can be seen.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/attribute_use.hpp"

namespace dynaudit::ddb {

struct PartiqlTableRef {
  std::string table;                 // "Orders" (quotes removed)
  std::optional<std::string> index;  // FROM "Orders"."ByDate" → "ByDate"
};

struct PartiqlFacts {
  std::vector<PartiqlTableRef> tables;       // FROM / INTO / UPDATE targets, in order
  std::vector<std::string> attributes_read;  // SELECT list, WHERE/ORDER BY paths, SET operands
  std::vector<std::string> attributes_written;  // SET and REMOVE targets, INSERT's top-level names
  bool selects_all = false;  // SELECT * (every attribute is read)
  // How each path is used (attribute_use.hpp), member "PartiQL <clause>",
  // table the statement's first table. WHERE equality is `equality`: the
  // statement cannot say whether the attribute is a key.
  std::vector<AttributeUse> uses;
};

// Recognises SELECT … FROM t[.i] [WHERE …], INSERT INTO t VALUE {'a': …},
// UPDATE t SET a = … REMOVE b [WHERE …], DELETE FROM t [WHERE …] and
// EXISTS(SELECT …) in transactions. Table names may be bare or "quoted", or
// table ARNs (reduced to the name). Paths render as "a.b[0]"; a['k'] as "a.k".
PartiqlFacts scan_partiql_statement(std::string_view statement);

}  // namespace dynaudit::ddb
