// The fleet module's parts that need no DynamoDB: the central table's keys
// and items (fleet_table), BatchWriteItem's UnprocessedItems, the shipping
// cursor and the private files it lives in, signed central rule sets,
// reading CloudTrail files (plain and gzip), DynamoDB-JSON item and Query
// answer reading, and DynamoDB error types. Last, the client, BatchWriter
// and run_query against a scripted HTTP server on 127.0.0.1 (an ephemeral
// port): retries of unprocessed items, throttling backoff, and paging.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fleet/batch_writer.hpp"
#include "fleet/cloudtrail_import.hpp"
#include "fleet/dynamodb_client.hpp"
#include "fleet/fleet_table.hpp"
#include "fleet/item_reader.hpp"
#include "fleet/private_file.hpp"
#include "fleet/rule_set.hpp"
#include "fleet/ship_cursor.hpp"
#include "fleet/table_query.hpp"
#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"

using namespace dynaudit;
using namespace dynaudit::fleet;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// 2026-12-07T00:00:00Z and the next midnight, in unix ms (date -u -d ... +%s).
constexpr std::int64_t kDec7 = 1796601600LL * 1000;
constexpr std::int64_t kDec8 = 1796688000LL * 1000;
constexpr std::int64_t kDay = 86'400'000;

// A fresh private folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "dynaudit-fleet-XXXXXX").string();
    REQUIRE(::mkdtemp(name.data()) != nullptr);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Parsed JSON that the test reads with simdjson, independently of fleet's
// own ItemReader. Not movable: elements point into the parser.
class Json {
 public:
  explicit Json(std::string_view text) : text_(text) {
    ok_ = !parser_.parse(text_).get(root_);
  }
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;
  bool ok() const { return ok_; }
  simdjson::dom::element root() const { return root_; }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

// A DynamoDB-JSON attribute of an item: the S or N text, or "<absent>".
std::string attr(simdjson::dom::element item, std::string_view name, std::string_view type = "S") {
  std::string_view value;
  if (item[name][type].get_string().get(value)) return "<absent>";
  return std::string(value);
}

bool has(simdjson::dom::element item, std::string_view name) {
  simdjson::dom::element ignored;
  return !item[name].get(ignored);
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Files beside `path` named like its temporaries ("<name>.tmp…").
int leftover_temporaries(const std::string& path) {
  const fs::path p(path);
  int found = 0;
  for (const auto& entry : fs::directory_iterator(p.parent_path()))
    if (entry.path().filename().string().rfind(p.filename().string() + ".tmp", 0) == 0) ++found;
  return found;
}

storage::AuditEvent sample_record() {
  storage::AuditEvent record;
  record.event_id = "6f1c7c1e-0000-4000-8000-000000000042";
  record.event_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(kDec7 + 10 * 3'600'000 + 123));
  record.event_name = "GetItem";
  record.aws_region = "eu-west-1";
  record.user_identity.type = "IAMUser";
  record.user_identity.principal_id = "alice";
  record.user_identity.access_key_id = "AKIDALICE";
  record.request_parameters_json = R"({"tableName":"Orders","key":{"id":"say \"hi\"\n"}})";
  record.request_id = "REQ-42";
  record.tables = {"Orders"};
  record.sequence = 42;
  record.previous_hash = std::string(64, 'a');
  record.hash = std::string(64, 'b');
  return record;
}

}  // namespace

// ---------------------------------------------------------------------------
// fleet_table: keys

TEST_CASE("day_of: the UTC day of a unix-ms time, also just before midnight") {
  CHECK(day_of(0) == "1970-01-01");
  CHECK(day_of(kDec7) == "2026-12-07");
  CHECK(day_of(kDec7 + 10 * 3'600'000 + 123) == "2026-12-07");
  CHECK(day_of(kDec8 - 1) == "2026-12-07");  // 23:59:59.999
  CHECK(day_of(kDec8) == "2026-12-08");
}

TEST_CASE("day_of: times before 1970 fall on the day they belong to, not the next") {
  CHECK(day_of(-1) == "1969-12-31");       // 23:59:59.999 the day before
  CHECK(day_of(-999) == "1969-12-31");
  CHECK(day_of(-1000) == "1969-12-31");
  CHECK(day_of(-kDay) == "1969-12-31");    // midnight opening that day
  CHECK(day_of(-kDay - 1) == "1969-12-30");
}

