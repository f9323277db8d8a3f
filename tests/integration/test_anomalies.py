"""Behaviour analytics end to end (docs/anomalies.md).

A store holds two weeks of one principal's ordinary calls (one GetItem a
minute on `customers`, from 127.0.0.1, with boto3), written through the
storage module as serve writes them. `dynaudit anomalies learn` builds the
baselines from that history; `dynaudit serve` loads them, and boto3 then
reads the whole table through the proxy with a paginated Scan — a bulk read
by a principal that never returns more than one item a minute. The alert
must arrive at a real webhook receiver, the Anomaly record must be in the
chain (and the chain verify), and `anomalies list/show/explain` must tell
the story. A second principal with no history does the same and raises
nothing (it is still learning). A restart keeps what was learned.
"""

import json
import os
import subprocess
import unittest

import harness as h

TABLE = "customers"
ITEMS = 700
ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")


def history_bin():
    path = os.path.join(h.REPO_ROOT, "build", "bin", "audit_history")
    if not os.access(path, os.X_OK):
        raise RuntimeError("audit_history not found at %s: build it (ninja audit_history)" % path)
    return path


def anomalies_cli(*args, timeout=120.0):
    return subprocess.run([h.dynaudit_bin(), "anomalies", *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def client(endpoint, key):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=h.REGION)
    return session.client("dynamodb", endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1}, read_timeout=15))


class AnomaliesTest(h.IntegrationTest):

    def test_bulk_read_after_a_learned_history_alerts_a_webhook(self):
        dynalite = self.start_dynalite()
        hook = h.WebhookReceiver()
        self.addCleanup(hook.stop)
        d = h.Dynaudit(self.tmp, dynalite, mode="verify",
                       credentials=[(ALICE[0], ALICE[1], "alice", []), (BOB[0], BOB[1], "bob", [])],
                       overrides={
                           "alerts": {"channels": [{"name": "soc", "type": "webhook", "url": hook.url("/soc")}]},
                           "analytics": {"alerts": [{"channel": "soc", "min_severity": "medium"}],
                                         "persist_interval": "1s"},
                       })
        store = d.audit_path

        # Two weeks of history, then the baselines learned from it.
        history = subprocess.run([history_bin(), store, "alice", ALICE[0], "14", "1", TABLE, "127.0.0.1",
                                  "Boto3/1.26.27 md/Botocore#1.29.27 ua/2.0"],
                                 capture_output=True, text=True, timeout=300)
        self.assertEqual(history.returncode, 0, history.stderr)
        learn = anomalies_cli("learn", "--config", d.config_path, "--since", "30d")
        self.assertEqual(learn.returncode, 0, learn.stderr)
        self.assertIn("baselines of 1 principals", learn.stdout)

        # The table, filled straight at dynalite (not a call through the proxy).
        direct = client(dynalite.endpoint, ("AKIDLOADER", "x"))
        direct.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        for start in range(0, ITEMS, 25):
            direct.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": {"pk": {"S": "k%d" % i}, "name": {"S": "customer %d" % i}}}}
                for i in range(start, min(start + 25, ITEMS))]})

        self.addCleanup(self._stop_dynaudit, d, True)
        d.start()
        self.assertIn("loaded the baselines of 1 principals", d.stderr_text())
        alice = client(d.endpoint, ALICE)
        bob = client(d.endpoint, BOB)

        # Ordinary: one item, as always. Nothing to say.
        alice.get_item(TableName=TABLE, Key={"pk": {"S": "k1"}})
        # Bob has no history: the same bulk read is not judged while he is learning.
        self.assertEqual(sum(p["Count"] for p in bob.get_paginator("scan").paginate(TableName=TABLE)), ITEMS)
        # The attack: Alice's key reads the whole table.
        self.assertEqual(sum(p["Count"] for p in alice.get_paginator("scan").paginate(TableName=TABLE)), ITEMS)

        h.wait_until(lambda: any((p["json"] or {}).get("rule") == "anomaly:items_returned" for p in hook.received("/soc")),
                     timeout=15, what="the items_returned anomaly at the webhook")
        alerts = [p["json"] for p in hook.received("/soc")]
        self.assertTrue(all(a["principal"] == "alice" for a in alerts), alerts)
        alert = next(a for a in alerts if a["rule"] == "anomaly:items_returned")
        self.assertIn(alert["severity"], ("medium", "high", "critical"))
        self.assertEqual(alert["tables"], [TABLE])
        self.assertIn("items_returned within one minute", alert["message"])

        # The Anomaly record is in the chain, and the CLI tells the story.
        listed = anomalies_cli("list", "--config", d.config_path, "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
        items = [r for r in rows if r["anomaly"]["feature"] == "items_returned"]
        self.assertEqual(len(items), 1, rows)
        row = items[0]
        self.assertEqual(row["anomalyEventID"], alert["eventId"])
        a = row["anomaly"]
        self.assertEqual(a["principal"], "alice")
        self.assertGreater(a["observed"], a["threshold"])
        self.assertGreaterEqual(a["observed"], ITEMS)
        self.assertLess(a["baseline"], 5)
        self.assertTrue(all(r["anomaly"]["principal"] == "alice" for r in rows), rows)

        # The call that crossed the line is a record too: Alice's Scan.
        call = h.audit_records(store, "--principal", "alice", "--operation", "Scan")
        self.assertIn(a["eventID"], [c["eventID"] for c in call])

        shown = anomalies_cli("show", "--config", d.config_path, row["anomalyEventID"])
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("items_returned (rate_1m)", shown.stdout)
        explained = anomalies_cli("explain", "--config", d.config_path, row["anomalyEventID"])
        self.assertEqual(explained.returncode, 0, explained.stderr)
        self.assertIn("alice: ", explained.stdout)
        self.assertIn("usual is", explained.stdout)
        not_an_anomaly = anomalies_cli("show", "--config", d.config_path, a["eventID"])
        self.assertEqual(not_an_anomaly.returncode, 1)
        self.assertIn("not an Anomaly", not_an_anomaly.stderr)

        # Metrics count it.
        metrics = d.admin_get("/metrics")[1].decode()
        self.assertRegex(metrics, r"(?m)^dynaudit_anomalies_total [1-9]")

        # learn refuses while serve holds the store.
        busy = anomalies_cli("learn", "--config", d.config_path)
        self.assertEqual(busy.returncode, 3, busy.stderr)

        # A restart keeps what was learned (both principals now).
        self.assertEqual(d.stop(), 0, d.stderr_text()[-2000:])
        verified = h.audit_verify(store)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        d.start()
        self.assertIn("loaded the baselines of 2 principals", d.stderr_text())


if __name__ == "__main__":
    unittest.main()
