"""Masked attributes are protected data.

A caller who sees `card_number` masked must not be able to learn it another
way. The attacks, by alice (group analysts, under the mask), each through the
real proxy (verify mode) to dynalite:
- copy it into an attribute the mask does not cover: `SET leak = card_number`
  (ReturnValues UPDATED_NEW), list_append, if_not_exists, arithmetic, PartiQL
  `UPDATE … SET leak = card_number`;
- use it as an oracle: begins_with / contains / size / range comparisons /
  equality in a FilterExpression or ConditionExpression, legacy ScanFilter,
  QueryFilter and Expected, a PartiQL WHERE;
- probe a masked sort key with a clear ExclusiveStartKey.
Each is refused with AccessDeniedException naming the rule and attribute,
never reaches dynalite (the leak attribute is never written), is recorded
(maskedUses, determiningRule) and alerted. What stays allowed: reading it
back (masked), overwriting it, existence tests, a masked key's value in a Key
map or with `=` in a key condition, self-updates (SET n = n + :d), and
everything for pci-admins (unmask_groups). Per rule, `protect: {use: alert}`
forwards and alerts; `protect: {use: allow}` forwards silently.
"""

import json
import os
import unittest

import attack_lib as a
from attack_lib import h

CARD = "4111222233334444"
SSN = "123-45-6789"
# The plain mask rule: no protect settings, so the defaults (deny uses,
# allow key equality) are what is tested, with a rule file any version loads.
RULES = """
rules:
  - id: mask-cards
    when: {table: [customers, accounts]}
    mask:
      - {path: card_number, method: partial, keep_last: 4}
      - {path: profile.ssn, method: redact}
    unmask_groups: [pci-admins]
"""
# The protect settings: refusals told to a channel, alert-only, allow.
PROTECT_RULES = RULES.replace("    unmask_groups: [pci-admins]\n",
                              "    unmask_groups: [pci-admins]\n    protect: {channel: sec}\n") + """
  - id: mask-notes
    when: {table: customers}
    mask: [{path: notes, method: redact}]
    protect: {use: alert, channel: sec, severity: medium}
  - id: mask-tier
    when: {table: customers}
    mask: [{path: tier, method: hash}]
    protect: {use: allow}
"""

def item(i):
    return {"id": {"S": "c%d" % i}, "card_number": {"S": CARD[:-1] + str(i)}, "name": {"S": "Customer %d" % i},
            "notes": {"S": "note %d" % i}, "tier": {"S": "gold"}, "balance": {"N": "100"},
            "profile": {"M": {"ssn": {"S": SSN[:-1] + str(i)}, "city": {"S": "Berlin"}}},
            "cards": {"L": [{"S": "x"}]}}


