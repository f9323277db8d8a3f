// The store's building blocks: key layouts that sort as intended, the hash
// chain against Python's hashlib, checkpoint bytes, Ed25519 keys.
#include <catch2/catch.hpp>

#include <fstream>

#include "storage/checkpoint.hpp"
#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"
#include "storage/hash_chain.hpp"
#include "storage/index_entries.hpp"
#include "storage/key_encoding.hpp"
#include "storage/rules_change_record.hpp"
#include "storage/time_format.hpp"
#include "test_support.hpp"

using namespace dynaudit::storage;

TEST_CASE("record keys are 8-byte big-endian sequences") {
  CHECK(keys::record_key(1) == std::string("\0\0\0\0\0\0\0\x01", 8));
  CHECK(keys::record_key(0x0102030405060708ull) == "\x01\x02\x03\x04\x05\x06\x07\x08");
  CHECK(keys::record_key(255) < keys::record_key(256));
  CHECK(keys::sequence_from_record_key(keys::record_key(123456789)) == 123456789u);
  CHECK_FALSE(keys::sequence_from_record_key("short"));
}

TEST_CASE("index keys sort by value, then time (also before 1970), then sequence") {
  CHECK(keys::time_index_key(-5, 9) < keys::time_index_key(-1, 1));
  CHECK(keys::time_index_key(-1, 9) < keys::time_index_key(0, 1));
  CHECK(keys::time_index_key(1000, 2) < keys::time_index_key(1000, 3));
  CHECK(keys::time_index_key(1000, 99) < keys::time_index_key(1001, 1));
  CHECK(keys::value_index_key("alice", 5000, 1) < keys::value_index_key("alicf", 0, 0));
  CHECK(keys::value_index_key("al", 5000, 1) < keys::value_index_key("alice", 0, 0));
  CHECK(keys::value_index_key("bob", 1, 7).size() == 3 + 1 + 16);
  const auto tail = keys::index_key_tail(keys::value_index_key("bob", -42, 7));
  REQUIRE(tail);
  CHECK(tail->time_ms == -42);
  CHECK(tail->sequence == 7);
}

TEST_CASE("a record gets one entry per index, per table, and outcome entries") {
  AuditEvent e = storage_test::sample_event("alice", "orders", "GetItem");
  e.sequence = 5;
  e.tables = {"orders", "customers"};
  e.error_code = "AccessDeniedException";
  e.decision = "deny";
  const std::int64_t t = 1'795'968'000'123;
  const auto entries = index_entries(e);
  REQUIRE(entries.size() == 9);
  CHECK((entries[0].family == IndexFamily::time && entries[0].key == keys::time_index_key(t, 5)));
  CHECK((entries[1].family == IndexFamily::principal && entries[1].key == keys::value_index_key("alice", t, 5)));
  CHECK((entries[2].family == IndexFamily::table && entries[2].key == keys::value_index_key("orders", t, 5)));
  CHECK((entries[3].family == IndexFamily::table && entries[3].key == keys::value_index_key("customers", t, 5)));
  CHECK((entries[4].family == IndexFamily::operation && entries[4].key == keys::value_index_key("GetItem", t, 5)));
  CHECK(entries[5].key == keys::value_index_key("decision:deny", t, 5));
  CHECK(entries[6].key == keys::value_index_key("error:AccessDeniedException", t, 5));
  CHECK(entries[7].key == keys::value_index_key("error:*", t, 5));
  CHECK((entries[8].family == IndexFamily::event && entries[8].key == keys::value_index_key(e.event_id, t, 5)));
  e.error_code.clear();
  CHECK(index_entries(e).size() == 7);
  e.event_id.clear();
  CHECK(index_entries(e).size() == 6);
}

TEST_CASE("hash links are SHA-256 over the previous hash's raw bytes and the canonical bytes") {
  // python3 -c 'import hashlib; print(hashlib.sha256(b"abc").hexdigest())'
  const std::string first = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(chain_hash("", "abc") == first);
  // python3 -c 'import hashlib; p=hashlib.sha256(b"abc").digest(); print(hashlib.sha256(p+b"def").hexdigest())'
  CHECK(chain_hash(first, "def") == "d9c44b16b77fde757bccb3df456dc7f44e3e067a88080f8d6c9434e8d4ffa071");
  CHECK_FALSE(chain_hash("abc", "def"));                   // not 64 hex digits
  CHECK_FALSE(chain_hash(std::string(64, 'g'), "def"));    // not hex
  CHECK(to_hex("\x01\xAB") == "01ab");
  CHECK(from_hex("01AB") == std::string("\x01\xAB"));
  CHECK_FALSE(from_hex("0"));
}

TEST_CASE("ChainHasher gives chain_hash's links, from pieces, and refuses a bad previous hash") {
  ChainHasher hasher;
  std::string hex;
  const std::string previous = *chain_hash("", "first");
  REQUIRE(hasher.link("", "fir", "st", hex));
  CHECK(hex == previous);
  REQUIRE(hasher.link(previous, "{\"a\":1", "}}", hex));  // the context is reused
  CHECK(hex == *chain_hash(previous, "{\"a\":1}}"));
  std::string upper = previous;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(hasher.link(upper, "x", "", hex));
  CHECK(hex == *chain_hash(previous, "x"));
  CHECK_FALSE(hasher.link(previous.substr(1), "x", "", hex));
  CHECK_FALSE(hasher.link(std::string(64, 'g'), "x", "", hex));
}

