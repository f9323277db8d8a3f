"""Compliance reports end to end (docs/compliance.md).

A scripted session through a real dynaudit in front of dynalite, by boto3
with two keys: alice reads customers (card numbers masked by a rule, e-mail
addresses in clear) and creates a table; bob's Scan is denied by a rule.
Discovery samples the replies. `dynaudit report` then writes the JSON report,
which must validate against docs/report.schema.json and whose control rows
must cite the session's own records (the denied scan under access control,
a masked read under PCI DSS 3.4.1, the CreateTable under administrative
actions, the witness under 10.3.2); and the HTML report, which Debian's headless Chromium renders with
no console error, no request at all, and no element wider than the page, at
1280 px and at 420 px. The screenshots are kept in build/test-artifacts/.
"""

import json
import os
import shutil
import subprocess
import unittest

import harness as h

TABLE = "customers"
ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")
ARTIFACTS = os.path.join(h.REPO_ROOT, "build", "test-artifacts")


def client(endpoint, key):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=h.REGION)
    return session.client("dynamodb", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))


def report(config, out, *args):
    return subprocess.run([h.dynaudit_bin(), "report", "--config", config, "--since", "1h", "--out", out, *args],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@unittest.skipUnless(os.access("/usr/bin/chromium", os.X_OK), "needs Debian's chromium (./dev setup installs it)")
class ReportTest(h.IntegrationTest):

    def test_a_scripted_session_gives_a_report_that_cites_it(self):
        dynalite = self.start_dynalite()
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            json.dump({"rules": [
                {"id": "bob-no-scan", "when": {"principal": "bob", "operation": "Scan"}, "effect": "deny",
                 "message": "bob may not scan", "tags": ["pci-dss:7.2"]},
                {"id": "mask-card", "when": {"table": TABLE},
                 "mask": [{"path": "card_number", "method": "partial", "keep_last": 4}], "tags": ["pci-dss:3.4.1"]},
            ]}, f)
        private_key = os.path.join(self.tmp, "checkpoint.pem")
        public_key = os.path.join(self.tmp, "checkpoint.pub.pem")
        gen = h.audit_cli("keygen", "--private-key", private_key, "--public-key", public_key)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        witness = os.path.join(self.tmp, "witness-host", "witness.jsonl")
        os.makedirs(os.path.dirname(witness))
        d = h.Dynaudit(self.tmp, dynalite, mode="verify",
                       credentials=[(ALICE[0], ALICE[1], "alice", []), (BOB[0], BOB[1], "bob", [])],
                       overrides={"rules": {"files": [rules_path], "watch_interval": "100ms"},
                                  "audit": {"checkpoint_key_file": private_key, "checkpoint_active_interval": "200ms",
                                            "witness": {"file": witness}},
                                  "discovery": {"sample_interval": "1ms", "persist_interval": "1s"}})
        direct = client(dynalite.endpoint, ("AKIDLOADER", "x"))
        direct.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        for i in range(3):
            direct.put_item(TableName=TABLE, Item={"pk": {"S": "c%d" % i}, "card_number": {"S": "4111111111111111"},
                                                  "email": {"S": "jane%d@example.com" % i}})
        self.addCleanup(self._stop_dynaudit, d, True)
        d.start()
        alice, bob = client(d.endpoint, ALICE), client(d.endpoint, BOB)
        self.assertEqual(len(alice.scan(TableName=TABLE)["Items"]), 3)
        alice.get_item(TableName=TABLE, Key={"pk": {"S": "c1"}})
        alice.create_table(TableName="scratch", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        with self.assertRaises(Exception):
            bob.scan(TableName=TABLE)
        # The rules change twice: a broken file (refused, the old rules keep
        # running), then one more rule (applied). Both go into the chain.
        with open(rules_path) as f:
            good_rules = json.load(f)
        def replace_rules(text):   # whole, by rename: the watcher never sees half a file
            with open(rules_path + ".new", "w") as f:
                f.write(text)
            os.replace(rules_path + ".new", rules_path)
        replace_rules("rules:\n  - id: broken\n    effect: maybe\n")
        rules_status = lambda: json.loads(d.admin_get("/rules")[1])
        h.wait_until(lambda: rules_status()["failed_reloads"] == 1, timeout=10, what="the refused reload")
        good_rules["rules"].append({"id": "log-deletes", "when": {"operation": "DeleteItem"}, "effect": "allow"})
        replace_rules(json.dumps(good_rules))
        h.wait_until(lambda: rules_status()["reloads"] == 1, timeout=10, what="the applied reload")
        fingerprint_now = rules_status()["fingerprint"]
        self.assertEqual(d.stop(), 0, d.stderr_text()[-2000:])  # the inventory is saved at the latest now

        records = h.audit_records(d.audit_path)
        denied_scan = next(r for r in records if r["eventName"] == "Scan" and r["userIdentity"]["principalId"] == "bob")
        masked_read = next(r for r in records if r["eventName"] in ("Scan", "GetItem")
                           and r["userIdentity"]["principalId"] == "alice")
        create = next(r for r in records if r["eventName"] == "CreateTable")

        out_json = os.path.join(self.tmp, "report.json")
        proc = report(d.config_path, out_json, "--public-key", public_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out_json) as f:
            doc = json.load(f)
        validate = subprocess.run(
            [h.DEBIAN_PYTHON, "-c",
             "import json,sys,jsonschema;jsonschema.validate(json.load(open(sys.argv[1])),json.load(open(sys.argv[2])))",
             out_json, os.path.join(h.REPO_ROOT, "docs", "report.schema.json")], capture_output=True, text=True)
        self.assertEqual(validate.returncode, 0, validate.stderr)

        rows = {(c["framework"], c["id"]): c for c in doc["controls"]}
        self.assertEqual(len(rows), 12)
        access = rows[("PCI DSS 4.0", "7.2.1")]
        self.assertEqual(access["status"], "met")
        self.assertIn(denied_scan["eventID"], access["eventIds"])
        self.assertIn(denied_scan["eventID"], rows[("HIPAA", "164.312(a)(1)")]["eventIds"])
        pan = rows[("PCI DSS 4.0", "3.4.1")]
        self.assertEqual(pan["status"], "met", pan)
        self.assertIn(masked_read["eventID"], pan["eventIds"])
        admin = rows[("PCI DSS 4.0", "10.2.1.2")]
        self.assertEqual(admin["status"], "met")
        self.assertIn(create["eventID"], admin["eventIds"])
        gdpr = rows[("GDPR", "Art. 32")]
        self.assertEqual(gdpr["status"], "gap")   # e-mail addresses are read in clear
        self.assertTrue(any("customers.email" in e for e in gdpr["evidence"]), gdpr)
        integrity = rows[("PCI DSS 4.0", "10.3.2")]
        self.assertEqual(integrity["status"], "met", integrity)  # signed checkpoints, and a witness that matches
        self.assertTrue(any("the witness matches" in e for e in integrity["evidence"]), integrity)
        self.assertTrue(doc["integrity"]["chainVerified"])
        self.assertGreater(doc["integrity"]["checkpointsChecked"], 0)
        self.assertTrue(doc["integrity"]["witness"]["configured"])
        self.assertTrue(doc["integrity"]["witness"]["matches"])
        self.assertGreater(doc["integrity"]["witness"]["entriesChecked"], 0)
        self.assertEqual(doc["integrity"]["calls"],
                         len([r for r in records if r["eventName"] not in ("AuditCheckpoint", "RulesLoad")]))
        # The rule set's history: the start, the refused reload, the applied one.
        loads = [r for r in records if r["eventName"] == "RulesLoad"]
        history = doc["ruleSet"]["history"]
        self.assertEqual([(c["trigger"], c["applied"], c["rules"]) for c in history],
                         [("start", True, 2), ("file change", False, 2), ("file change", True, 3)])
        self.assertEqual([c["eventID"] for c in history], [r["eventID"] for r in loads])
        self.assertEqual(history[0]["fingerprint"], history[1]["fingerprint"])   # refused: nothing changed
        self.assertEqual(history[2]["fingerprint"], fingerprint_now)
        self.assertIn(":3:", history[1]["errors"][0])
        self.assertEqual((doc["ruleSet"]["changes"], doc["ruleSet"]["refused"]), (3, 1))
        change = rows[("SOX", "ITGC change management")]
        self.assertEqual(change["status"], "met")
        self.assertTrue(set(c["eventID"] for c in history) <= set(change["eventIds"]), change)
        self.assertIn(create["eventID"], change["eventIds"])
        # Without the witness (another path), the same control is a gap that says so.
        bare_json = os.path.join(self.tmp, "bare.json")
        proc = subprocess.run([h.dynaudit_bin(), "report", "--store", d.audit_path, "--since", "1h", "--out", bare_json],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(bare_json) as f:
            bare = {(c["framework"], c["id"]): c for c in json.load(f)["controls"]}
        self.assertEqual(bare[("PCI DSS 4.0", "10.3.2")]["status"], "gap")
        self.assertTrue(any("no witness" in e for e in bare[("PCI DSS 4.0", "10.3.2")]["evidence"]))
        self.assertEqual(doc["denied"]["total"], 1)
        self.assertEqual(doc["privileged"]["total"], 1)
        self.assertEqual(doc["sensitiveData"]["unmasked"], 1)
        # The same numbers whether the period is tallied during verification
        # (an intact chain) or read again through the time index (a broken
        # one: verification stops at the break).
        broken_store = os.path.join(self.tmp, "broken-store")
        shutil.copytree(d.audit_path, broken_store)
        stored = subprocess.run([h.tamper_bin(), broken_store, "get", "3"], capture_output=True, timeout=60).stdout
        at = stored.index(b'"userAgent":"') + len(b'"userAgent":"')   # an edit the tallies do not read
        flip = subprocess.run([h.tamper_bin(), broken_store, "flip", "3", str(at), "32"], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(flip.returncode, 0, flip.stderr)
        broken_json = os.path.join(self.tmp, "broken.json")
        proc = subprocess.run([h.dynaudit_bin(), "report", "--store", broken_store, "--since", "1h", "--out", broken_json],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(broken_json) as f:
            broken = json.load(f)
        self.assertFalse(broken["integrity"]["chainVerified"])
        self.assertIn("record 3", broken["integrity"]["problem"])
        for key in ("denied", "privileged", "maskedReplies"):
            self.assertEqual(broken[key], doc[key], key)
        self.assertEqual(broken["ruleSet"], doc["ruleSet"])
        self.assertEqual(broken["activity"], doc["activity"])
        self.assertEqual(broken["integrity"]["calls"], doc["integrity"]["calls"])

        out_html = os.path.join(self.tmp, "report.html")
        proc = report(d.config_path, out_html, "--framework", "all")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out_html) as f:
            html = f.read()
        self.assertIn(denied_scan["eventID"], html)
        self.assertNotIn("4111111111111111", html)
        self.assertNotIn("jane0@example.com", html)
        os.makedirs(ARTIFACTS, exist_ok=True)
        for width in (1280, 420):
            shot = os.path.join(ARTIFACTS, "report-%d.png" % width)
            check = subprocess.run([h.NODE, os.path.join(h.CLIENTS, "page_check.js"), out_html, shot, str(width)],
                                   capture_output=True, text=True, timeout=120, cwd=h.REPO_ROOT)
            self.assertEqual(check.returncode, 0, check.stderr)
            result = json.loads(check.stdout.strip().splitlines()[-1])
            self.assertEqual(result["consoleErrors"], [], result)
            self.assertEqual(result["pageErrors"], [], result)
            self.assertEqual(result["requests"], [], result)
            self.assertEqual(result["failedRequests"], [], result)
            self.assertEqual(result["tooWide"], [], result)
            self.assertIn("Control mapping", result["sections"])
            self.assertGreater(os.path.getsize(shot), 10_000)
        shutil.copy(out_html, os.path.join(ARTIFACTS, "report.html"))
        shutil.copy(out_json, os.path.join(ARTIFACTS, "report.json"))

        # PDF, printed by the same Chromium.
        out_pdf = os.path.join(self.tmp, "report.pdf")
        proc = report(d.config_path, out_pdf)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out_pdf, "rb") as f:
            self.assertEqual(f.read(5), b"%PDF-")


if __name__ == "__main__":
    unittest.main()
