// The route families of the reachability lint, worked out from the operation
// catalog (ddb/operation_catalog.cpp) and DynamoDB's API reference. Each
// comment says why a route belongs where it is; docs/rules.md has the table.
#include "rules/reachability_paths.hpp"

#include <stdexcept>

#include "ddb/operation_catalog.hpp"

namespace dynaudit::rules::reach {
namespace {

std::size_t op(std::string_view name) {
  const auto ops = ddb::all_operations();
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].name == name) return i;
  // Only reachable if the catalog loses an operation named below, which the
  // unit tests would catch at once.
  throw std::logic_error("reachability_paths: operation not in the catalog: " + std::string(name));
}

AccessPath path(std::string label, int level, std::vector<ProbeCall> calls) {
  AccessPath p;
  p.label = std::move(label);
  p.level = level;
  p.calls = std::move(calls);
  return p;
}

// One route per operation, without a statement.
AccessPath plain(std::string_view name, int level) { return path(std::string(name), level, {{op(name), {}}}); }

// A PartiQL operation run with each of `statements`: one route, closed only
// when every statement is denied (a rule that refuses `SELECT *` but not
// `SELECT "a"` leaves the route open).
AccessPath partiql(std::string_view name, std::string_view what, int level, const std::vector<std::string>& statements) {
  AccessPath p = path(std::string(name) + " (" + std::string(what) + ")", level, {});
  p.triggers = false;
  for (const std::string& s : statements) p.calls.push_back({op(name), s});
  return p;
}

// Reading items. Levels by what the caller must know:
//   1  the whole key of each item;
//   2  a partition key value;
//   3  nothing: the whole table, through the proxy;
//   4  nothing: a copy of the whole table lands where these rules never look.
// A route can do the job of every route at a lower level (Query with the
// whole key returns what GetItem does; a Scan with a filter on the key, too),
// so a deny at level L must be matched by denies of every route at L and up.
PathFamily reads(const std::string& t) {
  const std::string key = " WHERE \"pk\" = ? AND \"sk\" = ?";
  const std::string partition = " WHERE \"pk\" = ?";
  const std::vector<std::string> by_key = {"SELECT * FROM " + t + key, "SELECT \"a\" FROM " + t + key};
  PathFamily f;
  f.kind = FamilyKind::item_reads;
  f.reach = "read the same items";
  f.paths = {
      plain("GetItem", 1),
      plain("BatchGetItem", 1),
      plain("TransactGetItems", 1),
      // DynamoDB runs a SELECT whose WHERE pins the whole key as a GetItem.
      partiql("ExecuteStatement", "PartiQL SELECT by key", 1, by_key),
      // Each read statement of a BatchExecuteStatement must name the whole
      // key (API reference), so these are key reads and nothing more.
      partiql("BatchExecuteStatement", "PartiQL SELECT", 1, by_key),
      // Transactional reads are item reads like TransactGetItems.
      partiql("ExecuteTransaction", "PartiQL SELECT", 1, by_key),
      // Query needs a partition key value and returns its whole item
      // collection (or, through a secondary index, every item sharing an
      // index key). Kept below whole-table reads: a table's partition key
      // usually has too many values to enumerate.
      plain("Query", 2),
      partiql("ExecuteStatement", "PartiQL SELECT by partition key", 2,
              {"SELECT * FROM " + t + partition, "SELECT \"a\" FROM " + t + partition}),
      plain("Scan", 3),
      // A SELECT whose WHERE pins no partition key is run as a Scan, with or
      // without a filter; a projection reads the same items.
      partiql("ExecuteStatement", "PartiQL SELECT without a key condition", 3,
              {"SELECT * FROM " + t, "SELECT \"a\" FROM " + t, "SELECT * FROM " + t + " WHERE \"a\" > ?"}),
      // A stream carries every item written, with its images, for 24 hours.
      // Reading it takes both calls, so denying either closes the route. (A
      // GetRecords request names no table: a `table` condition never holds
      // for it, so a table-scoped deny must name GetShardIterator.)
      [] {
        AccessPath p = path("GetShardIterator/GetRecords (DynamoDB Streams)", 3,
                            {{op("GetShardIterator"), {}}, {op("GetRecords"), {}}});
        p.closing = Closing::any_call;
        return p;
      }(),
      // A full copy of the table into S3.
      plain("ExportTableToPointInTime", 4),
      // Every change from now on, into a Kinesis data stream.
      plain("EnableKinesisStreamingDestination", 4),
      // A new table holding the old data, under a name the caller picks:
      // rules on the old name (denies and masks alike) do not see it.
      // CreateBackup is left out: a backup cannot be read until restored.
      plain("RestoreTableFromBackup", 4),
      plain("RestoreTableToPointInTime", 4),
  };
  return f;
}

// Writing items: every route can create, change or replace (and so destroy
// the content of) any item it names, so one level. PutItem overwrites what
// DeleteItem would remove, UpdateItem creates what PutItem would, and the
// batch, transaction and PartiQL forms do the same per item. ImportTable is
// not here: it only creates a new table, never writes into one that exists.
PathFamily writes(const std::string& t) {
  PathFamily f;
  f.kind = FamilyKind::item_writes;
  f.reach = "change the same items";
  f.paths = {plain("PutItem", 1), plain("UpdateItem", 1), plain("DeleteItem", 1), plain("BatchWriteItem", 1),
             plain("TransactWriteItems", 1)};
  const std::pair<std::string_view, std::string> statements[] = {
      {"PartiQL INSERT", "INSERT INTO " + t + " VALUE {'pk': ?, 'a': ?}"},
      {"PartiQL UPDATE", "UPDATE " + t + " SET \"a\" = ? WHERE \"pk\" = ?"},
      {"PartiQL DELETE", "DELETE FROM " + t + " WHERE \"pk\" = ?"},
  };
  for (std::string_view name : {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})
    for (const auto& [what, statement] : statements) f.paths.push_back(partiql(name, what, 1, {statement}));
  return f;
}

// Destroying a table's data wholesale. DeleteTable at once; UpdateTimeToLive
// within days, by naming as the TTL attribute one whose values are past
// epoch times (DynamoDB then deletes every such item). Deleting items one by
// one is a write and is not counted here.
PathFamily destruction() {
  PathFamily f;
  f.kind = FamilyKind::table_destruction;
  f.reach = "destroy the same table's data";
  f.paths = {plain("DeleteTable", 1), plain("UpdateTimeToLive", 1)};
  return f;
}

}  // namespace

std::vector<PathFamily> path_families(std::string_view table) {
  const std::string t = "\"" + std::string(table) + "\"";
  return {reads(t), writes(t), destruction()};
}

}  // namespace dynaudit::rules::reach
