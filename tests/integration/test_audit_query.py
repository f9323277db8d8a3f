"""`dynaudit audit` on a live store: while `serve` writes, query (each filter
compared with a brute-force filter over every record), the three output
formats, tail -n and tail -f, export into hourly CloudTrail files, stats;
then prune (refused while serve holds the store, exit 3; afterwards it removes
the old records and the chain still verifies).
"""

import datetime
import glob
import json
import os
import signal
import subprocess
import threading
import time
import unittest

import harness

PRINCIPALS = ("AKIDQONE", "AKIDQTWO", "AKIDQTHREE")
TABLES = ("q_orders", "q_users")


def rfc3339(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


class AuditQueryTest(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, overrides={"audit": {"path": "audit"}})
        self.store = self.proxy.audit_path
        for table in TABLES:
            self.call(PRINCIPALS[0], "CreateTable", {
                "TableName": table, "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"})
        self.batch(0)
        # A clear cut in time between the two batches, for --since/--until and prune.
        time.sleep(1.2)
        self.cut_ms = int(time.time() * 1000)
        time.sleep(1.2)
        self.batch(1)

    def call(self, principal, op, payload):
        return harness.signed_post(self.proxy.endpoint, payload, "DynamoDB_20120810." + op,
                                   key=(principal, "any-secret"))

    def batch(self, n):
        """A mix of principals, tables, operations and errors."""
        for i, principal in enumerate(PRINCIPALS):
            for table in TABLES:
                key = {"pk": {"S": "b%d-%d" % (n, i)}}
                self.call(principal, "PutItem", {"TableName": table, "Item": dict(key, v={"S": "x"})})
                self.call(principal, "GetItem", {"TableName": table, "Key": key})
                self.call(principal, "PutItem", {"TableName": table, "Item": key,
                                                 "ConditionExpression": "attribute_not_exists(pk)"})  # fails
        self.call(PRINCIPALS[1], "GetItem", {"TableName": "q_missing", "Key": {"pk": {"S": "x"}}})  # no such table
        self.call(PRINCIPALS[2], "Query", {"TableName": TABLES[0], "KeyConditionExpression": "pk = :p",
                                           "ExpressionAttributeValues": {":p": {"S": "b0-0"}}})
        harness.signed_post(self.proxy.endpoint, b"{not json", "DynamoDB_20120810.PutItem", key=(PRINCIPALS[2], "s"))

    def query(self, *args):
        proc = harness.audit_cli("query", "--store", self.store, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def ids(self, records):
        return [r["eventID"] for r in records]

    # ---- query -----------------------------------------------------------------

    def test_filters_match_brute_force(self):
        every = harness.audit_records(self.store)
        self.assertGreater(len(every), 30)
        seqs = [r["additionalEventData"]["sequence"] for r in every]
        self.assertEqual(seqs, sorted(seqs), "records come in sequence order")

        def tables_of(r):
            return [res["ARN"].rsplit("/", 1)[-1] for res in r["resources"]]

        def ms(r):
            return r["additionalEventData"]["eventTimeMs"]

        cases = [
            (("--principal", PRINCIPALS[1]), lambda r: r["userIdentity"]["principalId"] == PRINCIPALS[1]),
            (("--table", TABLES[1]), lambda r: TABLES[1] in tables_of(r)),
            (("--operation", "GetItem"), lambda r: r["eventName"] == "GetItem"),
            (("--decision", "allow"), lambda r: r["additionalEventData"]["decision"] == "allow"),
            (("--decision", "deny"), lambda r: r["additionalEventData"]["decision"] == "deny"),
            (("--error", "ConditionalCheckFailedException"),
             lambda r: r.get("errorCode") == "ConditionalCheckFailedException"),
            (("--error", "any"), lambda r: bool(r.get("errorCode"))),
            (("--since", rfc3339(self.cut_ms)), lambda r: ms(r) >= self.cut_ms),
            (("--until", rfc3339(self.cut_ms)), lambda r: ms(r) < self.cut_ms),
            (("--since", "1h"), lambda r: True),
            (("--until", "1h"), lambda r: False),
            (("--principal", PRINCIPALS[0], "--table", TABLES[0], "--operation", "PutItem",
              "--since", rfc3339(self.cut_ms)),
             lambda r: r["userIdentity"]["principalId"] == PRINCIPALS[0] and TABLES[0] in tables_of(r)
             and r["eventName"] == "PutItem" and ms(r) >= self.cut_ms),
            (("--operation", "GetItem", "--error", "ResourceNotFoundException"),
             lambda r: r["eventName"] == "GetItem" and r.get("errorCode") == "ResourceNotFoundException"),
        ]
        for args, keep in cases:
            with self.subTest(args=args):
                want = self.ids([r for r in every if keep(r)])
                got = self.ids(harness.audit_records(self.store, *args))
                self.assertEqual(got, want)
        self.assertTrue(harness.audit_records(self.store, "--error", "ConditionalCheckFailedException"))
        limited = harness.audit_records(self.store, "--operation", "PutItem", "--limit", "3")
        self.assertEqual(self.ids(limited), self.ids([r for r in every if r["eventName"] == "PutItem"][:3]))

    def test_formats(self):
        every = harness.audit_records(self.store)
        doc = json.loads(self.query("--format", "cloudtrail"))
        self.assertEqual(list(doc), ["Records"])
        self.assertEqual(doc["Records"], every)
        empty = json.loads(self.query("--format", "cloudtrail", "--principal", "nobody"))
        self.assertEqual(empty, {"Records": []})
        table = self.query("--format", "table").splitlines()
        self.assertEqual(table[0].split(), ["TIME", "SEQ", "PRINCIPAL", "OPERATION", "TABLES", "STATUS", "DECISION", "RULE"])
        self.assertEqual(len(table), len(every) + 1)
        # Aligned: every row's columns start where the header's do.
        starts = [table[0].index(h) for h in ("PRINCIPAL", "OPERATION")]
        for row, record in zip(table[1:], every):
            self.assertIn(record["userIdentity"]["principalId"] + "?", row[starts[0]:])  # trust mode: unverified
            self.assertEqual(row[starts[1]:].split()[0], record["eventName"])
        default = self.query()  # table is the default
        self.assertEqual(default.splitlines()[0], table[0])

    def test_usage_errors_exit_2(self):
        for args in (("--since", "yesterday"), ("--since", "2026-13-01T00:00:00Z"), ("--limit", "ten"),
                     ("--format", "xml"), ("--decision", "maybe"), ("--since", "1h", "--until", "2h"),
                     ("--bogus",)):
            with self.subTest(args=args):
                proc = harness.audit_cli("query", "--store", self.store, *args)
                self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
                self.assertTrue(proc.stderr.strip())
        nowhere = harness.audit_cli("query")
        self.assertEqual(nowhere.returncode, 2)
        self.assertIn("--store", nowhere.stderr)

    # ---- tail --------------------------------------------------------------------

    def test_tail_and_follow(self):
        every = harness.audit_records(self.store)
        proc = harness.audit_cli("tail", "--store", self.store, "-n", "5", "--format", "jsonl")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([json.loads(l)["eventID"] for l in proc.stdout.splitlines()], self.ids(every[-5:]))

        follower = subprocess.Popen(
            [harness.dynaudit_bin(), "audit", "tail", "-f", "-n", "0", "--interval", "100ms", "--store", self.store,
             "--format", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        self.addCleanup(follower.stderr.close)
        self.addCleanup(follower.stdout.close)
        self.addCleanup(lambda: follower.poll() is None and os.kill(follower.pid, signal.SIGKILL))
        lines = []
        reader = threading.Thread(target=lambda: [lines.append(l) for l in follower.stdout], daemon=True)
        reader.start()
        time.sleep(0.5)
        r = self.call(PRINCIPALS[2], "GetItem", {"TableName": TABLES[0], "Key": {"pk": {"S": "followed"}}})
        rid = r.header("x-amzn-RequestId")
        harness.wait_until(lambda: any(json.loads(l)["requestID"] == rid for l in lines), 15,
                           what="tail -f to print the new record")
        self.assertEqual(len(lines), 1, "tail -f -n 0 prints only new records: %s" % lines)
        os.kill(follower.pid, signal.SIGTERM)
        self.assertEqual(follower.wait(10), 0, follower.stderr.read())

    # ---- export ------------------------------------------------------------------

    def test_export_hourly_files(self):
        every = harness.audit_records(self.store)
        for fmt, ext in (("cloudtrail", "json"), ("jsonl", "jsonl")):
            with self.subTest(format=fmt):
                out = os.path.join(self.tmp, "export-" + fmt)
                proc = harness.audit_cli("export", "--store", self.store, "--out", out, "--format", fmt)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                files = sorted(glob.glob(os.path.join(out, "*", "*", "*", "dynaudit_*." + ext)))
                self.assertTrue(files, os.listdir(out))
                exported = []
                for path in files:
                    with open(path) as f:
                        if fmt == "cloudtrail":
                            records = json.load(f)["Records"]
                        else:
                            records = [json.loads(l) for l in f if l.strip()]
                    for r in records:
                        t = r["eventTime"]  # 2026-11-29T16:05:01Z -> 2026/11/29/dynaudit_20261129T1600Z
                        want = os.path.join(out, t[0:4], t[5:7], t[8:10],
                                            "dynaudit_%s%s%sT%s00Z.%s" % (t[0:4], t[5:7], t[8:10], t[11:13], ext))
                        self.assertEqual(path, want)
                    exported += records
                self.assertEqual(sorted(self.ids(exported)), sorted(self.ids(every)))
                # Exporting again replaces the files rather than appending.
                again = harness.audit_cli("export", "--store", self.store, "--out", out, "--format", fmt)
                self.assertEqual(again.returncode, 0, again.stderr)
                total = 0
                for path in files:
                    with open(path) as f:
                        total += len(json.load(f)["Records"]) if fmt == "cloudtrail" else sum(1 for l in f if l.strip())
                self.assertEqual(total, len(every))

    # ---- stats and prune -----------------------------------------------------------

    def test_stats_and_prune(self):
        every = harness.audit_records(self.store)
        stats = harness.audit_cli("stats", "--store", self.store, "--json")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        s = json.loads(stats.stdout)
        self.assertEqual(s["records"], len(every))
        self.assertEqual(s["last_sequence"], every[-1]["additionalEventData"]["sequence"])

        busy = harness.audit_cli("prune", "--store", self.store, "--before", rfc3339(self.cut_ms))
        self.assertEqual(busy.returncode, 3, busy.stdout + busy.stderr)
        self.assertIn("in use by process %d" % self.proxy.pid, busy.stderr)
        dry = harness.audit_cli("prune", "--store", self.store, "--before", rfc3339(self.cut_ms), "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        old = [r for r in every if r["additionalEventData"]["eventTimeMs"] < self.cut_ms]
        self.assertIn("would remove %d records" % len(old), dry.stdout)

        self.assertEqual(self.proxy.stop(), 0)
        pruned = harness.audit_cli("prune", "--store", self.store, "--before", rfc3339(self.cut_ms))
        self.assertEqual(pruned.returncode, 0, pruned.stdout + pruned.stderr)
        self.assertIn("removed %d records" % len(old), pruned.stdout)
        kept = harness.audit_records(self.store)
        self.assertEqual(self.ids(kept), self.ids([r for r in every if r not in old]))
        verify = harness.audit_verify(self.store)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        after = json.loads(harness.audit_cli("stats", "--store", self.store, "--json").stdout)
        self.assertEqual(after["records"], len(kept))
        self.assertEqual(after["first_sequence"], kept[0]["additionalEventData"]["sequence"])
        # The proxy appends after the prune point as before, and the chain holds.
        self.proxy.start()
        self.call(PRINCIPALS[0], "GetItem", {"TableName": TABLES[0], "Key": {"pk": {"S": "again"}}})
        verify = harness.audit_verify(self.store)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)


if __name__ == "__main__":
    unittest.main()
