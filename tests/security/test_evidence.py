"""Evidence that leaves the store (issue 10, class 5), attacked through a real
`dynaudit serve` in front of dynalite, with signed requests.

An adversary who can write the audit store's files (not the witness) cuts
its tail after witnessed checkpoints, rolls it back to an older copy,
rewrites a witnessed record and re-chains everything after it, or deletes it.
Each time the store alone still verifies (its chain, checkpoints, indexes
and head all agree), and each time:
- `dynaudit audit verify --config` exits 1 naming the witnessed checkpoint
  and the sequence the store lacks or contradicts;
- `dynaudit serve` refuses to start (exit 2);
- `serve --accept-witness-mismatch` starts, the chain holds an
  AuditWitnessMismatchAccepted record saying what was accepted, the witness
  notes it, and verify keeps reporting the loss.

Also: a damaged table file makes every read command exit non-zero (never a
shorter answer), and the store, its files and the witness are private under
umask 022.
"""

import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness  # noqa: E402

TABLE = "evidence"
ALICE = ("AKIDALICE", "alice-secret", "alice", [])


def create_table(endpoint):
    r = harness.signed_post(endpoint, {
        "TableName": TABLE, "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"},
        "DynamoDB_20120810.CreateTable")
    if r.status != 200:
        raise AssertionError("CreateTable: %r" % r)


def put_items(endpoint, first, count, pause=0.0):
    for i in range(first, first + count):
        r = harness.signed_post(endpoint, {"TableName": TABLE, "Item": {"pk": {"S": "k%d" % i}}},
                                "DynamoDB_20120810.PutItem")
        if r.status != 200:
            raise AssertionError("PutItem k%d: %r" % (i, r))
        if pause:
            time.sleep(pause)


