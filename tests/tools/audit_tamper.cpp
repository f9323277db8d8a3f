// audit_tamper: a test tool that damages an audit store the way an attacker
// with file access would — behind dynaudit's back, straight through RocksDB —
// so that the integration tests can show `dynaudit audit verify` notices.
//
//   audit_tamper STORE list                      sequence and size of each record
//   audit_tamper STORE get SEQ                   the stored bytes of one record
//   audit_tamper STORE flip SEQ [OFFSET [MASK]]  XOR one byte of record SEQ
//   audit_tamper STORE delete SEQ                remove record SEQ
//   audit_tamper STORE swap SEQ1 SEQ2            exchange two records' values
//   audit_tamper STORE truncate FROM             a careful attacker's cut: remove records
//                                                FROM.. with their index entries and the
//                                                checkpoints over them, and move the head back
//   audit_tamper STORE rewrite SEQ TEXT          a careful attacker's edit: record SEQ's
//                                                userAgent becomes TEXT, every later record is
//                                                re-chained, the checkpoints from SEQ on go
//
// Records live in the column family "records", keyed by the sequence number
// as 8 bytes big-endian. list/get/flip/delete/swap touch only that family:
// indexes and checkpoints stay as they were, as they would after a careless
// edit. truncate and rewrite leave a store whose chain, checkpoints, indexes
// and head all agree — the store alone can no longer tell; only a witness
// outside it can. The store must not be open in `dynaudit serve` (RocksDB's
// lock would refuse us anyway).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"
#include "storage/hash_chain.hpp"
#include "storage/index_entries.hpp"
#include "storage/key_encoding.hpp"
#include "storage/record_json.hpp"

namespace {

std::string key_of(std::uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[static_cast<std::size_t>(i)] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return key;
}

std::optional<std::uint64_t> seq_of(const rocksdb::Slice& key) {
  if (key.size() != 8) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<unsigned char>(key[i]);
  return seq;
}

std::optional<std::uint64_t> number(const char* text) {
  std::string s(text);
  int base = 10;
  if (s.rfind("0x", 0) == 0) {
    s = s.substr(2);
    base = 16;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

int usage() {
  std::cerr << "usage: audit_tamper STORE list | get SEQ | flip SEQ [OFFSET [MASK]] | delete SEQ | swap SEQ1 SEQ2"
               " | truncate FROM | rewrite SEQ TEXT\n";
  return 2;
}

namespace store = dynaudit::storage;

const char* index_family_name(store::IndexFamily family) {
  switch (family) {
    case store::IndexFamily::time: return store::keys::kTimeIndex;
    case store::IndexFamily::principal: return store::keys::kPrincipalIndex;
    case store::IndexFamily::table: return store::keys::kTableIndex;
    case store::IndexFamily::operation: return store::keys::kOperationIndex;
    case store::IndexFamily::outcome: return store::keys::kOutcomeIndex;
    case store::IndexFamily::event: return store::keys::kEventIndex;
  }
  return store::keys::kTimeIndex;
}

std::string be64(std::uint64_t value) {
  std::string bytes;
  store::keys::append_be64(bytes, value);
  return bytes;
}

// The families by name, for the careful edits.
struct Families {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* named(const std::string& name) const {
    for (auto* h : handles) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  }
};

// Checkpoints at or after `from` go; the count in meta follows, so that
// no checkpoint looks missing.
void drop_checkpoints_from(rocksdb::DB* db, const Families& f, std::uint64_t from, rocksdb::WriteBatch& batch) {
  auto* checkpoints = f.named(store::keys::kCheckpoints);
  std::uint64_t kept = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), checkpoints));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto parsed = store::parse_checkpoint(it->value().ToStringView());
    if (parsed && parsed->last_sequence < from) {
      kept = std::max(kept, parsed->number);
      continue;
    }
    batch.Delete(checkpoints, it->key());
  }
  batch.Put(f.named(store::keys::kMeta), std::string(store::keys::kMetaCheckpointCount), be64(kept));
}

