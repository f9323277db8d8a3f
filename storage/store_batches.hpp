// What one group commit writes: each record with its sequence, hash link and
// index entries, the new chain head in "meta", and signed checkpoints. The
// writer thread builds these; nothing here touches the disk.
#pragma once

#include <rocksdb/write_batch.h>

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "storage/audit_event.hpp"
#include "storage/checkpoint.hpp"
#include "storage/rocks_handle.hpp"

namespace dynaudit::storage {

struct ChainHead {
  std::uint64_t last_sequence = 0;
  std::string last_hash;
};

// Gives `event` the next sequence and its hash link (see hash_chain.hpp),
// adds the record and its index entries to `batch`, advances `head`.
// False only if `head` holds a malformed hash.
bool add_record(rocksdb::WriteBatch& batch, const RocksHandle& store, ChainHead& head, AuditEvent& event);

void put_chain_head(rocksdb::WriteBatch& batch, const RocksHandle& store, const ChainHead& head);

// Signs `checkpoint` (fills its signature; without a key it stays unsigned,
// for a witness alone) and adds it and the new checkpoint count to `batch`.
// False if signing fails.
bool add_checkpoint(rocksdb::WriteBatch& batch, const RocksHandle& store, Checkpoint& checkpoint,
                    EVP_PKEY* private_key);

}  // namespace dynaudit::storage