TEST_CASE("padded: 20 digits, so that string order is numeric order") {
  CHECK(padded(0) == "00000000000000000000");
  CHECK(padded(42) == "00000000000000000042");
  CHECK(padded(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  const std::vector<std::uint64_t> numbers{0, 1, 9, 10, 99, 100, 123456789, 1234567890, 999999999999ULL,
                                           std::numeric_limits<std::uint64_t>::max() - 1,
                                           std::numeric_limits<std::uint64_t>::max()};
  for (const auto a : numbers) {
    CHECK(padded(a).size() == 20);
    for (const auto b : numbers) CHECK((padded(a) < padded(b)) == (a < b));
  }
}

TEST_CASE("record and checkpoint partitions name the proxy (and the day)") {
  CHECK(record_partition("proxy-a", "2026-12-07") == "R#proxy-a#2026-12-07");
  CHECK(checkpoint_partition("proxy-a") == "C#proxy-a");
  CHECK(record_partition("proxy-a", "2026-12-07") != record_partition("proxy-b", "2026-12-07"));
}

TEST_CASE("time_sort_key: ISO UTC time with milliseconds, then proxy and padded sequence") {
  CHECK(time_sort_key(kDec7 + 10 * 3'600'000 + 123, "p1", 42) ==
        "2026-12-07T10:00:00.123Z#p1#00000000000000000042");
  CHECK(time_sort_key(kDec8 - 1, "p1", 7) == "2026-12-07T23:59:59.999Z#p1#00000000000000000007");
  CHECK(time_sort_key(5, "p", 1) == "1970-01-01T00:00:00.005Z#p#00000000000000000001");
  // String order follows time, then proxy, then sequence.
  CHECK(time_sort_key(kDec7 + 999, "z", 9) < time_sort_key(kDec7 + 1000, "a", 1));
  CHECK(time_sort_key(kDec7, "a", 99) < time_sort_key(kDec7, "b", 1));
  CHECK(time_sort_key(kDec7, "a", 9) < time_sort_key(kDec7, "a", 10));
}

// It floors as day_of does, so a time before 1970 gets its own second and
// a millisecond field from 0 to 999.
TEST_CASE("time_sort_key: a time before 1970 is the instant it names") {
  CHECK(time_sort_key(-1, "p", 1) == "1969-12-31T23:59:59.999Z#p#00000000000000000001");
  CHECK(time_sort_key(-1500, "p", 1) == "1969-12-31T23:59:58.500Z#p#00000000000000000001");
}

// ---------------------------------------------------------------------------
// fleet_table: items

TEST_CASE("record_item: valid DynamoDB JSON keyed by proxy, day and sequence, with the record's facts") {
  const auto record = sample_record();
  const std::string text = storage::to_json(record);
  const std::string item_text = record_item("proxy-a", "2026-12-07", record, text, 1'900'000'000);
  const Json item(item_text);
  REQUIRE(item.ok());
  const auto root = item.root();
  // Every attribute is DynamoDB JSON: an object with one typed value.
  simdjson::dom::object attributes;
  REQUIRE_FALSE(root.get_object().get(attributes));
  for (auto field : attributes) {
    simdjson::dom::object typed;
    REQUIRE_FALSE(field.value.get_object().get(typed));
    CHECK(typed.size() == 1);
    const std::string_view type = (*typed.begin()).key;
    CHECK((type == "S" || type == "N" || type == "BOOL"));
  }
  CHECK(attr(root, "pk") == "R#proxy-a#2026-12-07");
  CHECK(attr(root, "sk") == "00000000000000000042");
  CHECK(attr(root, "proxy") == "proxy-a");
  CHECK(attr(root, "seq", "N") == "42");
  CHECK(attr(root, "eid") == record.event_id);
  CHECK(attr(root, "et", "N") == std::to_string(unix_ms(record.event_time)));
  CHECK(attr(root, "ts") == "2026-12-07T10:00:00.123Z#proxy-a#00000000000000000042");
  CHECK(attr(root, "hash") == record.hash);
  CHECK(attr(root, "prev") == record.previous_hash);
  CHECK(attr(root, "gp") == "alice");
  CHECK(attr(root, "gtb") == "Orders");
  CHECK(attr(root, "rid") == "REQ-42");
  CHECK(attr(root, "rec") == text);  // quotes and escapes in the record survive
  CHECK(attr(root, "exp", "N") == "1900000000");
  CHECK_FALSE(has(root, "big"));
}

TEST_CASE("record_item: empty optional facts leave their attributes out (index keys must not be empty)") {
  auto record = sample_record();
  record.sequence = 1;
  record.previous_hash.clear();
  record.user_identity.principal_id.clear();
  record.tables = {""};
  record.request_id.clear();
  const Json item(record_item("p", "2026-12-07", record, storage::to_json(record), 0));
  REQUIRE(item.ok());
  CHECK(attr(item.root(), "sk") == "00000000000000000001");
  CHECK_FALSE(has(item.root(), "prev"));
  CHECK_FALSE(has(item.root(), "gp"));
  CHECK_FALSE(has(item.root(), "gtb"));
  CHECK_FALSE(has(item.root(), "rid"));
  CHECK_FALSE(has(item.root(), "exp"));  // no retention: no TTL
  CHECK(has(item.root(), "rec"));
}

TEST_CASE("record_item: a record text over kMaxRecordText travels without rec, marked big, hashes kept") {
  const auto record = sample_record();
  SECTION("one byte over the limit") {
    const std::string text(kMaxRecordText + 1, 'x');
    const Json item(record_item("p", "2026-12-07", record, text, 0));
    REQUIRE(item.ok());
    CHECK_FALSE(has(item.root(), "rec"));
    bool big = false;
    CHECK_FALSE(item.root()["big"]["BOOL"].get_bool().get(big));
    CHECK(big);
    CHECK(attr(item.root(), "hash") == record.hash);
    CHECK(attr(item.root(), "prev") == record.previous_hash);
  }
  SECTION("exactly at the limit still carries the text") {
    const std::string text(kMaxRecordText, 'x');
    const Json item(record_item("p", "2026-12-07", record, text, 0));
    REQUIRE(item.ok());
    CHECK(attr(item.root(), "rec").size() == kMaxRecordText);
    CHECK_FALSE(has(item.root(), "big"));
  }
}

TEST_CASE("checkpoint_item: keyed by proxy and number, carrying a value parse_checkpoint reads back") {
  storage::Checkpoint checkpoint;
  checkpoint.number = 7;
  checkpoint.time_ms = kDec7;
  checkpoint.last_sequence = 420;
  checkpoint.last_hash = std::string(64, 'c');
  checkpoint.record_count = 12;
  const Json item(checkpoint_item("proxy-a", checkpoint, 0));
  REQUIRE(item.ok());
  CHECK(attr(item.root(), "pk") == "C#proxy-a");
  CHECK(attr(item.root(), "sk") == "00000000000000000007");
  CHECK(attr(item.root(), "last", "N") == "420");
  const auto back = storage::parse_checkpoint(attr(item.root(), "cp"));
  REQUIRE(back);
  CHECK(back->number == 7);
  CHECK(back->last_sequence == 420);
  CHECK(back->last_hash == checkpoint.last_hash);
  CHECK(back->record_count == 12);
}

TEST_CASE("create_table_request: JSON with pk/sk keys, on-demand billing and the three indexes") {
  const Json request(create_table_request("fleet-audit"));
  REQUIRE(request.ok());
  const auto root = request.root();
  std::string_view text;
  REQUIRE_FALSE(root["TableName"].get_string().get(text));
  CHECK(text == "fleet-audit");
  REQUIRE_FALSE(root["BillingMode"].get_string().get(text));
  CHECK(text == "PAY_PER_REQUEST");

  // "name:TYPE,..." of a KeySchema, and every attribute a schema names.
  std::vector<std::string> used;
  const auto schema = [&](simdjson::dom::element keys) {
    std::string out;
    for (auto key : keys.get_array()) {
      const std::string name(key["AttributeName"].get_string().value());
      used.push_back(name);
      out += (out.empty() ? "" : ",") + name + ":" + std::string(key["KeyType"].get_string().value());
    }
    return out;
  };
  CHECK(schema(root["KeySchema"]) == "pk:HASH,sk:RANGE");

  simdjson::dom::array indexes;
  REQUIRE_FALSE(root["GlobalSecondaryIndexes"].get_array().get(indexes));
  REQUIRE(indexes.size() == 3);
  std::vector<std::string> seen;
  for (auto index : indexes) {
    const std::string name(index["IndexName"].get_string().value());
    const std::string keys = schema(index["KeySchema"]);
    const std::string projection(index["Projection"]["ProjectionType"].get_string().value());
    seen.push_back(name + " " + keys + " " + projection);
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{std::string(kIndexByPrincipal) + " gp:HASH,ts:RANGE ALL",
                                         std::string(kIndexByRequest) + " rid:HASH KEYS_ONLY",
                                         std::string(kIndexByTable) + " gtb:HASH,ts:RANGE ALL"});

  // DynamoDB refuses a definition no key uses, and a key with no definition.
  std::vector<std::string> defined;
  for (auto definition : root["AttributeDefinitions"].get_array()) {
    defined.push_back(std::string(definition["AttributeName"].get_string().value()));
    CHECK(definition["AttributeType"].get_string().value() == "S");
  }
  std::sort(defined.begin(), defined.end());
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  CHECK(defined == used);
}

// ---------------------------------------------------------------------------
// batch_writer: UnprocessedItems

TEST_CASE("unprocessed_items: an answer without UnprocessedItems for the table means all was written") {
  std::vector<std::string> items{"stale"};
  CHECK(unprocessed_items("{}", "fleet", items));
  CHECK(items.empty());
  items = {"stale"};
  CHECK(unprocessed_items(R"({"UnprocessedItems":{}})", "fleet", items));
  CHECK(items.empty());
  CHECK(unprocessed_items(
      R"({"UnprocessedItems":{"other":[{"PutRequest":{"Item":{"pk":{"S":"x"},"sk":{"S":"y"}}}}]}})", "fleet", items));
  CHECK(items.empty());
}

TEST_CASE("unprocessed_items: the table's items come back as JSON text with the same attributes") {
  const std::string answer = R"({"UnprocessedItems":{"fleet":[)"
                             R"({"PutRequest":{"Item":{"pk":{"S":"R#p#2026-12-07"},"sk":{"S":"00000000000000000001"},"seq":{"N":"1"},"rec":{"S":"{\"a\":\"b\"}"}}}},)"
                             R"({"PutRequest":{"Item":{"pk":{"S":"R#p#2026-12-07"},"sk":{"S":"00000000000000000002"},"big":{"BOOL":true}}}}],)"
                             R"("other":[{"PutRequest":{"Item":{"pk":{"S":"elsewhere"}}}}]}})";
  std::vector<std::string> items;
  REQUIRE(unprocessed_items(answer, "fleet", items));
  REQUIRE(items.size() == 2);
  const Json first(items[0]);
  const Json second(items[1]);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(attr(first.root(), "pk") == "R#p#2026-12-07");
  CHECK(attr(first.root(), "sk") == "00000000000000000001");
  CHECK(attr(first.root(), "seq", "N") == "1");
  CHECK(attr(first.root(), "rec") == R"({"a":"b"})");
  CHECK(attr(second.root(), "sk") == "00000000000000000002");
  bool big = false;
  CHECK_FALSE(second.root()["big"]["BOOL"].get_bool().get(big));
  CHECK(big);
}

TEST_CASE("unprocessed_items: an answer that does not parse, or a request that is not a put, is an error") {
  std::vector<std::string> items;
  CHECK_FALSE(unprocessed_items("<html>Service Unavailable</html>", "fleet", items));
  CHECK_FALSE(unprocessed_items("", "fleet", items));
  CHECK_FALSE(unprocessed_items(R"({"UnprocessedItems":{"fleet":[{"DeleteRequest":{"Key":{}}}]}})", "fleet", items));
}

// ---------------------------------------------------------------------------
// ship_cursor and private_file

TEST_CASE("ship cursor: what is saved loads back, every field") {
  TempDir dir;
  const std::string path = dir.file("ship.cursor");
  ShipCursor cursor;
  cursor.sequence = 18'000'000'000'000'000'001ULL;  // above 2^63
  cursor.hash = std::string(64, 'e');
  cursor.day = "2026-12-08";
  cursor.first_day = "2026-01-31";
  cursor.checkpoint_number = 77;
  cursor.checkpoint_sequence = 1234;
  std::string error;
  REQUIRE(save_cursor(path, cursor, error));
  ShipCursor loaded;
  loaded.sequence = 5;  // load starts from a fresh cursor
  REQUIRE(load_cursor(path, loaded, error));
  CHECK(loaded.sequence == cursor.sequence);
  CHECK(loaded.hash == cursor.hash);
  CHECK(loaded.day == cursor.day);
  CHECK(loaded.first_day == cursor.first_day);
  CHECK(loaded.checkpoint_number == cursor.checkpoint_number);
  CHECK(loaded.checkpoint_sequence == cursor.checkpoint_sequence);
  CHECK(leftover_temporaries(path) == 0);
}

TEST_CASE("ship cursor: a missing file is a fresh cursor") {
  TempDir dir;
  ShipCursor loaded;
  loaded.sequence = 9;
  loaded.hash = "left over";
  std::string error = "left over";
  REQUIRE(load_cursor(dir.file("never-written"), loaded, error));
  CHECK(error.empty());
  CHECK(loaded.sequence == 0);
  CHECK(loaded.hash.empty());
  CHECK(loaded.day.empty());
  CHECK(loaded.checkpoint_number == 0);
}

TEST_CASE("ship cursor: a damaged file is an error that says so, not a fresh start") {
  TempDir dir;
  const std::string path = dir.file("ship.cursor");
  const auto text = GENERATE(as<std::string>{}, "", "garbage", R"({"sequence":12,"hash":"ab")",
                             R"({"sequence":12,"hash":"ab","day":"2026-12-07","firstDay":"2026-12-01","checkpoint":1})",
                             R"({"sequence":"12","hash":"ab","day":"d","firstDay":"d","checkpoint":1,"checkpointSequence":1})");
  write_text(path, text);
  ShipCursor loaded;
  std::string error;
  CHECK_FALSE(load_cursor(path, loaded, error));
  CHECK(error.find(path) != std::string::npos);
  CHECK(error.find("not a shipping cursor") != std::string::npos);
}

namespace {
// Sets the umask for one scope and puts the old one back, also on failure.
struct UmaskScope {
  explicit UmaskScope(mode_t mask) : saved(::umask(mask)) {}
  ~UmaskScope() { ::umask(saved); }
  mode_t saved;
};
}  // namespace

TEST_CASE("ship cursor: the saved file is private (0600) even under umask 000") {
  TempDir dir;
  const std::string path = dir.file("ship.cursor");
  const UmaskScope open_umask(0);
  std::string error;
  SECTION("a new file") {
    REQUIRE(save_cursor(path, ShipCursor{}, error));
    CHECK(mode_of(path) == 0600);
  }
  SECTION("replacing a world-readable file, with a world-writable leftover temporary beside it") {
    write_text(path, "{}");
    write_text(path + ".tmp", "leftover");
    ::chmod(path.c_str(), 0666);
    ::chmod((path + ".tmp").c_str(), 0666);
    REQUIRE(save_cursor(path, ShipCursor{}, error));
    CHECK(mode_of(path) == 0600);
  }
}

TEST_CASE("write_file_atomically: replaces the whole content, longer or shorter, bytes as given") {
  TempDir dir;
  const std::string path = dir.file("rules.yaml");
  std::string error;
  REQUIRE(write_file_atomically(path, "first version, rather long\n", error));
  CHECK(read_text(path) == "first version, rather long\n");
  const std::string binary("a\0b\nshort", 9);
  REQUIRE(write_file_atomically(path, binary, error));
  CHECK(read_text(path) == binary);
  const auto back = read_whole_file(path, error);
  REQUIRE(back);
  CHECK(*back == binary);
  CHECK(error.empty());
  CHECK(leftover_temporaries(path) == 0);
}

TEST_CASE("write_file_atomically: a folder that does not exist is an error naming the file") {
  TempDir dir;
  std::string error;
  CHECK_FALSE(write_file_atomically(dir.file("no-such-folder/x"), "x", error));
  CHECK(error.find("no-such-folder/x") != std::string::npos);
}

TEST_CASE("read_whole_file: a missing file is nullopt with no error") {
  TempDir dir;
  std::string error = "left over";
  CHECK_FALSE(read_whole_file(dir.file("missing"), error));
  CHECK(error.empty());
  write_text(dir.file("empty"), "");
  const auto empty = read_whole_file(dir.file("empty"), error);
  REQUIRE(empty);
  CHECK(empty->empty());
}

// ---------------------------------------------------------------------------
// rule_set

namespace {
// A fresh Ed25519 pair written as PEM files in `dir`.
struct KeyFiles {
  std::string private_file;
  std::string public_file;
};
KeyFiles make_keys(const TempDir& dir, const std::string& name) {
  std::string error;
  const auto pair = storage::generate_checkpoint_key_pair(error);
  REQUIRE(pair);
  KeyFiles files{dir.file(name + ".key"), dir.file(name + ".pub")};
  write_text(files.private_file, pair->private_pem);
  write_text(files.public_file, pair->public_pem);
  return files;
}

RuleSet sample_rule_set() {
  RuleSet set;
  set.version = 3;
  set.published_ms = kDec7 + 5;
  set.text = "rules:\n  - name: deny-scans\n    effect: deny\n    when: {operation: Scan}\n";
  set.publisher = "arn:aws:iam::123456789012:user/ops";
  return set;
}
}  // namespace

TEST_CASE("rule set: signed with a key, it checks with that key's public half") {
  TempDir dir;
  const auto keys = make_keys(dir, "rules");
  auto set = sample_rule_set();
  std::string error;
  REQUIRE(sign_rule_set(set, keys.private_file, error));
  CHECK(set.text_sha256 == sha256_hex(set.text));
  CHECK(set.text_sha256.size() == 64);
  CHECK(set.signature.size() == 128);  // 64 bytes, hex
  std::string key_error;
  const auto public_key = storage::load_public_key_file(keys.public_file, key_error);
  REQUIRE(public_key);
  CHECK(set.key_id == storage::checkpoint_key_id(public_key.get()));
  CHECK(check_rule_set(set, keys.public_file) == "");
}

TEST_CASE("rule set: another key, altered text, a replayed version or time, or no signature is refused") {
  TempDir dir;
  const auto keys = make_keys(dir, "rules");
  const auto other = make_keys(dir, "other");
  auto signed_set = sample_rule_set();
  std::string error;
  REQUIRE(sign_rule_set(signed_set, keys.private_file, error));

  SECTION("checked with another public key") {
    const auto why = check_rule_set(signed_set, other.public_file);
    CHECK(why.find("bad signature") != std::string::npos);
  }
  SECTION("text altered, its hash left as signed") {
    auto set = signed_set;
    set.text += "  - name: allow-all\n";
    CHECK_FALSE(check_rule_set(set, keys.public_file).empty());
  }
  SECTION("text altered and its hash recomputed to match") {
    auto set = signed_set;
    set.text.replace(set.text.find("deny"), 4, "allw");
    set.text_sha256 = sha256_hex(set.text);
    CHECK(check_rule_set(set, keys.public_file).find("bad signature") != std::string::npos);
  }
  SECTION("an old signed set replayed as a newer version") {
    auto set = signed_set;
    set.version = 4;
    CHECK(check_rule_set(set, keys.public_file).find("bad signature") != std::string::npos);
  }
  SECTION("the publication time changed") {
    auto set = signed_set;
    set.published_ms += 1;
    CHECK_FALSE(check_rule_set(set, keys.public_file).empty());
  }
  SECTION("signed by another key under the right key's id") {
    auto set = sample_rule_set();
    REQUIRE(sign_rule_set(set, other.private_file, error));
    set.key_id = signed_set.key_id;
    CHECK_FALSE(check_rule_set(set, keys.public_file).empty());
  }
  SECTION("not signed at all") {
    auto set = sample_rule_set();
    set.text_sha256 = sha256_hex(set.text);
    CHECK(check_rule_set(set, keys.public_file).find("not signed") != std::string::npos);
  }
  SECTION("the public key file is missing") {
    CHECK(check_rule_set(signed_set, dir.file("absent.pub")).find("cannot load") != std::string::npos);
  }
}

TEST_CASE("rule set: the table item parses back to the same set, and a signed one still checks") {
  TempDir dir;
  const auto keys = make_keys(dir, "rules");
  auto set = sample_rule_set();
  set.text += "# \"quoted\" \\ and unicode: é ✓\n";
  std::string error;
  REQUIRE(sign_rule_set(set, keys.private_file, error));
  const std::string item = rule_set_item(set);
  const Json parsed(item);
  REQUIRE(parsed.ok());
  CHECK(attr(parsed.root(), "pk") == "RULES");
  CHECK(attr(parsed.root(), "sk") == "00000000000000000003");
  const auto back = parse_rule_set_item(item);
  REQUIRE(back);
  CHECK(back->version == set.version);
  CHECK(back->published_ms == set.published_ms);
  CHECK(back->text == set.text);
  CHECK(back->text_sha256 == set.text_sha256);
  CHECK(back->key_id == set.key_id);
  CHECK(back->signature == set.signature);
  CHECK(back->publisher == set.publisher);
  CHECK(check_rule_set(*back, keys.public_file) == "");
}

TEST_CASE("rule set: an unsigned set round-trips with empty key, signature and publisher") {
  RuleSet set;
  set.version = 1;
  set.published_ms = 1;
  set.text = "rules: []\n";
  const auto back = parse_rule_set_item(rule_set_item(set));
  REQUIRE(back);
  CHECK(back->key_id.empty());
  CHECK(back->signature.empty());
  CHECK(back->publisher.empty());
  CHECK_FALSE(parse_rule_set_item("not json"));
  CHECK_FALSE(parse_rule_set_item(R"({"pk":{"S":"RULES"},"text":{"S":"x"}})"));  // no version
}

// ---------------------------------------------------------------------------
// cloudtrail_import

namespace {
// Three DynamoDB calls (table by name; by an index ARN only; by ARN with
// null requestParameters) around one S3 call.
const std::string kCloudTrail = R"({"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice",
 "arn":"arn:aws:sts::123456789012:assumed-role/app/alice","accessKeyId":"ASIAALICE"},
 "eventTime":"2026-12-07T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"GetItem",
 "awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.7","userAgent":"aws-sdk-go/1.0",
 "requestParameters":{"tableName":"Orders","key":{"id":"1"}},"responseElements":null,"requestID":"REQ-1",
 "resources":[{"type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/Ignored"}]},
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDABOB","accessKeyId":"AKIABOB"},
 "eventTime":"2026-12-07T10:00:01Z","eventSource":"dynamodb.amazonaws.com","eventName":"Query",
 "requestParameters":{"indexName":"byCustomer"},"requestID":"REQ-2",
 "resources":[{"type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/Payments/index/byCustomer"}]},
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACAROL","arn":"arn:aws:iam::123456789012:user/carol"},
 "eventTime":"2026-12-07T10:00:02Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",
 "requestParameters":{"bucketName":"b","key":"k"},"requestID":"S3REQ"},
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDADAVE"},
 "eventTime":"2026-12-07T10:00:03Z","eventSource":"dynamodb.amazonaws.com","eventName":"DescribeTable",
 "requestParameters":null,"requestID":"REQ-3",
 "resources":[{"type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/Audit"}]}
]})";