void delete_index_entries(const Families& f, const store::AuditEvent& event, rocksdb::WriteBatch& batch) {
  for (const auto& entry : store::index_entries(event)) {
    if (auto* family = f.named(index_family_name(entry.family))) batch.Delete(family, entry.key);
  }
}

void put_head(const Families& f, std::uint64_t sequence, const std::string& hash, rocksdb::WriteBatch& batch) {
  auto* meta = f.named(store::keys::kMeta);
  batch.Put(meta, std::string(store::keys::kMetaLastSequence), be64(sequence));
  batch.Put(meta, std::string(store::keys::kMetaLastHash), hash);
}

std::optional<store::AuditEvent> load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* records, std::uint64_t seq) {
  std::string value;
  if (!db->Get(rocksdb::ReadOptions(), records, key_of(seq), &value).ok()) return std::nullopt;
  return store::from_json(value);
}

// Removes records FROM.. as if they had never been written.
std::string truncate_from(rocksdb::DB* db, const Families& f, std::uint64_t from) {
  auto* records = f.named(store::keys::kRecords);
  const auto previous = load(db, records, from - 1);
  if (from < 2 || !previous) return "truncate needs FROM >= 2 with record FROM-1 present";
  rocksdb::WriteBatch batch;
  std::uint64_t removed = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records));
  for (it->Seek(key_of(from)); it->Valid(); it->Next()) {
    const auto event = store::from_json(it->value().ToStringView());
    if (!event) return "record " + it->key().ToString(true) + " does not parse";
    delete_index_entries(f, *event, batch);
    batch.Delete(records, it->key());
    ++removed;
  }
  drop_checkpoints_from(db, f, from, batch);
  put_head(f, from - 1, previous->hash, batch);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (auto w = db->Write(sync, &batch); !w.ok()) return w.ToString();
  std::cout << "truncated " << removed << " records from " << from << "; the head is now " << from - 1 << "\n";
  return {};
}

// Changes record SEQ's userAgent (no index holds it) and re-chains it and
// every record after it.
std::string rewrite_from(rocksdb::DB* db, const Families& f, std::uint64_t seq, const std::string& text) {
  auto* records = f.named(store::keys::kRecords);
  std::string previous_hash;
  if (seq > 1) {
    const auto previous = load(db, records, seq - 1);
    if (!previous) return "record " + std::to_string(seq - 1) + " is missing";
    previous_hash = previous->hash;
  }
  rocksdb::WriteBatch batch;
  std::uint64_t last = seq - 1;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records));
  for (it->Seek(key_of(seq)); it->Valid(); it->Next()) {
    auto event = store::from_json(it->value().ToStringView());
    if (!event) return "record " + it->key().ToString(true) + " does not parse";
    if (event->sequence == seq) event->user_agent = text;
    event->previous_hash = previous_hash;
    std::string canonical = store::to_json(*event, false);
    const auto hash = store::chain_hash(event->previous_hash, canonical);
    if (!hash) return "cannot hash";
    event->hash = *hash;
    batch.Put(records, it->key(), store::record_with_hash(std::move(canonical), event->hash));
    previous_hash = event->hash;
    last = event->sequence;
  }
  if (last < seq) return "no record " + std::to_string(seq);
  drop_checkpoints_from(db, f, seq, batch);
  put_head(f, last, previous_hash, batch);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (auto w = db->Write(sync, &batch); !w.ok()) return w.ToString();
  std::cout << "rewrote record " << seq << " and re-chained it up to " << last << "\n";
  return {};
}

