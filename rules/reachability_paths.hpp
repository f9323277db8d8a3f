// The ways a caller can reach the same data through the DynamoDB and DynamoDB
// Streams APIs, grouped into families for the reachability lint
// (reachability_lint.hpp). Internal to rules/; the reasoning is in the .cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynaudit::rules::reach {

// One concrete call the lint asks the rules about: an operation (an index
// into ddb::all_operations()) and, for the PartiQL operations, the statement.
struct ProbeCall {
  std::size_t operation = 0;
  std::string statement;  // empty for the operations that take none
};

enum class Closing : std::uint8_t {
  every_call,  // the calls are variants of one route: it is closed when every one is denied
  any_call,    // the calls are steps of one route: denying any one closes it
};

// One route to the family's data.
struct AccessPath {
  std::string label;  // "Scan", "ExecuteStatement (PartiQL SELECT without a key condition)"
  // Within a family, a route at a higher level can do what every route at a
  // lower level does (a Scan returns any item a GetItem would), not the other
  // way round. A deny at level L is got round by an open route at level >= L.
  int level = 1;
  Closing closing = Closing::every_call;
  // PartiQL routes never make a rule count as denying the family: blocking
  // PartiQL is usually a choice of API, and `operation_class: write` blocks
  // PartiQL SELECTs as a side effect. They must still be covered.
  bool triggers = true;
  std::vector<ProbeCall> calls;
};

enum class FamilyKind : std::uint8_t { item_reads, item_writes, table_destruction };

struct PathFamily {
  FamilyKind kind;
  std::string_view reach;  // completes "... which <reach>": "read the same items"
  std::vector<AccessPath> paths;
};

// Every family. `table` is the table name put into the PartiQL statements (a
// name the rule under study would match, so a `partiql` glob that names the
// table is judged fairly).
std::vector<PathFamily> path_families(std::string_view table);

}  // namespace dynaudit::rules::reach