void write_gzip(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  REQUIRE(gzclose(file) == Z_OK);
}

void check_calls(const std::vector<CloudTrailCall>& calls, const std::string& path) {
  REQUIRE(calls.size() == 3);  // the S3 call is not DynamoDB's
  CHECK(calls[0].event_name == "GetItem");
  CHECK(calls[0].event_source == "dynamodb.amazonaws.com");
  CHECK(calls[0].event_time == "2026-12-07T10:00:00Z");
  CHECK(calls[0].request_id == "REQ-1");
  CHECK(calls[0].table == "Orders");  // requestParameters.tableName wins over the ARN
  CHECK(calls[0].principal == "arn:aws:sts::123456789012:assumed-role/app/alice");
  CHECK(calls[0].access_key_id == "ASIAALICE");
  CHECK(calls[0].source_ip == "10.0.0.7");
  CHECK(calls[0].user_agent == "aws-sdk-go/1.0");
  CHECK(calls[1].event_name == "Query");
  CHECK(calls[1].table == "Payments");  // from the index ARN
  CHECK(calls[1].principal == "AIDABOB");  // no arn: principalId
  CHECK(calls[1].request_id == "REQ-2");
  CHECK(calls[2].event_name == "DescribeTable");
  CHECK(calls[2].table == "Audit");
  CHECK(calls[2].principal == "AIDADAVE");
  for (const auto& call : calls) CHECK(call.file == path);
}
}  // namespace