def read_witness(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class EvidenceBase(harness.IntegrationTest):
    """A proxy in verify mode whose every checkpoint is signed, witnessed in a
    file outside the store and sent to a file alert channel ("siem")."""

    def setUp(self):
        super().setUp()
        # Every process started here inherits a lax umask: what dynaudit
        # makes must be private anyway.
        saved = os.umask(0o022)
        self.addCleanup(os.umask, saved)
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys)
        self.private_key = os.path.join(keys, "checkpoint.pem")
        self.public_key = os.path.join(keys, "checkpoint.pub.pem")
        gen = harness.audit_cli("keygen", "--private-key", self.private_key, "--public-key", self.public_key)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        self.witness = os.path.join(self.tmp, "witness-host", "witness.jsonl")
        os.makedirs(os.path.dirname(self.witness))
        self.siem = os.path.join(self.tmp, "siem.jsonl")
        self.dynalite = self.start_dynalite()
        self.proxy = harness.Dynaudit(self.tmp, self.dynalite, mode="verify", credentials=[ALICE], overrides={
            "audit": {"path": "audit", "durability": "sync", "checkpoint_key_file": self.private_key,
                      "checkpoint_active_interval": "200ms", "checkpoint_interval": "1h",
                      "witness": {"file": self.witness, "channel": "siem"}},
            "alerts": {"channels": [{"name": "siem", "type": "file", "path": self.siem}]},
        })
        self.store = self.proxy.audit_path
        self.config = self.proxy.config_path

    def serve(self, *extra):
        """Starts serve on self.proxy's config (with extra flags)."""
        self.proxy.extra_args = list(extra)
        self.proxy.start()
        self.addCleanup(self.proxy.stop)
        return self.proxy

    def stop(self):
        self.assertEqual(self.proxy.stop(), 0, self.proxy.stderr_text()[-3000:])

    def run_traffic(self, first, count, create=False):
        """Serve, send `count` signed PutItems, stop cleanly (the last
        checkpoint is witnessed at close). Returns the store's head."""
        proxy = self.serve()
        if create:
            create_table(proxy.endpoint)
        put_items(proxy.endpoint, first, count)
        self.stop()
        return self.head()

    def head(self):
        stats = harness.audit_cli("stats", "--store", self.store, "--json")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        return json.loads(stats.stdout)["last_sequence"]

    def verify(self, *extra):
        return harness.audit_cli("verify", "--config", self.config, "--public-key", self.public_key, *extra)

    def first_witnessed_from(self, sequence):
        """The first witnessed checkpoint (file order) at or after `sequence`."""
        for entry in read_witness(self.witness):
            if entry["type"] == "checkpoint" and entry["lastSequence"] >= sequence:
                return entry
        self.fail("nothing witnessed at or after sequence %d" % sequence)

    def newest_witnessed(self):
        return read_witness(self.witness)[-1]

    def assert_damaged(self, result, checkpoint, sequence):
        out = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, "verify must exit 1:\n" + out)
        self.assertIn("DAMAGED", result.stdout)
        self.assertRegex(result.stdout, r"checkpoint #%d\b" % checkpoint, out)
        self.assertRegex(result.stdout, r"\bsequence %d\b" % sequence, out)
        self.assertRegex(result.stdout, r"not yet provable: \d+ records", out)

    def assert_store_alone_verifies(self):
        """The damage is invisible without the witness: the store's own chain,
        signed checkpoints and indexes all agree."""
        alone = harness.audit_verify(self.store, "--public-key", self.public_key)
        self.assertEqual(alone.returncode, 0, alone.stdout + alone.stderr)
        self.assertIn("OK:", alone.stdout)

    def assert_serve_refuses(self, checkpoint, sequence):
        ready = os.path.join(self.tmp, "refused-ready.json")
        proc = subprocess.run([harness.dynaudit_bin(), "serve", "--config", self.config, "--ready-file", ready],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 2, "serve must refuse the store:\n" + proc.stderr[-3000:])
        self.assertFalse(os.path.exists(ready), "a refused serve must not get ready")
        self.assertIn("witness", proc.stderr)
        self.assertIn("--accept-witness-mismatch", proc.stderr)
        self.assertRegex(proc.stderr, r"checkpoint #%d\b" % checkpoint)
        self.assertRegex(proc.stderr, r"\bsequence %d\b" % sequence)

    def assert_accepts(self, witnessed, store_head_before):
        """serve --accept-witness-mismatch starts, serves, and records what it
        accepted in the chain and in the witness; verify keeps saying so."""
        lines_before = len(read_witness(self.witness))
        proxy = self.serve("--accept-witness-mismatch")
        put_items(proxy.endpoint, 1000, 2)
        self.stop()
        accepted = harness.audit_records(self.store, "--operation", "AuditWitnessMismatchAccepted")
        self.assertEqual(len(accepted), 1, accepted)
        params = accepted[0]["requestParameters"]
        self.assertEqual(params["witnessedSequence"], witnessed["lastSequence"])
        self.assertEqual(params["witnessedHash"], witnessed["lastHash"])
        self.assertEqual(params["witnessedCheckpoint"], witnessed["checkpoint"])
        self.assertEqual(params["storeLastSequence"], store_head_before)
        self.assertEqual(params["witnessFile"], self.witness)
        new_lines = read_witness(self.witness)[lines_before:]
        acceptance = [e for e in new_lines if e["type"] == "acceptance"]
        self.assertEqual(len(acceptance), 1, new_lines)
        self.assertEqual(acceptance[0]["recordSequence"], accepted[0]["additionalEventData"]["sequence"])
        self.assertEqual(acceptance[0]["witnessedSequence"], witnessed["lastSequence"])
        # The SIEM got the acceptance too.
        with open(self.siem) as f:
            siem = [json.loads(line) for line in f if line.strip()]
        self.assertTrue(any(a.get("severity") == "critical" and '"type":"acceptance"' in a.get("message", "")
                            for a in siem), siem[-3:])
        # The loss is reported for ever, and new records are provable again.
        after = self.verify()
        self.assertEqual(after.returncode, 1, after.stdout + after.stderr)
        self.assertRegex(after.stdout, r"lost and the loss accepted")
        self.assertRegex(after.stdout, r"checkpoint #%d at sequence %d\b" % (
            witnessed["checkpoint"], witnessed["lastSequence"]))
        self.assertRegex(after.stdout, r"not yet provable: 0 records")
        # Once accepted, the next start needs no flag.
        self.serve()
        self.stop()


