"""Tamper evidence: damage a real audit store behind dynaudit's back with
tests/tools/audit_tamper (RocksDB opened directly) and check that
`dynaudit audit verify` exits 1 and names the damaged sequence number: one
byte flipped (still valid JSON, and not), a record deleted (in the middle and
at the end), two records swapped, and checkpoints signed with another key.
Each damage is done to its own copy of the same intact store.
"""

import os
import re
import shutil
import subprocess
import unittest

import harness

TABLE = "audit_tamper"


class AuditTamperTest(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys)
        self.private_key = os.path.join(keys, "checkpoint.pem")
        self.public_key = os.path.join(keys, "checkpoint.pub.pem")
        gen = harness.audit_cli("keygen", "--private-key", self.private_key, "--public-key", self.public_key)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        self.assertEqual(os.stat(self.private_key).st_mode & 0o777, 0o600)

        dynalite = self.start_dynalite()
        proxy = self.start_dynaudit(dynalite, overrides={"audit": {
            "path": "audit", "durability": "sync", "checkpoint_key_file": self.private_key,
            "checkpoint_every_records": 5, "checkpoint_interval": "1h"}})
        harness.signed_post(proxy.endpoint, {
            "TableName": TABLE, "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"},
            "DynamoDB_20120810.CreateTable")
        for i in range(24):
            r = harness.signed_post(proxy.endpoint, {"TableName": TABLE, "Item": {"pk": {"S": "k%d" % i}}},
                                    "DynamoDB_20120810.PutItem")
            self.assertEqual(r.status, 200, r)
        self.assertEqual(proxy.stop(), 0)
        self.store = proxy.audit_path
        self.sequences = self.tamper(self.store, "list")
        self.sequences = [int(line.split()[0]) for line in self.sequences.splitlines()]
        self.assertEqual(len(self.sequences), 25)
        self.assertEqual(self.sequences, list(range(self.sequences[0], self.sequences[0] + 25)))
        intact = harness.audit_verify(self.store, "--public-key", self.public_key)
        self.assertEqual(intact.returncode, 0, intact.stdout + intact.stderr)
        self.assertRegex(intact.stdout, r"OK: 25 records")

    def tamper(self, store, *args):
        proc = subprocess.run([harness.tamper_bin(), store, *[str(a) for a in args]], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def damaged_copy(self, name, *tamper_args):
        copy = os.path.join(self.tmp, "copy-" + name)
        shutil.copytree(self.store, copy)
        if tamper_args:
            self.tamper(copy, *tamper_args)
        return copy

    def assert_names(self, store, sequence, *verify_args):
        result = harness.audit_verify(store, *verify_args)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, "verify must exit 1 on damage:\n" + output)
        self.assertIn("DAMAGED", result.stdout)
        self.assertRegex(result.stdout, r"\bsequence %d\b" % sequence,
                         "verify must name sequence %d:\n%s" % (sequence, output))
        return result.stdout

    def test_flipped_byte_still_valid_json(self):
        seq = self.sequences[10]
        before = self.tamper(self.store, "get", seq)
        store = self.damaged_copy("flip", "flip", seq)
        after = self.tamper(store, "get", seq)
        self.assertNotEqual(before, after)
        self.assertIn('"eventName":"putItem"', after)  # the tool's default: one letter's case
        self.assert_names(store, seq)

    def test_flipped_byte_breaking_the_json(self):
        seq = self.sequences[3]
        store = self.damaged_copy("flip0", "flip", seq, 0, "0x01")  # '{' becomes 'z'
        self.assert_names(store, seq)

    def test_flipped_last_record(self):
        # No successor's previousHash points at it: only its own hash can tell.
        seq = self.sequences[-1]
        store = self.damaged_copy("fliplast", "flip", seq)
        self.assert_names(store, seq)

    def test_deleted_record(self):
        seq = self.sequences[12]
        store = self.damaged_copy("delete", "delete", seq)
        out = self.assert_names(store, seq)
        self.assertRegex(out, r"(?i)missing")

    def test_deleted_last_record(self):
        # Truncating the log must not pass for a shorter intact one: the
        # store's own last sequence (and the checkpoints) still name it.
        seq = self.sequences[-1]
        store = self.damaged_copy("deletelast", "delete", seq)
        self.assert_names(store, seq)

    def test_swapped_records(self):
        a, b = self.sequences[7], self.sequences[15]
        store = self.damaged_copy("swap", "swap", a, b)
        self.assert_names(store, a)

    def test_checkpoints_signed_by_another_key(self):
        other_private = os.path.join(self.tmp, "other.pem")
        other_public = os.path.join(self.tmp, "other.pub.pem")
        gen = harness.audit_cli("keygen", "--private-key", other_private, "--public-key", other_public)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        result = harness.audit_verify(self.store, "--public-key", other_public)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"(?i)signature")

    def test_verify_usage_errors_exit_2(self):
        missing = harness.audit_verify(os.path.join(self.tmp, "no-such-store"))
        self.assertEqual(missing.returncode, 2, missing.stdout + missing.stderr)
        bad_key = os.path.join(self.tmp, "not-a-key.pem")
        with open(bad_key, "w") as f:
            f.write("hello\n")
        wrong = harness.audit_verify(self.store, "--public-key", bad_key)
        self.assertEqual(wrong.returncode, 2, wrong.stdout + wrong.stderr)
        extra = harness.audit_cli("verify", "--store", self.store, "--no-such-flag")
        self.assertEqual(extra.returncode, 2, extra.stdout + extra.stderr)
        keygen_again = harness.audit_cli("keygen", "--private-key", self.private_key, "--public-key", self.public_key)
        self.assertEqual(keygen_again.returncode, 2, "keygen must not replace keys without --force")
        self.assertTrue(re.search(r"--force", keygen_again.stderr), keygen_again.stderr)


if __name__ == "__main__":
    unittest.main()