TEST_CASE("read_cloudtrail_file: a plain .json file gives its DynamoDB calls only") {
  TempDir dir;
  const std::string path = dir.file("trail.json");
  write_text(path, kCloudTrail);
  std::vector<CloudTrailCall> calls;
  std::string error;
  REQUIRE(read_cloudtrail_file(path, calls, error));
  check_calls(calls, path);
}

TEST_CASE("read_cloudtrail_file: a gzip .json.gz file gives the same calls") {
  TempDir dir;
  const std::string path = dir.file("123456789012_CloudTrail_eu-west-1_20261207T1000Z_x.json.gz");
  write_gzip(path, kCloudTrail);
  REQUIRE(read_text(path).substr(0, 2) == "\x1f\x8b");  // really compressed
  std::vector<CloudTrailCall> calls;
  std::string error;
  REQUIRE(read_cloudtrail_file(path, calls, error));
  check_calls(calls, path);
}

TEST_CASE("read_cloudtrail_file: a file that is not CloudTrail, or is missing, is an error") {
  TempDir dir;
  std::vector<CloudTrailCall> calls;
  std::string error;
  const auto text = GENERATE(as<std::string>{}, R"({"foo":[1,2]})", "not json at all", "", R"({"Records":{}})");
  const std::string path = dir.file("other.json");
  write_text(path, text);
  CHECK_FALSE(read_cloudtrail_file(path, calls, error));
  CHECK(error.find("not a CloudTrail file") != std::string::npos);
  CHECK(calls.empty());
  CHECK_FALSE(read_cloudtrail_file(dir.file("absent.json.gz"), calls, error));
  CHECK(error.find("absent.json.gz") != std::string::npos);
}