class WitnessTest(EvidenceBase):

    def test_a_tail_dropped_after_witnessed_checkpoints(self):
        head = self.run_traffic(0, 12, create=True)
        self.assertGreaterEqual(head, 13)
        newest = self.newest_witnessed()
        self.assertEqual(newest["lastSequence"], head, "a clean stop witnesses the last record")
        cut = head - 4
        subprocess.run([harness.tamper_bin(), self.store, "truncate", str(cut)], check=True, capture_output=True)
        self.assert_store_alone_verifies()
        first = self.first_witnessed_from(cut)
        self.assert_damaged(self.verify(), first["checkpoint"], first["lastSequence"])
        self.assert_serve_refuses(newest["checkpoint"], head)
        self.assert_accepts(newest, cut - 1)

    def test_b_store_rolled_back_to_an_older_copy(self):
        old_head = self.run_traffic(0, 5, create=True)
        backup = os.path.join(self.tmp, "store-backup")
        shutil.copytree(self.store, backup, symlinks=True)
        head = self.run_traffic(100, 6)
        self.assertEqual(head, old_head + 6)
        shutil.rmtree(self.store)
        shutil.copytree(backup, self.store, symlinks=True)
        self.assert_store_alone_verifies()
        first = self.first_witnessed_from(old_head + 1)
        self.assert_damaged(self.verify(), first["checkpoint"], first["lastSequence"])
        newest = self.newest_witnessed()
        self.assert_serve_refuses(newest["checkpoint"], newest["lastSequence"])
        self.assert_accepts(newest, old_head)

    def test_c_witnessed_record_rewritten_and_rechained(self):
        head = self.run_traffic(0, 10, create=True)
        target = head - 5
        subprocess.run([harness.tamper_bin(), self.store, "rewrite", str(target), "innocent-agent/1.0"],
                       check=True, capture_output=True)
        self.assertIn("innocent-agent/1.0", json.dumps(harness.audit_records(self.store)))
        self.assert_store_alone_verifies()
        first = self.first_witnessed_from(target)
        result = self.verify()
        self.assert_damaged(result, first["checkpoint"], first["lastSequence"])
        self.assertRegex(result.stdout, r"record %d differs" % first["lastSequence"])
        newest = self.newest_witnessed()
        self.assert_serve_refuses(newest["checkpoint"], newest["lastSequence"])
        self.assert_accepts(newest, head)

    def test_d_store_deleted(self):
        head = self.run_traffic(0, 4, create=True)
        newest = self.newest_witnessed()
        shutil.rmtree(self.store)
        result = self.verify()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("no audit store", result.stdout)
        self.assertRegex(result.stdout, r"checkpoint #%d\b" % newest["checkpoint"])
        self.assertRegex(result.stdout, r"\bsequence %d\b" % head)
        self.assert_serve_refuses(newest["checkpoint"], head)
        self.assertFalse(os.path.exists(self.store), "a refused serve must not create a new store")
        self.assert_accepts(newest, 0)
        accepted = harness.audit_records(self.store, "--operation", "AuditWitnessMismatchAccepted")
        self.assertEqual(accepted[0]["additionalEventData"]["sequence"], 1, "the new store starts with it")
        self.assertNotEqual(accepted[0]["requestParameters"]["storeId"], newest["storeId"])

    def test_witness_lines_are_signed_sent_to_the_channel_and_private(self):
        proxy = self.serve()
        create_table(proxy.endpoint)
        put_items(proxy.endpoint, 0, 3)
        # While records flow, a checkpoint follows within the active interval.
        def witnessed_all():
            entries = read_witness(self.witness) if os.path.exists(self.witness) else []
            return bool(entries) and entries[-1]["lastSequence"] >= 4
        harness.wait_until(witnessed_all, timeout=10, what="the witness to reach the last record while serving")
        self.assertEqual(stat.S_IMODE(os.stat(self.witness).st_mode), 0o600)
        self.stop()
        entries = read_witness(self.witness)
        self.assertTrue(all(e["type"] == "checkpoint" and len(e["signature"]) == 128 and len(e["keyId"]) == 16
                            for e in entries), entries)
        self.assertEqual([e["checkpoint"] for e in entries], list(range(1, len(entries) + 1)))
        with open(self.siem) as f:
            messages = [json.loads(line)["message"] for line in f if line.strip()]
        with open(self.witness) as f:
            self.assertEqual(messages, [line.rstrip("\n") for line in f])
        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertRegex(ok.stdout, r"not yet provable: 0 records follow the last witnessed checkpoint")
        # A witness line edited (another record hash, same checkpoint) no longer carries a valid signature.
        lines = open(self.witness).read().splitlines()
        forged = json.loads(lines[-1])
        forged["recordCount"] += 1
        lines[-1] = json.dumps(forged, separators=(",", ":"))
        with open(self.witness, "w") as f:
            f.write("\n".join(lines) + "\n")
        bad = self.verify()
        self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
        self.assertRegex(bad.stdout, r"bad signature")

    def test_witness_inside_the_store_is_refused_by_config_check(self):
        config = dict(self.proxy.config)
        config["audit"] = dict(config["audit"], witness={"file": os.path.join(self.store, "witness.jsonl")})
        path = os.path.join(os.path.dirname(self.config), "inside.yaml")  # audit.path resolves the same
        with open(path, "w") as f:
            json.dump(config, f)
        check = subprocess.run([harness.dynaudit_bin(), "serve", "--config", path, "--check-config"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 2, check.stdout + check.stderr)
        self.assertIn("audit.witness.file", check.stderr)
        self.assertIn("outside the store", check.stderr)


class StoreDamageTest(harness.IntegrationTest):
    """Read commands on a store with a damaged table file; permissions."""

    def setUp(self):
        super().setUp()
        saved = os.umask(0o022)
        self.addCleanup(os.umask, saved)
        dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(dynalite, overrides={"audit": {"path": "audit"}})
        create_table(self.proxy.endpoint)
        put_items(self.proxy.endpoint, 0, 30)
        self.store = self.proxy.audit_path

    def read_commands(self, store):
        out = os.path.join(self.tmp, "export-%d" % time.monotonic_ns())
        return {
            # The first record lives in the damaged table file's first block.
            "show": harness.audit_cli("show", self.first_event_id, "--store", store),
            "query": harness.audit_cli("query", "--store", store, "--format", "jsonl"),
            "query --principal": harness.audit_cli("query", "--store", store, "--principal", "AKIDALICE"),
            # More lines than records: the tail must read them all.
            "tail": harness.audit_cli("tail", "--store", store, "-n", "1000"),
            "export": harness.audit_cli("export", "--store", store, "--out", out),
            "stats": harness.audit_cli("stats", "--store", store),
            "verify": harness.audit_cli("verify", "--store", store),
        }

    def damaged_copy(self, name, damage):
        copy = os.path.join(self.tmp, name)
        shutil.copytree(self.store, copy)
        tables = sorted(glob.glob(os.path.join(copy, "*.sst")), key=os.path.getsize)
        self.assertTrue(tables, os.listdir(copy))
        damage(tables[-1])  # the largest table file holds the records
        return copy

    def assert_all_fail(self, store):
        for name, result in self.read_commands(store).items():
            self.assertNotEqual(result.returncode, 0, "%s must fail on a damaged store:\n%s%s" % (
                name, result.stdout[-1500:], result.stderr))
            self.assertRegex(result.stderr + result.stdout, r"(?i)corrupt|damaged|cannot|checksum", name)

    def test_read_commands_fail_on_a_damaged_table_file(self):
        self.assertEqual(self.proxy.stop(), 0)
        self.first_event_id = harness.audit_records(self.store, "--limit", "1")[0]["eventID"]
        for name, result in self.read_commands(self.store).items():
            self.assertEqual(result.returncode, 0, "%s on the intact store: %s" % (name, result.stderr))

        def flip(path):
            with open(path, "r+b") as f:
                f.seek(64)
                byte = f.read(1)
                f.seek(64)
                f.write(bytes([byte[0] ^ 0x5A]))
        self.assert_all_fail(self.damaged_copy("flipped", flip))

        def truncate(path):
            os.truncate(path, os.path.getsize(path) // 2)
        self.assert_all_fail(self.damaged_copy("truncated", truncate))

    def test_a_damaged_index_is_an_error_not_fewer_rows(self):
        self.assertEqual(self.proxy.stop(), 0)
        before = harness.audit_cli("query", "--store", self.store, "--principal", "AKIDALICE", "--format", "jsonl")
        self.assertEqual(before.returncode, 0, before.stderr)
        self.assertEqual(len(before.stdout.splitlines()), 31)
        copy = os.path.join(self.tmp, "index-damaged")
        shutil.copytree(self.store, copy)
        # The principal index's table file: the one holding the principal's
        # name and no record JSON.
        target = None
        for path in glob.glob(os.path.join(copy, "*.sst")):
            data = open(path, "rb").read()
            if b"AKIDALICE\x00" in data and b"eventVersion" not in data:
                target = path
        self.assertIsNotNone(target)
        data = bytearray(open(target, "rb").read())
        at = data.index(b"AKIDALICE\x00")
        data[at] ^= 0x01
        open(target, "wb").write(bytes(data))
        query = harness.audit_cli("query", "--store", copy, "--principal", "AKIDALICE")
        self.assertNotEqual(query.returncode, 0, query.stdout + query.stderr)
        verify = harness.audit_cli("verify", "--store", copy)
        self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
        self.assertIn("DAMAGED", verify.stdout)

    def assert_private(self, store):
        self.assertEqual(stat.S_IMODE(os.stat(store).st_mode), 0o700, store)
        loose = []
        for root, dirs, files in os.walk(store):
            for d in dirs:
                if stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode) != 0o700:
                    loose.append(d)
            for f in files:
                if stat.S_IMODE(os.stat(os.path.join(root, f)).st_mode) != 0o600:
                    loose.append("%s %o" % (f, stat.S_IMODE(os.stat(os.path.join(root, f)).st_mode)))
        self.assertEqual(loose, [], "files not private under umask 022")

    def test_store_is_private_under_umask_022(self):
        self.assert_private(self.store)  # while serving
        self.assertEqual(self.proxy.stop(), 0)
        self.assert_private(self.store)
        # A store made loose (an older version, a copy) is tightened at open.
        os.chmod(self.store, 0o755)
        for name in os.listdir(self.store):
            os.chmod(os.path.join(self.store, name), 0o644)
        self.proxy.start()
        self.assert_private(self.store)
        # Exports hold records: private too.
        out = os.path.join(self.tmp, "export")
        exported = harness.audit_cli("export", "--store", self.store, "--out", out)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        files = glob.glob(os.path.join(out, "**", "*.json"), recursive=True)
        self.assertTrue(files)
        for f in files:
            self.assertEqual(stat.S_IMODE(os.stat(f).st_mode), 0o600, f)


if __name__ == "__main__":
    unittest.main()