TEST_CASE("CloudTrail times: UTC to the second, before 1970 too") {
  CHECK(cloudtrail_time(0) == "1970-01-01T00:00:00Z");
  CHECK(cloudtrail_time(-1) == "1969-12-31T23:59:59Z");
  CHECK(cloudtrail_time(1'733'561'999'999) == "2024-12-07T08:59:59Z");
  CHECK(cloudtrail_time(951'782'400'000) == "2000-02-29T00:00:00Z");
  CHECK(cloudtrail_time(253'402'300'799'000) == "9999-12-31T23:59:59Z");
  CHECK(cloudtrail_time(253'402'300'800'000) == "10000-01-01T00:00:00Z");  // snprintf's side
  CHECK(cloudtrail_time(-62'167'219'200'000) == "0000-01-01T00:00:00Z");
  CHECK(cloudtrail_time(-62'167'219'200'001) == "-001-12-31T23:59:59Z");
}

TEST_CASE("checkpoint bytes: what is signed and what is stored read back exactly") {
  Checkpoint c;
  c.number = 3;
  c.time_ms = 1'795'968'000'123;
  c.last_sequence = 42;
  c.last_hash = std::string(64, 'e');
  c.record_count = 12;
  c.signature = std::string(128, '0');
  CHECK(checkpoint_signed_bytes(c) ==
        R"({"checkpoint":3,"time":"2026-11-29T16:00:00Z","timeMs":1795968000123,"lastSequence":42,"lastHash":")" +
            std::string(64, 'e') + R"(","recordCount":12})");
  const std::string stored = checkpoint_value(c);
  CHECK(stored == checkpoint_signed_bytes(c).substr(0, checkpoint_signed_bytes(c).size() - 1) +
                      R"(,"signature":")" + std::string(128, '0') + "\"}");
  const auto parsed = parse_checkpoint(stored);
  REQUIRE(parsed);
  CHECK(parsed->number == 3);
  CHECK(parsed->time_ms == c.time_ms);
  CHECK(parsed->last_sequence == 42);
  CHECK(parsed->last_hash == c.last_hash);
  CHECK(parsed->record_count == 12);
  CHECK(parsed->signature == c.signature);
  CHECK_FALSE(parse_checkpoint(stored + "x"));
  CHECK(keys::checkpoint_key(42, 3) == keys::record_key(42) + keys::record_key(3));
}

TEST_CASE("Ed25519 checkpoint keys: generate, sign, verify, refuse the wrong key") {
  std::string error;
  const auto pair = generate_checkpoint_key_pair(error);
  REQUIRE(pair);
  CHECK(pair->private_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(pair->public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  CHECK(checkpoint_public_key_pem(pair->private_pem, error) == pair->public_pem);
  const auto other = generate_checkpoint_key_pair(error);
  REQUIRE(other);
  CHECK(other->public_pem != pair->public_pem);

  const auto private_key = load_private_key_pem(pair->private_pem, error);
  const auto public_key = load_public_key_pem(pair->public_pem, error);
  const auto other_public = load_public_key_pem(other->public_pem, error);
  REQUIRE(private_key);
  REQUIRE(public_key);
  REQUIRE(other_public);
  const auto signature = sign_ed25519(private_key.get(), "checkpoint bytes");
  REQUIRE(signature);
  CHECK(signature->size() == 128);
  CHECK(verify_ed25519(public_key.get(), "checkpoint bytes", *signature));
  CHECK_FALSE(verify_ed25519(public_key.get(), "checkpoint byteS", *signature));
  CHECK_FALSE(verify_ed25519(other_public.get(), "checkpoint bytes", *signature));
  std::string flipped = *signature;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  CHECK_FALSE(verify_ed25519(public_key.get(), "checkpoint bytes", flipped));
  CHECK_FALSE(verify_ed25519(public_key.get(), "checkpoint bytes", "zz"));

  // A key of another type is refused by name.
  CHECK_FALSE(load_private_key_pem("not a key", error));
  storage_test::TempDir dir("keys");
  CHECK_FALSE(load_private_key_file(dir.file("absent.pem"), error));
  CHECK(error == "cannot read " + dir.file("absent.pem"));
}

TEST_CASE("a rules change survives the record's JSON, and only dynaudit's own record is one") {
  RulesChange change;
  change.time = from_unix_ms(1'765'000'000'123);
  change.trigger = "file change";
  change.applied = false;
  change.rules = 4;
  change.fingerprint = "sha256:" + std::string(64, 'a');
  change.files = {"/etc/dynaudit/rules.yaml"};
  change.errors = {"/etc/dynaudit/rules.yaml:3:5: effect: \"maybe\" is not allow or deny"};
  AuditEvent record = make_rules_change_record(change);
  record.sequence = 7;
  const auto parsed = from_json(to_json(record));
  REQUIRE(parsed);
  CHECK(parsed->event_name == "RulesLoad");
  CHECK(parsed->outcome == "refused");
  CHECK(parsed->management_event);
  const auto back = rules_change_of_record(*parsed);
  REQUIRE(back);
  CHECK(back->trigger == change.trigger);
  CHECK_FALSE(back->applied);
  CHECK(back->rules == 4);
  CHECK(back->fingerprint == change.fingerprint);
  CHECK(back->files == change.files);
  CHECK(back->errors == change.errors);
  CHECK(unix_ms(back->time) == 1'765'000'000'123);

  // A caller's call named RulesLoad by a principal of that name is not one.
  AuditEvent forged = *parsed;
  forged.user_identity.type = "IAMUser";
  CHECK_FALSE(rules_change_of_record(forged));
  forged = *parsed;
  forged.event_name = "Scan";
  CHECK_FALSE(rules_change_of_record(forged));
}