// ---------------------------------------------------------------------------
// item_reader

TEST_CASE("ItemReader: string, number and flag attributes, and what is not one") {
  const ItemReader item(R"({"name":{"S":"Orders"},"count":{"N":"-42"},"big":{"BOOL":true},"small":{"BOOL":false},)"
                        R"("bad":{"N":"12x"},"huge":{"N":"99999999999999999999"},"text":{"S":"true"}})");
  REQUIRE(item.valid());
  CHECK(item.s("name") == std::optional<std::string>("Orders"));
  CHECK_FALSE(item.s("count"));  // an N is not an S
  CHECK_FALSE(item.s("missing"));
  CHECK(item.n("count") == std::optional<std::int64_t>(-42));
  CHECK_FALSE(item.n("name"));
  CHECK_FALSE(item.n("bad"));
  CHECK_FALSE(item.n("huge"));  // beyond int64
  CHECK(item.flag("big"));
  CHECK_FALSE(item.flag("small"));
  CHECK_FALSE(item.flag("text"));
  CHECK_FALSE(item.flag("missing"));

  const ItemReader broken("{not json");
  CHECK_FALSE(broken.valid());
  CHECK_FALSE(broken.s("name"));
  CHECK_FALSE(broken.n("count"));
  CHECK_FALSE(ItemReader("[1,2]").valid());  // not an object
}