class MaskedUseTest(a.AttackTest):
    RULES = RULES

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        self.alert_file = os.path.join(self.tmp, "alerts.jsonl")
        self.OVERRIDES = {"alerts": {"channels": [{"name": "sec", "type": "file", "path": self.alert_file}]}}
        for table, keys in (("customers", [("id", "HASH")]), ("accounts", [("owner", "HASH"), ("card_number", "RANGE")])):
            r = self.direct("DynamoDB_20120810.CreateTable", {
                "TableName": table, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n, _ in keys],
                "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in keys]})
            self.assertEqual(r.status, 200, r)
        for i in range(3):
            self.assertEqual(self.direct("DynamoDB_20120810.PutItem", {"TableName": "customers", "Item": item(i)}).status, 200)
            self.assertEqual(self.direct("DynamoDB_20120810.PutItem", {"TableName": "accounts", "Item": {
                "owner": {"S": "o"}, "card_number": {"S": CARD[:-1] + str(i)}}}).status, 200)
        self.proxy = self.start_proxy(self.dynalite)

    # ---- helpers ---------------------------------------------------------

    def stored(self, i=0):
        r = self.direct("DynamoDB_20120810.GetItem", {"TableName": "customers", "Key": {"id": {"S": "c%d" % i}}})
        return r.json()["Item"]

    def attack(self, op, payload, key=a.ALICE):
        return a.call(self.proxy.endpoint, "DynamoDB_20120810." + op, payload, key=key)

    def assert_denied(self, r, attribute, rule="mask-cards"):
        self.assert_refused(r, "AccessDeniedException")
        message = r.json()["message"]
        self.assertIn(rule, message)
        self.assertIn(attribute, message)
        for secret in (CARD[:-1], SSN[:-1]):
            self.assertNotIn(secret, message)
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        extra = record["additionalEventData"]
        self.assertEqual(extra["decision"], "deny")
        self.assertEqual(extra["determiningRule"], rule)
        self.assertTrue(any(u.startswith(rule + " deny: " + attribute) for u in extra["maskedUses"]), extra)
        return record

    def alerts(self):
        if not os.path.exists(self.alert_file):
            return []
        with open(self.alert_file) as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_alerts(self, count):
        h.wait_until(lambda: len(self.alerts()) >= count, 10, what="%d alerts" % count)
        return self.alerts()

    # ---- copies ---------------------------------------------------------

    def test_copying_a_masked_attribute_is_refused(self):
        key = {"id": {"S": "c0"}}
        for expression in ("SET leak = card_number", "SET leak = list_append(cards, card_number)",
                           "SET leak = if_not_exists(card_number, :v)", "SET leak = card_number + :v",
                           "SET #l = #c", "SET leak = profile", "SET leak = profile.ssn",
                           "SET card_number = :v, leak = card_number"):
            with self.subTest(expression=expression):
                payload = {"TableName": "customers", "Key": key, "UpdateExpression": expression,
                           "ReturnValues": "UPDATED_NEW"}
                if ":v" in expression:
                    payload["ExpressionAttributeValues"] = {":v": {"S": "x"}}
                if "#" in expression:
                    payload["ExpressionAttributeNames"] = {"#l": "leak", "#c": "card_number"}
                r = self.attack("UpdateItem", payload)
                self.assert_denied(r, "profile" if "profile" in expression else "card_number")
        self.assertNotIn("leak", self.stored(0), "a refused update reached dynalite")
        r = self.attack("ExecuteStatement", {"Statement": "UPDATE customers SET leak = card_number WHERE id = 'c0'"})
        self.assert_denied(r, "card_number")

    def test_a_copy_through_an_sdk_is_refused_and_the_reply_never_holds_the_value(self):
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError
        client = boto3.session.Session(aws_access_key_id=a.ALICE[0], aws_secret_access_key=a.ALICE[1],
                                       region_name=h.REGION).client(
            "dynamodb", endpoint_url=self.proxy.endpoint, config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as caught:
            client.update_item(TableName="customers", Key={"id": {"S": "c1"}}, UpdateExpression="SET leak = card_number",
                               ReturnValues="UPDATED_NEW")
        self.assertEqual(caught.exception.response["Error"]["Code"], "AccessDeniedException")
        got = client.get_item(TableName="customers", Key={"id": {"S": "c1"}})["Item"]
        self.assertRegex(got["card_number"]["S"], r"^\*+\d{4}$")
        self.assertNotIn("leak", self.stored(1))

    # ---- oracles -----------------------------------------------------------

    def test_probing_a_masked_attribute_is_refused(self):
        v = {":p": {"S": "4"}}
        probes = [
            ("Scan", {"FilterExpression": "begins_with(card_number, :p)", "ExpressionAttributeValues": v}),
            ("Scan", {"FilterExpression": "contains(card_number, :p)", "ExpressionAttributeValues": v}),
            ("Scan", {"FilterExpression": "size(card_number) > :n", "ExpressionAttributeValues": {":n": {"N": "3"}}}),
            ("Scan", {"FilterExpression": "card_number BETWEEN :p AND :q",
                      "ExpressionAttributeValues": {":p": {"S": "4"}, ":q": {"S": "5"}}}),
            ("Scan", {"FilterExpression": "card_number = :p", "ExpressionAttributeValues": v}),
            ("Scan", {"FilterExpression": ":p < #c", "ExpressionAttributeValues": v,
                      "ExpressionAttributeNames": {"#c": "card_number"}}),
            ("Scan", {"FilterExpression": "attribute_type(card_number, :p)", "ExpressionAttributeValues": v}),
            ("Scan", {"FilterExpression": "begins_with(profile.ssn, :p)", "ExpressionAttributeValues": v}),
            ("Scan", {"FilterExpression": "begins_with(profile, :p)", "ExpressionAttributeValues": v}),
            ("Scan", {"ScanFilter": {"card_number": {"ComparisonOperator": "BEGINS_WITH",
                                                     "AttributeValueList": [{"S": "4"}]}}}),
            ("Query", {"KeyConditionExpression": "id = :id", "FilterExpression": "card_number > :p",
                       "ExpressionAttributeValues": {":id": {"S": "c0"}, ":p": {"S": "4"}}}),
            ("Query", {"KeyConditions": {"id": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "c0"}]}},
                       "QueryFilter": {"card_number": {"ComparisonOperator": "GE", "AttributeValueList": [{"S": "4"}]}}}),
            ("PutItem", {"Item": item(0), "ConditionExpression": "begins_with(card_number, :p)",
                         "ExpressionAttributeValues": v}),
            ("DeleteItem", {"Key": {"id": {"S": "c0"}}, "Expected": {"card_number": {"Value": {"S": CARD[:-1] + "0"}}}}),
            ("UpdateItem", {"Key": {"id": {"S": "c0"}}, "UpdateExpression": "SET tier = :p",
                            "ConditionExpression": "card_number <> :p", "ExpressionAttributeValues": v}),
        ]
        for op, params in probes:
            with self.subTest(op=op, params=params):
                payload = dict(params, TableName="customers")
                condition = json.dumps({k: v for k, v in params.items() if k != "Item"})
                attribute = "profile" if "profile" in condition else "card_number"
                self.assert_denied(self.attack(op, payload), attribute)
        for statement in ("SELECT * FROM customers WHERE begins_with(card_number, '4111')",
                          "SELECT * FROM customers WHERE card_number > '4'",
                          "SELECT id FROM customers WHERE contains(\"card_number\", '1')",
                          "SELECT * FROM customers ORDER BY card_number",
                          "DELETE FROM customers WHERE id = 'c0' AND card_number = '4111'"):
            with self.subTest(statement=statement):
                self.assert_denied(self.attack("ExecuteStatement", {"Statement": statement}), "card_number")
        self.assertEqual(len(self.stored(0)), len(item(0)), "a refused call changed the item")
        records = [r for r in a.records(self.proxy) if r["additionalEventData"].get("maskedUses")]
        self.assertEqual(len(records), len(probes) + 5)

    def test_a_clear_start_key_on_a_masked_sort_key_is_refused(self):
        r = self.attack("Query", {"TableName": "accounts", "KeyConditionExpression": "#o = :o",
                                  "ExpressionAttributeNames": {"#o": "owner"},
                                  "ExpressionAttributeValues": {":o": {"S": "o"}},
                                  "ExclusiveStartKey": {"owner": {"S": "o"}, "card_number": {"S": "4"}}})
        self.assert_denied(r, "card_number")
        # Paginating with the proxy's own sealed tokens still works.
        pages, start = 0, None
        while True:
            payload = {"TableName": "accounts", "KeyConditionExpression": "#o = :o", "Limit": 1,
                       "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "o"}}}
            if start:
                payload["ExclusiveStartKey"] = start
            r = self.attack("Query", payload)
            self.assertEqual(r.status, 200, r)
            pages += 1
            start = r.json().get("LastEvaluatedKey")
            if not start:
                break
            self.assertTrue(start["card_number"]["S"].startswith("dynaudit:v1:"), start)
        self.assertEqual(pages, 4)  # 3 items, one per page, then an empty last page

    # ---- what stays allowed --------------------------------------------

    def test_reading_writing_existence_and_key_equality_are_allowed(self):
        allowed = [
            ("GetItem", {"TableName": "customers", "Key": {"id": {"S": "c0"}}, "ProjectionExpression": "card_number, #p",
                         "ExpressionAttributeNames": {"#p": "profile"}}),
            ("UpdateItem", {"TableName": "customers", "Key": {"id": {"S": "c0"}},
                            "UpdateExpression": "SET card_number = :v, balance = balance + :one REMOVE profile.ssn",
                            "ConditionExpression": "attribute_exists(card_number)",
                            "ExpressionAttributeValues": {":v": {"S": "5500000000000004"}, ":one": {"N": "1"}}}),
            ("Scan", {"TableName": "customers", "FilterExpression": "attribute_not_exists(card_number) OR tier = :t",
                      "ExpressionAttributeValues": {":t": {"S": "gold"}}}),
            ("GetItem", {"TableName": "accounts", "Key": {"owner": {"S": "o"}, "card_number": {"S": CARD[:-1] + "1"}}}),
            ("Query", {"TableName": "accounts", "KeyConditionExpression": "#o = :o AND card_number = :c",
                       "ExpressionAttributeNames": {"#o": "owner"},
                       "ExpressionAttributeValues": {":o": {"S": "o"}, ":c": {"S": CARD[:-1] + "1"}}}),
            ("Query", {"TableName": "accounts", "KeyConditions": {
                "owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "o"}]},
                "card_number": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": CARD[:-1] + "2"}]}}}),
            ("UpdateItem", {"TableName": "customers", "Key": {"id": {"S": "c2"}},
                            "UpdateExpression": "SET cards = list_append(cards, :l)",
                            "ExpressionAttributeValues": {":l": {"L": [{"S": "y"}]}}}),
        ]
        for op, payload in allowed:
            with self.subTest(op=op, payload=payload):
                r = self.attack(op, payload)
                self.assertEqual(r.status, 200, r)
                self.assertNotIn(CARD[:-1], r.body.decode())
        self.assertEqual(self.stored(0)["card_number"], {"S": "5500000000000004"})
        # Exists in the masked reply only masked.
        r = self.attack("GetItem", {"TableName": "accounts", "Key": {"owner": {"S": "o"}, "card_number": {"S": CARD[:-1] + "1"}}})
        self.assertRegex(r.json()["Item"]["card_number"]["S"], r"^\*+\d{4}$")

    def test_partiql_equality_is_allowed_on_a_masked_key_only(self):
        # A statement cannot say whether card_number is a key: the proxy asks
        # dynalite (DescribeTable). accounts is keyed by (owner, card_number);
        # on customers it is an ordinary attribute, so `=` is an oracle there.
        r = self.attack("ExecuteStatement", {
            "Statement": "SELECT * FROM accounts WHERE owner = 'o' AND card_number = '%s1'" % CARD[:-1]})
        # dynalite has no PartiQL: its own answer means the proxy forwarded it.
        self.assert_refused(r, "UnknownOperationException")
        self.assert_denied(self.attack("ExecuteStatement", {
            "Statement": "SELECT * FROM customers WHERE card_number = '%s1'" % CARD[:-1]}), "card_number")
        self.assert_denied(self.attack("BatchExecuteStatement", {"Statements": [
            {"Statement": "SELECT * FROM customers WHERE id = 'c1' AND card_number = ?",
             "Parameters": [{"S": CARD}]}]}), "card_number")

    def test_unmask_groups_may_use_the_attribute(self):
        r = self.attack("Scan", {"TableName": "customers", "FilterExpression": "begins_with(card_number, :p)",
                                 "ExpressionAttributeValues": {":p": {"S": "4111"}}}, key=a.BOB)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["Count"], 3)


class ProtectSettingsTest(MaskedUseTest):
    """The same attacks under rules that tell a channel, alert only, or allow."""

    RULES = PROTECT_RULES

    def test_refusals_are_told_to_the_protect_channel(self):
        for prefix in ("4", "41", "411"):
            r = self.attack("Scan", {"TableName": "customers", "FilterExpression": "begins_with(card_number, :p)",
                                     "ExpressionAttributeValues": {":p": {"S": prefix}}})
            self.assert_denied(r, "card_number")
        alerts = self.wait_alerts(3)
        self.assertEqual({x["rule"] for x in alerts}, {"mask-cards"}, alerts)
        self.assertEqual({x["severity"] for x in alerts}, {"high"}, alerts)
        self.assertEqual({x["decision"] for x in alerts}, {"deny"}, alerts)
        self.assertEqual({x["message"] for x in alerts},
                         {"alice was refused masked attributes (rule mask-cards): card_number: function (begins_with) "
                          "in FilterExpression"})
        for alert in alerts:
            self.assertNotIn(CARD[:-1], json.dumps(alert))
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        self.assertIn("mask-cards", record["additionalEventData"]["alertedRules"])

    def test_protect_alert_forwards_and_tells_protect_allow_forwards(self):
        r = self.attack("Scan", {"TableName": "customers", "FilterExpression": "begins_with(notes, :p)",
                                 "ExpressionAttributeValues": {":p": {"S": "note 1"}}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["Count"], 1)
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        self.assertIn("mask-notes alert: notes: function (begins_with) in FilterExpression",
                      record["additionalEventData"]["maskedUses"])
        alerts = self.wait_alerts(1)
        self.assertEqual([x["rule"] for x in alerts], ["mask-notes"])
        self.assertEqual(alerts[0]["message"],
                         "alice used masked attributes (rule mask-notes): notes: function (begins_with) in FilterExpression")
        self.assertEqual(alerts[0]["decision"], "allow")
        self.assertIn("mask-notes", record["additionalEventData"]["alertedRules"])

        r = self.attack("Scan", {"TableName": "customers", "FilterExpression": "tier = :t",
                                 "ExpressionAttributeValues": {":t": {"S": "gold"}}})
        self.assertEqual(r.status, 200, r)
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        self.assertNotIn("maskedUses", record["additionalEventData"])
        self.assertEqual(len(self.alerts()), 1)


class ProtectConfig(h.IntegrationTest):
    def test_protect_needs_a_mask_and_alert_needs_a_channel(self):
        import subprocess
        for text, expected in (
                ("rules:\n  - id: x\n    when: {table: t}\n    effect: deny\n    protect: {use: alert}\n", "the rule needs mask"),
                ("rules:\n  - id: x\n    mask: [{path: a, method: redact}]\n    protect: {use: alert}\n", "alert needs protect.channel"),
                ("rules:\n  - id: x\n    mask: [{path: a, method: redact}]\n    protect: {use: maybe}\n", "unknown action 'maybe'")):
            path = a.write_rules(self.tmp, text)
            p = subprocess.run([h.dynaudit_bin(), "rules", "check", path], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p)
            self.assertIn(expected, p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