// The default byte to flip: the case of the first letter of the eventName
// value when the record is JSON, so the record still parses and only the
// hash chain can tell ("PutItem" becomes "putItem"); else the middle byte.
std::pair<std::size_t, unsigned char> default_flip(const std::string& value) {
  const std::string marker = "\"eventName\":\"";
  auto at = value.find(marker);
  if (at != std::string::npos && at + marker.size() < value.size()) {
    return {at + marker.size(), 0x20};
  }
  return {value.size() / 2, 0x01};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string path = argv[1];
  const std::string command = argv[2];

  std::vector<std::string> families;
  auto status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &families);
  if (!status.ok()) {
    std::cerr << "audit_tamper: cannot list column families of " << path << ": " << status.ToString() << "\n";
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  status = rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw);
  if (!status.ok()) {
    std::cerr << "audit_tamper: cannot open " << path << ": " << status.ToString() << "\n";
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* records = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == "records") records = h;
  }
  int rc = 0;
  auto fail = [&](const std::string& message) {
    std::cerr << "audit_tamper: " << message << "\n";
    rc = 1;
  };
  rocksdb::WriteOptions sync_write;
  sync_write.sync = true;

  if (!records) {
    fail("no column family named \"records\" in " + path);
  } else if (command == "list" && argc == 3) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto seq = seq_of(it->key());
      std::cout << (seq ? std::to_string(*seq) : "?key:" + it->key().ToString(true)) << " " << it->value().size()
                << "\n";
    }
  } else if ((command == "get" && argc == 4) || (command == "flip" && argc >= 4 && argc <= 6) ||
             (command == "delete" && argc == 4)) {
    auto seq = number(argv[3]);
    std::string value;
    if (!seq) {
      rc = usage();
    } else if (auto s = db->Get(rocksdb::ReadOptions(), records, key_of(*seq), &value); !s.ok()) {
      fail("record " + std::to_string(*seq) + ": " + s.ToString());
    } else if (command == "get") {
      std::cout << value << "\n";
    } else if (command == "delete") {
      if (auto d = db->Delete(sync_write, records, key_of(*seq)); !d.ok()) fail(d.ToString());
      else std::cout << "deleted record " << *seq << "\n";
    } else {
      auto [offset, mask] = default_flip(value);
      if (argc >= 5) {
        auto o = number(argv[4]);
        if (!o) return usage();
        offset = static_cast<std::size_t>(*o);
      }
      if (argc == 6) {
        auto m = number(argv[5]);
        if (!m || *m == 0 || *m > 0xff) return usage();
        mask = static_cast<unsigned char>(*m);
      }
      if (offset >= value.size()) {
        fail("offset " + std::to_string(offset) + " is past the record's " + std::to_string(value.size()) + " bytes");
      } else {
        const unsigned char before = static_cast<unsigned char>(value[offset]);
        value[offset] = static_cast<char>(before ^ mask);
        if (auto p = db->Put(sync_write, records, key_of(*seq), value); !p.ok()) {
          fail(p.ToString());
        } else {
          std::printf("flipped record %llu byte %zu: 0x%02x -> 0x%02x\n", static_cast<unsigned long long>(*seq),
                      offset, before, static_cast<unsigned>(static_cast<unsigned char>(value[offset])));
        }
      }
    }
  } else if ((command == "truncate" && argc == 4) || (command == "rewrite" && argc == 5)) {
    auto seq = number(argv[3]);
    if (!seq) {
      rc = usage();
    } else {
      const Families f{handles};
      const std::string problem =
          command == "truncate" ? truncate_from(db.get(), f, *seq) : rewrite_from(db.get(), f, *seq, argv[4]);
      if (!problem.empty()) fail(problem);
    }
  } else if (command == "swap" && argc == 5) {
    auto a = number(argv[3]);
    auto b = number(argv[4]);
    std::string va, vb;
    if (!a || !b || *a == *b) {
      rc = usage();
    } else if (auto s = db->Get(rocksdb::ReadOptions(), records, key_of(*a), &va); !s.ok()) {
      fail("record " + std::to_string(*a) + ": " + s.ToString());
    } else if (auto t = db->Get(rocksdb::ReadOptions(), records, key_of(*b), &vb); !t.ok()) {
      fail("record " + std::to_string(*b) + ": " + t.ToString());
    } else {
      rocksdb::WriteBatch batch;
      batch.Put(records, key_of(*a), vb);
      batch.Put(records, key_of(*b), va);
      if (auto w = db->Write(sync_write, &batch); !w.ok()) fail(w.ToString());
      else std::cout << "swapped records " << *a << " and " << *b << "\n";
    }
  } else {
    rc = usage();
  }

  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  auto closed = db->Close();
  if (!closed.ok() && rc == 0) fail("close: " + closed.ToString());
  return rc;
}