TEST_CASE("for_each_item: every item of a Query page, and LastEvaluatedKey to go on from") {
  std::vector<std::string> keys;
  std::string last_key = "left over";
  const auto collect = [&](simdjson::dom::element item) { keys.push_back(ItemReader(item).s("sk").value_or("?")); };
  SECTION("a page with more to come") {
    REQUIRE(for_each_item(R"({"Items":[{"pk":{"S":"H"},"sk":{"S":"a"}},{"pk":{"S":"H"},"sk":{"S":"b"}}],"Count":2,)"
                          R"("LastEvaluatedKey":{"pk":{"S":"H"},"sk":{"S":"b"}}})",
                          collect, last_key));
    CHECK(keys == std::vector<std::string>{"a", "b"});
    const Json key(last_key);
    REQUIRE(key.ok());
    CHECK(attr(key.root(), "pk") == "H");
    CHECK(attr(key.root(), "sk") == "b");
  }
  SECTION("the last page") {
    REQUIRE(for_each_item(R"({"Items":[],"Count":0})", collect, last_key));
    CHECK(keys.empty());
    CHECK(last_key.empty());
  }
  SECTION("not a Query answer") {
    CHECK_FALSE(for_each_item(R"({"Item":{}})", collect, last_key));
    CHECK_FALSE(for_each_item("<html>", collect, last_key));
  }
}

// ---------------------------------------------------------------------------
// dynamodb_client

