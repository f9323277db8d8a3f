"""Passive sensitive-data discovery end to end (docs/discovery.md).

A table holds items with planted sensitive attributes — a card number a mask
rule covers, another card number nothing masks, an SSN, an e-mail address, a
date of birth — and planted near-misses: an order number that fails Luhn, a
creation date, free text. boto3 reads them through a real dynaudit in front of
dynalite. The inventory must list exactly the planted attributes with their
classes, which rule masked each for the caller or that the caller read it in
clear, and never a near-miss; `discover suggest-rules` must write mask rules for
what nothing masks that `dynaudit rules check` accepts; the inventory must
survive a restart; no sampled value may reach the inventory.
"""

import http.client
import json
import os
import subprocess
import unittest

import harness as h

TABLE = "customers"
ALICE = ("AKIDALICE", "alice-secret")
CARD_MASKED = "4111111111111111"
CARD_CLEAR = "5500000000000004"
SSN = "123-45-6780"


def discover_cli(*args, timeout=120.0):
    return subprocess.run([h.dynaudit_bin(), "discover", *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def client(endpoint, key):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=h.REGION)
    return session.client("dynamodb", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))


class DiscoveryTest(h.IntegrationTest):

    def test_planted_attributes_are_found_and_near_misses_are_not(self):
        dynalite = self.start_dynalite()
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            json.dump({"rules": [{"id": "mask-card", "when": {"table": TABLE},
                                  "mask": [{"path": "card_number", "method": "partial", "keep_last": 4}]}]}, f)
        d = h.Dynaudit(self.tmp, dynalite, mode="verify", credentials=[(ALICE[0], ALICE[1], "alice", [])],
                       overrides={"rules": {"files": [rules_path]},
                                  "discovery": {"sample_interval": "1ms", "persist_interval": "1s"}})
        direct = client(dynalite.endpoint, ("AKIDLOADER", "x"))
        direct.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        for i in range(3):
            direct.put_item(TableName=TABLE, Item={
                "pk": {"S": "customer-%d" % i},
                "card_number": {"S": CARD_MASKED},
                "billing": {"M": {"backup_card": {"S": CARD_CLEAR}}},
                "ssn": {"S": SSN},
                "contact": {"L": [{"M": {"email": {"S": "jane%d@example.com" % i}}}]},
                "dob": {"S": "1984-02-29"},
                "order_id": {"S": "4111111111111112"},   # fails Luhn
                "created_at": {"S": "1984-02-29"},       # a date, not of birth
                "notes": {"S": "call after five, ask for the manager"},
            })

        self.addCleanup(self._stop_dynaudit, d, True)
        d.start()
        alice = client(d.endpoint, ALICE)
        items = alice.scan(TableName=TABLE)["Items"]
        self.assertEqual(len(items), 3)
        self.assertTrue(all(item["card_number"]["S"].endswith("1111") and "*" in item["card_number"]["S"]
                            for item in items))
        alice.get_item(TableName=TABLE, Key={"pk": {"S": "customer-1"}})

        def inventory():
            proc = discover_cli("list", "--config", d.config_path, "--json")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return {(e["path"], e["class"]): e for e in (json.loads(l) for l in proc.stdout.splitlines() if l.strip())}

        expected = {("card_number", "card_number"), ("billing.backup_card", "card_number"), ("ssn", "us_ssn"),
                    ("contact[*].email", "email"), ("dob", "date_of_birth")}
        h.wait_until(lambda: expected <= set(inventory()), timeout=15, what="the planted attributes in the inventory")
        found = inventory()
        self.assertEqual(set(found), expected, found)   # and nothing else: no near-miss
        self.assertTrue(all(e["table"] == TABLE for e in found.values()))
        masked = found[("card_number", "card_number")]
        self.assertEqual(masked["status"], "masked")
        self.assertEqual(masked["maskRule"], "mask-card")
        self.assertEqual(masked["clearReaders"], [])
        clear = found[("billing.backup_card", "card_number")]
        self.assertEqual(clear["status"], "UNMASKED")
        self.assertEqual(clear["clearReaders"], ["alice"])
        self.assertGreaterEqual(clear["values"], 3)
        self.assertGreaterEqual(found[("ssn", "us_ssn")]["confidence"], 0.9)

        # Rules for what nothing masks, which the rule loader accepts.
        suggested = os.path.join(self.tmp, "suggested.yaml")
        proc = discover_cli("suggest-rules", "--config", d.config_path, "--out", suggested)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(suggested) as f:
            text = f.read()
        self.assertIn('path: "billing.backup_card"', text)
        self.assertIn('path: "ssn"', text)
        self.assertIn('path: "contact[*].email", method: email', text)
        self.assertNotIn('path: "card_number"', text)
        check = subprocess.run([h.dynaudit_bin(), "rules", "check", suggested], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

        metrics = d.admin_get("/metrics")[1].decode()
        self.assertRegex(metrics, r"(?m)^dynaudit_discovery_samples_total [1-9]")
        self.assertRegex(metrics, r"(?m)^dynaudit_discovery_inventory_entries 5$")

        # No sampled value is in the store's inventory (or anywhere in its files).
        self.assertEqual(d.stop(), 0, d.stderr_text()[-2000:])
        store = d.audit_path
        for root, _, files in os.walk(store):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                self.assertNotIn(CARD_CLEAR.encode(), data, name)
                self.assertNotIn(SSN.encode(), data, name)
        # It survives the restart.
        self.assertEqual(set(inventory()), expected)

    def test_an_active_scan_reads_as_dynaudit_through_the_rules_and_the_audit_log(self):
        dynalite = self.start_dynalite()
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            json.dump({"rules": [
                {"id": "mask-mail", "when": {"table": "patients"},
                 "mask": [{"path": "mail", "method": "email"}]},
                {"id": "no-scan-of-payroll", "when": {"principal": "dynaudit:discovery", "table": "payroll"},
                 "effect": "deny", "message": "payroll is not sampled"},
            ]}, f)
        token = "t0ken-" + "9" * 40
        token_path = os.path.join(self.tmp, "admin-token")
        with open(token_path, "w") as f:
            f.write(token + "\n")
        os.chmod(token_path, 0o600)
        d = h.Dynaudit(self.tmp, dynalite, mode="verify", credentials=[(ALICE[0], ALICE[1], "alice", [])],
                       overrides={"rules": {"files": [rules_path]},
                                  "discovery": {"sample_interval": "1h", "persist_interval": "1h",
                                                "scan": {"enabled": True, "token_file": token_path,
                                                         "max_items": 200}}})
        direct = client(dynalite.endpoint, ("AKIDLOADER", "x"))
        for table in ("patients", "payroll"):
            direct.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                BillingMode="PAY_PER_REQUEST")
        for i in range(250):
            direct.put_item(TableName="patients", Item={
                "pk": {"S": "p%03d" % i}, "ssn": {"S": SSN}, "mail": {"S": "pat%d@example.com" % i},
                "order_id": {"S": "4111111111111112"}})
        self.addCleanup(self._stop_dynaudit, d, True)
        d.start()

        # No client has read anything: the inventory is empty until the scan.
        proc = discover_cli("scan", "--config", d.config_path, "--admin", "127.0.0.1:%d" % d.admin_port,
                            "--table", "patients", "--sample", 150, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        answer = json.loads(proc.stdout)
        self.assertEqual(answer["status"], 200)
        self.assertEqual(answer["items"], 150)
        self.assertEqual(answer["pages"], 2)             # 100 items a page
        self.assertEqual(answer["pagesSampled"], 2)
        self.assertTrue(answer["saved"])
        self.assertEqual(answer["principal"], "dynaudit:discovery")

        proc = discover_cli("list", "--config", d.config_path, "--table", "patients", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        found = {(e["path"], e["class"]): e for e in (json.loads(l) for l in proc.stdout.splitlines() if l.strip())}
        self.assertEqual(set(found), {("ssn", "us_ssn"), ("mail", "email")}, found)   # not the order number
        self.assertEqual(found[("ssn", "us_ssn")]["status"], "UNMASKED")
        self.assertEqual(found[("ssn", "us_ssn")]["values"], 150)
        self.assertEqual(found[("ssn", "us_ssn")]["clearReaders"], [])   # the scan is nobody's read
        self.assertEqual(found[("mail", "email")]["maskRule"], "mask-mail")

        # Each page is a call in the audit log, by dynaudit's own principal.
        scans = h.audit_records(d.audit_path, "--principal", "dynaudit:discovery")
        self.assertEqual(len(scans), 2)
        self.assertTrue(all(r["eventName"] == "Scan" and r["userIdentity"]["type"] == "dynaudit" for r in scans))
        self.assertEqual(sorted(r["requestID"] for r in scans), sorted(answer["requestIds"]))
        self.assertNotIn(SSN, json.dumps(scans))

        # The rules decide dynaudit's scan like any call: denied, and recorded.
        proc = discover_cli("scan", "--config", d.config_path, "--admin", "127.0.0.1:%d" % d.admin_port,
                            "--table", "payroll", "--json")
        self.assertEqual(proc.returncode, 1)
        denied = json.loads(proc.stdout.strip().splitlines()[0])
        self.assertEqual(denied["status"], 400)
        self.assertEqual(denied["errorType"], "AccessDeniedException")
        payroll = h.audit_records(d.audit_path, "--principal", "dynaudit:discovery", "--table", "payroll")
        self.assertEqual([(r["eventName"], r["additionalEventData"]["decision"]) for r in payroll], [("Scan", "deny")])

        # What a caller sharing the admin listener's loopback cannot do.
        def post(body, headers):
            conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=30)
            try:
                conn.request("POST", "/discovery/scan", body=body, headers=headers)
                r = conn.getresponse()
                return r.status, r.read()
            finally:
                conn.close()
        good = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        body = json.dumps({"table": "patients", "sample": 5})
        self.assertEqual(post(body, dict(good, Authorization="Bearer " + token[:-1] + "8"))[0], 401)
        self.assertEqual(post(body, {"Content-Type": "application/json"})[0], 401)
        self.assertEqual(post(body, dict(good, **{"Content-Type": "text/plain"}))[0], 415)   # a form post
        self.assertEqual(post(body, dict(good, Host="rebound.example:%d" % d.admin_port))[0], 403)
        self.assertEqual(post(json.dumps({"table": "patients; drop"}), good)[0], 400)
        status, reply = post(json.dumps({"table": "patients", "sample": 10_000}), good)
        self.assertEqual(status, 200, reply)
        self.assertEqual(json.loads(reply)["asked"], 200)   # capped at discovery.scan.max_items
        self.assertEqual(json.loads(reply)["items"], 200)
        self.assertEqual(d.admin_get("/discovery/scan")[0], 404)   # GET does nothing
        # Two pages, the denied page, two pages; a refused request makes no call.
        self.assertEqual(len(h.audit_records(d.audit_path, "--principal", "dynaudit:discovery")), 2 + 1 + 2)
        refused = [l for l in d.log_records() if l.get("msg") == "admin: refused a discovery scan request"]
        self.assertEqual(sorted(l["status"] for l in refused), [401, 401, 403, 415])
        self.assertNotIn(token, d.stderr_text())

    def test_scan_is_refused_when_it_is_not_enabled(self):
        dynalite = self.start_dynalite()
        d = h.Dynaudit(self.tmp, dynalite, mode="verify", credentials=[(ALICE[0], ALICE[1], "alice", [])])
        self.addCleanup(self._stop_dynaudit, d, True)
        d.start()
        conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=10)
        conn.request("POST", "/discovery/scan", body='{"table":"patients"}',
                     headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
        self.assertEqual(conn.getresponse().status, 404)
        conn.close()
        proc = discover_cli("scan", "--config", d.config_path, "--table", "patients")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("discovery.scan.enabled", proc.stderr)


if __name__ == "__main__":
    unittest.main()
