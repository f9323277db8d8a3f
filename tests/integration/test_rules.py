"""Rules in front of dynalite, seen by real clients.

Verify mode, two principals: alice (group analysts) and bob (group
pci-admins). The rule file denies scans of cardholder tables except to
pci-admins, denies everyone the `secrets` table even where another rule
allows it (deny overrides allow), withholds Query replies of more than two
items (a response-phase rule), tags card-table access with PCI DSS controls,
and has a shadow rule that would deny deletes. Real clients (AWS CLI v2,
boto3 under both interpreters, the JS SDK v3) must see a non-retried
AccessDeniedException carrying the rule's message; the audit store must name
the matched, determining and shadow rules and the tags.
"""

import json
import unittest

import harness as h

ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")
CREDENTIALS = [
    (ALICE[0], ALICE[1], "alice", ["analysts"]),
    (BOB[0], BOB[1], "bob", ["pci-admins"]),
]

SCAN_DENIED = "Scans of cardholder tables are refused (PCI DSS 7.2)"
SECRETS_DENIED = "The secrets table is closed to everyone"
WITHHELD = "Queries returning more than 2 items are withheld"

RULES = """
rules:
  - id: allow-bob
    when: {principal: bob}
    effect: allow
  - id: deny-card-scan
    description: only PCI admins may scan cardholder data
    when:
      operation: Scan
      table: "cards*"
      not: {group: pci-admins}
    effect: deny
    message: "%s"
    tags: ["pci-dss:7.2"]
  - id: deny-secrets
    when: {table: secrets, operation_class: [read, write]}
    effect: deny
    message: "%s"
  - id: tag-card-access
    when: {table: "cards*"}
    tags: ["pci-dss:10.2.1"]
  - id: withhold-big-query
    when:
      operation: Query
      returned_items: {gt: 2}
    effect: deny
    message: "%s"
  - id: trial-deny-deletes
    mode: shadow
    when: {operation: DeleteItem}
    effect: deny
""" % (SCAN_DENIED, SECRETS_DENIED, WITHHELD)


def create_table(name, sort_key=False):
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    return [{"name": "create-" + name, "op": "CreateTable", "params": {
                "TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": attributes, "KeySchema": schema}},
            {"name": "wait-" + name, "op": "wait_active", "params": {"TableName": name}}]


class RulesTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        rules_path = self.tmp + "/rules.yaml"
        with open(rules_path, "w") as f:
            f.write(RULES)
        self.proxy = self.start_dynaudit(self.dynalite, mode="verify", credentials=CREDENTIALS,
                                         overrides={"rules": {"files": [rules_path]},
                                                    "audit": {"durability": "sync"}})
        steps = create_table("cards") + create_table("orders", sort_key=True) + create_table("secrets")
        steps += [{"name": "put-card", "op": "PutItem",
                   "params": {"TableName": "cards", "Item": {"pk": {"S": "c1"}, "pan": {"S": "4111111111111111"}}}}]
        steps += [{"name": "put-order-%d" % i, "op": "PutItem",
                   "params": {"TableName": "orders", "Item": {"pk": {"S": "o"}, "sk": {"N": str(i)}}}}
                  for i in range(3)]
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=BOB, steps=steps)
        failed = [r for r in doc["results"] if r.get("error_code") or r.get("exception")]
        self.assertEqual(failed, [], json.dumps(doc["results"], indent=1))

    def records(self, *filters):
        return h.audit_records(self.proxy.audit_path, *filters)

    def assert_denied(self, kind, result, message):
        self.assertNotIn("exception", result, result)
        self.assertEqual(result["error_code"], "AccessDeniedException", "%s: %s" % (kind, result))
        self.assertEqual(result["error_message"], message, "%s: %s" % (kind, result))
        if kind == "awscli-v2":
            self.assertEqual(result["rc"], 254, result)
        else:
            self.assertEqual(result["status"], 400, result)
            self.assertEqual(result["client_error_code"], "AccessDeniedException", result)
            self.assertIn(result["crc32_ok"], (True, None), result)
            if "retries" in result and result["retries"] is not None:
                self.assertEqual(result["retries"], 0, "%s retried a denial: %s" % (kind, result))

    def test_denied_scan_reaches_every_client_as_access_denied(self):
        scan = [{"name": "scan", "op": "Scan", "params": {"TableName": "cards"}}]
        for kind in h.CLIENT_KINDS:
            if not h.client_available(kind):
                continue
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=scan)
                self.assert_denied(kind, doc["results"][0], SCAN_DENIED)
        # bob is in pci-admins: the same scan passes and returns the item.
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=BOB, steps=scan)
        self.assertIsNone(doc["results"][0]["error_code"], doc)
        self.assertEqual(doc["results"][0]["body"]["Count"], 1)

        denied = self.records("--principal", "alice", "--operation", "Scan")
        self.assertTrue(denied)
        for r in denied:
            extra = r["additionalEventData"]
            self.assertEqual(extra["decision"], "deny", r)
            self.assertEqual(extra["outcome"], "denied", r)
            self.assertEqual(extra["determiningRule"], "deny-card-scan", r)
            self.assertEqual(extra["matchedRules"], ["deny-card-scan", "tag-card-access"], r)
            self.assertEqual(extra["tags"], ["pci-dss:7.2", "pci-dss:10.2.1"], r)
            self.assertEqual(r["errorCode"], "AccessDeniedException", r)
            self.assertEqual(r["errorMessage"], SCAN_DENIED, r)
            self.assertEqual(extra["httpStatus"], 400, r)
        allowed = self.records("--principal", "bob", "--operation", "Scan")
        self.assertEqual(len(allowed), 1)
        extra = allowed[0]["additionalEventData"]
        self.assertEqual(extra["decision"], "allow")
        self.assertEqual(extra["determiningRule"], "allow-bob")
        self.assertEqual(extra["matchedRules"], ["allow-bob", "tag-card-access"])
        # Investigators find calls by rule and by compliance tag.
        by_rule = self.records("--rule", "deny-card-scan")
        self.assertEqual([r["eventID"] for r in by_rule], [r["eventID"] for r in denied])
        by_tag = self.records("--tag", "pci-dss:7.*")
        self.assertEqual([r["eventID"] for r in by_tag], [r["eventID"] for r in denied])
        self.assertEqual(len(self.records("--tag", "pci-dss:10.2.1", "--principal", "bob", "--operation", "Scan")), 1)
        # The request log names the denying rule too.
        denials = [r for r in self.proxy.log_records() if r.get("msg") == "request" and r.get("outcome") == "denied"]
        self.assertTrue(denials)
        self.assertTrue(all(r.get("rule") == "deny-card-scan" for r in denials), denials)

    def test_deny_overrides_an_allow_that_matched_first(self):
        get = [{"name": "get", "op": "GetItem", "params": {"TableName": "secrets", "Key": {"pk": {"S": "x"}}}}]
        for kind in ("boto3-default", "awscli-v2"):
            if not h.client_available(kind):
                continue
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=BOB, steps=get)
                self.assert_denied(kind, doc["results"][0], SECRETS_DENIED)
        r = self.records("--principal", "bob", "--operation", "GetItem")[0]
        self.assertEqual(r["additionalEventData"]["matchedRules"], ["allow-bob", "deny-secrets"])
        self.assertEqual(r["additionalEventData"]["determiningRule"], "deny-secrets")

    def test_response_phase_deny_withholds_the_items(self):
        query = [{"name": "query", "op": "Query", "params": {
            "TableName": "orders", "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "o"}}}}]
        small = [{"name": "small", "op": "Query", "params": {
            "TableName": "orders", "KeyConditionExpression": "pk = :p", "Limit": 2,
            "ExpressionAttributeValues": {":p": {"S": "o"}}}}]
        for kind in ("boto3-default", "boto3-debian", "awscli-v2"):
            if not h.client_available(kind):
                continue
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=query)
                result = doc["results"][0]
                self.assert_denied(kind, result, WITHHELD)
                self.assertNotIn("Items", json.dumps(result.get("body") or result.get("output") or {}))
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=ALICE, steps=small)
        self.assertIsNone(doc["results"][0]["error_code"], doc)
        self.assertEqual(doc["results"][0]["body"]["Count"], 2)
        withheld = [r for r in self.records("--principal", "alice", "--operation", "Query")
                    if r["additionalEventData"]["decision"] == "deny"]
        self.assertTrue(withheld)
        for r in withheld:
            extra = r["additionalEventData"]
            self.assertIs(extra["responseWithheld"], True, r)
            self.assertEqual(extra["responseItems"], 3, r)
            self.assertEqual(extra["outcome"], "withheld", r)
            self.assertEqual(extra["determiningRule"], "withhold-big-query", r)

    def test_shadow_rule_is_recorded_and_does_not_block(self):
        delete = [{"name": "delete", "op": "DeleteItem",
                   "params": {"TableName": "orders", "Key": {"pk": {"S": "o"}, "sk": {"N": "0"}}}}]
        for kind in ("boto3-default", "awscli-v2"):
            if not h.client_available(kind):
                continue
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=delete)
                self.assertIsNone(doc["results"][0].get("error_code"), doc)
        deletes = self.records("--principal", "alice", "--operation", "DeleteItem")
        self.assertTrue(deletes)
        for r in deletes:
            extra = r["additionalEventData"]
            self.assertEqual(extra["decision"], "allow", r)
            self.assertEqual(extra["shadowRules"], ["trial-deny-deletes"], r)
            self.assertEqual(extra["shadowDecision"], "deny", r)
            self.assertNotIn("determiningRule", extra, r)

    def test_admin_endpoint_reports_the_running_rules(self):
        status, body = self.proxy.admin_get("/rules")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual(doc["rules"], 6, doc)
        self.assertTrue(doc["last_attempt_ok"], doc)


if __name__ == "__main__":
    unittest.main()