TEST_CASE("error_type_of: the short __type of a DynamoDB error body, or nothing") {
  CHECK(error_type_of(R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"})") ==
        "ThrottlingException");
  CHECK(error_type_of(R"({"__type":"com.amazon.coral.validate#ValidationException"})") == "ValidationException");
  CHECK(error_type_of(R"({"__type":"ResourceNotFoundException"})") == "ResourceNotFoundException");
  CHECK(error_type_of(R"({"message":"no type"})") == "");
  CHECK(error_type_of("") == "");
  CHECK(error_type_of("<html>502 Bad Gateway</html>") == "");
}

TEST_CASE("DynamoDbClient: refuses a URL with a path or no region, and a call without credentials is retryable") {
  std::string error;
  CHECK_FALSE(DynamoDbClient::create({"http://127.0.0.1:8000/tables", "eu-west-1", "", 1s}, nullptr, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(DynamoDbClient::create({"http://127.0.0.1:8000", "", "", 1s}, nullptr, error));
  CHECK(error.find("region") != std::string::npos);
  CHECK_FALSE(DynamoDbClient::create({"ftp://127.0.0.1", "eu-west-1", "", 1s}, nullptr, error));
  auto client = DynamoDbClient::create({"http://127.0.0.1:9", "eu-west-1", "", 1s}, [] { return nullptr; }, error);
  REQUIRE(client);
  const auto reply = client->call("ListTables", "{}");
  CHECK_FALSE(reply.ok);
  CHECK(reply.error_type == "MissingCredentials");
  CHECK(reply.retryable);
}

// ---------------------------------------------------------------------------
// Against a scripted HTTP server on 127.0.0.1

namespace {

struct Reply {
  int status;
  std::string body;
};
struct SeenRequest {
  std::string target;         // X-Amz-Target
  std::string authorization;
  std::string body;
};

// Answers one request per connection with the next scripted reply (the
// last one repeats) and keeps what it was sent.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> replies) : replies_(std::move(replies)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    socklen_t length = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<SeenRequest> requests() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval timeout{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      answer(fd);
      ::close(fd);
    }
  }

  static std::string header(const std::string& head, std::string name) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return {};
    auto value_at = at + name.size() + 3;
    while (value_at < head.size() && head[value_at] == ' ') ++value_at;
    return head.substr(value_at, head.find("\r\n", value_at) - value_at);
  }

  void answer(int fd) {
    std::string data;
    char buf[8192];
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    const std::string head = data.substr(0, head_end);
    SeenRequest request{header(head, "x-amz-target"), header(head, "authorization"), data.substr(head_end + 4)};
    const std::size_t length = std::stoul("0" + header(head, "content-length"));
    while (request.body.size() < length) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.body.append(buf, static_cast<std::size_t>(n));
    }
    Reply reply;
    {
      std::lock_guard lock(mutex_);
      reply = replies_[std::min(seen_.size(), replies_.size() - 1)];
      seen_.push_back(std::move(request));
    }
    const std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                            " Scripted\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: " +
                            std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" + reply.body;
    std::size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  std::vector<Reply> replies_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

std::unique_ptr<DynamoDbClient> client_for(const ScriptedServer& server) {
  std::string error;
  auto credentials = std::make_shared<const aws::AwsCredentials>(
      aws::AwsCredentials{"AKIDFLEETTEST", "secret-for-tests-only", "", std::nullopt});
  auto client = DynamoDbClient::create({server.url(), "eu-west-1", "", 5s}, [credentials] { return credentials; }, error);
  REQUIRE(client);
  return client;
}

std::string test_item(int n) {
  std::string item = "{";
  append_s(item, "pk", "R#p#2026-12-07");
  item += ',';
  append_s(item, "sk", padded(static_cast<std::uint64_t>(n)));
  item += '}';
  return item;
}

// The sort keys of the items in a BatchWriteItem body, for table "fleet".
std::vector<std::string> written_keys(const std::string& body) {
  const Json request(body);
  REQUIRE(request.ok());
  std::vector<std::string> keys;
  for (auto put : request.root()["RequestItems"]["fleet"].get_array())
    keys.push_back(attr(put["PutRequest"]["Item"], "sk"));
  return keys;
}

const std::string kThrottled =
    R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."})";

}  // namespace

TEST_CASE("BatchWriter: resends only the unprocessed items, backing off (doubling) after throttling") {
  const std::string unprocessed_second =
      R"({"UnprocessedItems":{"fleet":[{"PutRequest":{"Item":)" + test_item(2) + "}}]}}";
  ScriptedServer server({{400, kThrottled}, {200, unprocessed_second}, {200, R"({"UnprocessedItems":{}})"}});
  auto client = client_for(server);
  WriteCounters counters;
  std::vector<std::chrono::milliseconds> pauses;
  BatchWriter writer(*client, "fleet", Backoff{100ms, 30s}, counters, [&](std::chrono::milliseconds d) {
    pauses.push_back(d);
    return true;
  });
  REQUIRE(writer.write({test_item(1), test_item(2)}));

  const auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  for (const auto& request : seen) {
    CHECK(request.target == "DynamoDB_20120810.BatchWriteItem");
    CHECK(request.authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDFLEETTEST/", 0) == 0);
    CHECK(request.authorization.find("/eu-west-1/dynamodb/aws4_request") != std::string::npos);
  }
  const std::vector<std::string> both{padded(1), padded(2)};
  CHECK(written_keys(seen[0].body) == both);
  CHECK(written_keys(seen[1].body) == both);  // the throttled call again, whole
  CHECK(written_keys(seen[2].body) == std::vector<std::string>{padded(2)});

  CHECK(counters.calls == 3);
  CHECK(counters.throttled == 1);
  CHECK(counters.failed_calls == 0);
  CHECK(counters.unprocessed == 1);
  CHECK(counters.error().empty());  // the last call worked
  REQUIRE(pauses.size() == 2);
  CHECK((pauses[0] >= 50ms && pauses[0] <= 100ms));   // jitter within [d/2, d]
  CHECK((pauses[1] >= 100ms && pauses[1] <= 200ms));  // d doubled
}

TEST_CASE("BatchWriter: 25 items per call at most, and it gives up only when told to stop") {
  SECTION("30 items are two calls, 25 and 5") {
    ScriptedServer server({{200, "{}"}});
    auto client = client_for(server);
    WriteCounters counters;
    BatchWriter writer(*client, "fleet", Backoff{}, counters, [](std::chrono::milliseconds) { return true; });
    std::vector<std::string> items;
    for (int i = 1; i <= 30; ++i) items.push_back(test_item(i));
    REQUIRE(writer.write(items));
    const auto seen = server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(written_keys(seen[0].body).size() == 25);
    const auto rest = written_keys(seen[1].body);
    REQUIRE(rest.size() == 5);
    CHECK(rest.front() == padded(26));
    CHECK(rest.back() == padded(30));
  }
  SECTION("throttled, then stopping while waiting") {
    ScriptedServer server({{400, kThrottled}});
    auto client = client_for(server);
    WriteCounters counters;
    BatchWriter writer(*client, "fleet", Backoff{}, counters, [](std::chrono::milliseconds) { return false; });
    CHECK_FALSE(writer.write({test_item(1)}));
    CHECK(server.requests().size() == 1);
    CHECK(counters.throttled == 1);
    CHECK(counters.error().find("ThrottlingException") != std::string::npos);
  }
  SECTION("an answer that does not parse counts as a failed call") {
    ScriptedServer server({{200, "not json"}});
    auto client = client_for(server);
    WriteCounters counters;
    BatchWriter writer(*client, "fleet", Backoff{}, counters, [](std::chrono::milliseconds) { return false; });
    CHECK_FALSE(writer.write({test_item(1)}));
    CHECK(counters.failed_calls == 1);
    CHECK(counters.error().find("does not parse") != std::string::npos);
  }
}

TEST_CASE("run_query: follows LastEvaluatedKey from page to page, in order") {
  const std::string page_key = R"({"pk":{"S":"R#p#2026-12-07"},"sk":{"S":"00000000000000000002"}})";
  ScriptedServer server({{200, R"({"Items":[)" + test_item(1) + "," + test_item(2) +
                                   R"(],"Count":2,"LastEvaluatedKey":)" + page_key + "}"},
                         {200, R"({"Items":[)" + test_item(3) + R"(],"Count":1})"}});
  auto client = client_for(server);
  TableQuery query;
  query.table = "fleet";
  query.key_name = "pk";
  query.key_value = "R#p#2026-12-07";
  std::vector<std::string> keys;
  std::string error;
  REQUIRE(run_query(*client, query, [&](simdjson::dom::element item) {
    keys.push_back(attr(item, "sk"));
    return true;
  }, error));
  CHECK(keys == std::vector<std::string>{padded(1), padded(2), padded(3)});
  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].target == "DynamoDB_20120810.Query");
  const Json first(seen[0].body);
  const Json second(seen[1].body);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first.root()["KeyConditionExpression"].get_string().value() == "#k = :k");
  CHECK(attr(first.root()["ExpressionAttributeValues"], ":k") == "R#p#2026-12-07");
  CHECK(first.root()["ConsistentRead"].get_bool().value());
  CHECK_FALSE(has(first.root(), "ExclusiveStartKey"));
  CHECK(attr(second.root()["ExclusiveStartKey"], "sk") == padded(2));
}

TEST_CASE("run_query: a full Query page (about 1 MB of items, more as JSON) is read whole") {
  // DynamoDB fills a page up to 1 MB of item data; the JSON of it is larger
  // still (names, types, escapes), so the client must not cut the answer.
  std::string page = R"({"Items":[)";
  for (int i = 1; i <= 3; ++i) {
    std::string item = "{";
    append_s(item, "pk", "R#p#2026-12-07");
    item += ',';
    append_s(item, "sk", padded(static_cast<std::uint64_t>(i)));
    item += ',';
    append_s(item, "rec", std::string(340 * 1024, '"'));  // each byte escaped: twice as long as JSON
    item += '}';
    page += (i > 1 ? "," : "") + item;
  }
  page += R"(],"Count":3})";
  REQUIRE(page.size() > 1024 * 1024);  // over the 1 MiB alerts' HttpClient keeps by default
  ScriptedServer server({{200, page}});
  auto client = client_for(server);
  TableQuery query;
  query.table = "fleet";
  query.key_name = "pk";
  query.key_value = "R#p#2026-12-07";
  std::vector<std::size_t> sizes;
  std::string error;
  REQUIRE(run_query(*client, query, [&](simdjson::dom::element item) {
    sizes.push_back(attr(item, "rec").size());
    return true;
  }, error));
  CHECK(error.empty());
  CHECK(sizes == std::vector<std::size_t>(3, 340 * 1024));
}

// ---------------------------------------------------------------------------
// A record the table refuses must not stall shipping; a call on several
// tables is found under each.

TEST_CASE("record_items: one alias item per further table, found by byTable, invisible to the chain walk") {
  auto record = sample_record();
  record.tables = {"Orders", "Secrets", "Orders", "Audit"};
  const std::string text = storage::to_json(record);
  const auto items = record_items("proxy-a", "2026-12-07", record, text, 0);
  REQUIRE(items.size() == 3);  // the record, Secrets, Audit (the repeated Orders is not indexed twice)
  CHECK(items[0] == record_item("proxy-a", "2026-12-07", record, text, 0));
  const Json alias(items[1]);
  REQUIRE(alias.ok());
  CHECK(attr(alias.root(), "pk") == "T#proxy-a#2026-12-07");
  CHECK(attr(alias.root(), "sk") == padded(42) + "#1");
  CHECK(attr(alias.root(), "gtb") == "Secrets");
  CHECK(attr(alias.root(), "rec") == text);
  CHECK(alias.root()["hash"].error());  // not a link of the chain
  const Json third(items[2]);
  REQUIRE(third.ok());
  CHECK(attr(third.root(), "gtb") == "Audit");
}

TEST_CASE("record_item: a principal longer than an index key may be ships without the index attribute") {
  auto record = sample_record();
  record.user_identity.principal_id = std::string(kMaxIndexKey + 1, 'p');
  const Json item(record_item("proxy-a", "2026-12-07", record, storage::to_json(record), 0));
  REQUIRE(item.ok());
  CHECK(item.root()["gp"].error());
  CHECK(attr(item.root(), "gtb") == "Orders");
  record.user_identity.principal_id = std::string(kMaxIndexKey, 'p');
  const Json at_limit(record_item("proxy-a", "2026-12-07", record, storage::to_json(record), 0));
  REQUIRE(at_limit.ok());
  CHECK(attr(at_limit.root(), "gp").size() == kMaxIndexKey);
}

TEST_CASE("stub_item: keys, sequence, time and hashes only, marked big with the reason") {
  const auto record = sample_record();
  const std::string item = record_item("proxy-a", "2026-12-07", record, storage::to_json(record), 1'900'000'000);
  const auto stub = stub_item(item, "One or more parameter values were invalid");
  REQUIRE(stub);
  const Json parsed(*stub);
  REQUIRE(parsed.ok());
  CHECK(attr(parsed.root(), "pk") == "R#proxy-a#2026-12-07");
  CHECK(attr(parsed.root(), "sk") == padded(42));
  CHECK(attr(parsed.root(), "hash") == record.hash);
  CHECK(attr(parsed.root(), "prev") == record.previous_hash);
  CHECK(attr(parsed.root(), "refused") == "One or more parameter values were invalid");
  CHECK(parsed.root()["rec"].error());
  CHECK(parsed.root()["gp"].error());
  bool big = false;
  CHECK_FALSE(parsed.root()["big"]["BOOL"].get(big));
  CHECK(big);
  CHECK_FALSE(stub_item("not json", "x"));
}

TEST_CASE("BatchWriter: a batch refused as invalid is split, and the item refused alone ships as its stub") {
  const std::string invalid =
      R"({"__type":"com.amazon.coral.validate#ValidationException","message":"Item size has exceeded the maximum allowed size"})";
  // The batch of two: invalid; item 1 alone: fine; item 2 alone: invalid; item 2's stub: fine.
  ScriptedServer server({{400, invalid}, {200, "{}"}, {400, invalid}, {200, "{}"}});
  auto client = client_for(server);
  WriteCounters counters;
  BatchWriter writer(
      *client, "fleet", Backoff{1ms, 2ms}, counters, [](std::chrono::milliseconds) { return true; },
      [](const std::string& item, const std::string& reason) -> std::optional<std::string> {
        return item.substr(0, item.size() - 1) + ",\"refused\":{\"S\":\"" + reason.substr(0, 4) + "\"}}";
      });
  REQUIRE(writer.write({test_item(1), test_item(2)}));
  const auto seen = server.requests();
  REQUIRE(seen.size() == 4);
  CHECK(written_keys(seen[1].body) == std::vector<std::string>{padded(1)});
  CHECK(written_keys(seen[2].body) == std::vector<std::string>{padded(2)});
  CHECK(written_keys(seen[3].body) == std::vector<std::string>{padded(2)});
  CHECK(seen[3].body.find("\"refused\"") != std::string::npos);
  CHECK(seen[2].body.find("\"refused\"") == std::string::npos);
  CHECK(counters.stubbed == 1);
}

TEST_CASE("BatchWriter: lanes write one round's batches in parallel, every item once") {
  ScriptedServer server({{200, "{}"}});
  auto a = client_for(server);
  auto b = client_for(server);
  auto c = client_for(server);
  WriteCounters counters;
  BatchWriter writer({a.get(), b.get(), c.get()}, "fleet", Backoff{1ms, 2ms}, counters,
                     [](std::chrono::milliseconds) { return true; });
  std::vector<std::string> items;
  for (int i = 1; i <= 110; ++i) items.push_back(test_item(i));
  REQUIRE(writer.write(items));
  std::multiset<std::string> written;
  for (const auto& request : server.requests())
    for (const auto& key : written_keys(request.body)) written.insert(key);
  CHECK(server.requests().size() == 5);  // 25 + 25 + 25 + 25 + 10
  REQUIRE(written.size() == 110);
  for (int i = 1; i <= 110; ++i) CHECK(written.count(padded(static_cast<std::uint64_t>(i))) == 1);
  CHECK(counters.calls == 5);
}
