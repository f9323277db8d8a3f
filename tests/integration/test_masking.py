"""Masking seen by real clients, and the audit log that keeps no clear value.

dynalite stores customers whose partition key is their email and whose items
hold a card number, an SSN, notes with an SSN in them, a balance, a date of
birth, a secret, a list of cards and a set of tags. A rule masks all of them
for everyone but the pci-admins group. boto3 (the machine's python3 and
Debian's, in their default legacy retry mode, which raises on a wrong
x-amz-crc32) and the JS SDK v3 must get masked, well-typed items from every
operation dynalite has — GetItem, BatchGetItem, Query, Scan (paginated over
the masked key), and the Attributes of PutItem/UpdateItem/DeleteItem — and
bob (pci-admins) clear ones. The operations dynalite lacks (transactions,
PartiQL, the Item of a failed condition, transaction cancellation reasons,
Streams GetRecords) are answered by a scripted upstream with DynamoDB's own
reply shapes. Finally the audit store's files hold none of the planted values
(`audit: full` keeps request bodies, masked), and a sealed record reveals them
only to the right key.
"""

import json
import os
import re
import subprocess
import unittest

import harness as h

ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")
CREDENTIALS = [
    (ALICE[0], ALICE[1], "alice", ["analysts"]),
    (BOB[0], BOB[1], "bob", ["pci-admins"]),
]
TABLE = "customers"

# Planted values: none may reach alice, none may sit in the audit store.
CARD = "4111222233334444"
SSN = "123-45-6789"
NOTE_SSN = "987-65-4321"
SECRET = "s3cr3t-planted-value"
CARD2 = "5500999988887777"


def customer(i):
    return {
        "email": {"S": "customer%d.smith@example.com" % i},
        "name": {"S": "Customer %d" % i},
        "card": {"M": {"number": {"S": CARD[:-1] + str(i)}, "exp": {"S": "12/29"}}},
        "ssn": {"S": SSN[:-1] + str(i)},
        "notes": {"S": "called about %s twice" % (NOTE_SSN[:-1] + str(i))},
        "balance": {"N": "12%d34.56" % i},
        "dob": {"S": "1980-01-0%d" % (i + 1)},
        "secret": {"S": SECRET + str(i)},
        "cards": {"L": [{"M": {"number": {"S": CARD2[:-1] + str(i)}}}]},
        "tags": {"SS": ["vip-%d" % i, "eu"]},
    }


RULES = """
rules:
  - id: mask-customers
    when:
      any:
        - {table: [customers, canned]}
        - {operation: GetRecords}
    mask:
      - {path: card.number, method: partial, keep_last: 4}
      - {path: email, method: email}
      - {path: ssn, method: hash}
      - {path: notes, method: regex, pattern: "[0-9]{3}-[0-9]{2}-[0-9]{4}", replacement: "###-##-####"}
      - {path: balance, method: round, step: 100}
      - {path: dob, method: nullify}
      - {path: secret, method: remove}
      - {path: "cards[*].number", method: redact}
      - {path: tags, method: redact}
    unmask_groups: [pci-admins]
    audit: full
    tags: ["pci-dss:3.4"]
"""

PLANTED = [CARD[:-1], SSN[:-1], NOTE_SSN[:-1], SECRET, CARD2[:-1], "smith@example.com"]


def create_steps():
    steps = [{"name": "create", "op": "CreateTable", "params": {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}},
        {"name": "wait", "op": "wait_active", "params": {"TableName": TABLE}}]
    steps += [{"name": "put-%d" % i, "op": "PutItem", "params": {"TableName": TABLE, "Item": customer(i)}}
              for i in range(5)]
    return steps


def key(i):
    return {"email": {"S": "customer%d.smith@example.com" % i}}


READ_STEPS = [
    {"name": "get", "op": "GetItem", "params": {"TableName": TABLE, "Key": key(1)}},
    {"name": "batch", "op": "BatchGetItem", "params": {"RequestItems": {TABLE: {"Keys": [key(1), key(2)]}}}},
    {"name": "query", "op": "Query", "params": {"TableName": TABLE, "KeyConditionExpression": "email = :e",
                                                 "ExpressionAttributeValues": {":e": key(3)["email"]}}},
    {"name": "scan", "op": "Scan", "paginate": True, "params": {"TableName": TABLE, "Limit": 2}},
    {"name": "put-old", "op": "PutItem", "params": {"TableName": TABLE, "Item": customer(4), "ReturnValues": "ALL_OLD"}},
    {"name": "update-new", "op": "UpdateItem", "params": {
        "TableName": TABLE, "Key": key(0), "UpdateExpression": "SET visits = :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"}},
]


def items_of(result):
    """Every item-shaped dict in a driver's result body."""
    body = result.get("body") or {}
    found = []
    if "Item" in body:
        found.append(body["Item"])
    found += body.get("Items", [])
    if "Attributes" in body:
        found.append(body["Attributes"])
    for table_items in (body.get("Responses") or {}).values() if isinstance(body.get("Responses"), dict) else []:
        found += table_items
    return found


class MaskingTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        self.seal_key = os.path.join(self.tmp, "seal.key")
        with open(self.seal_key, "w") as f:
            f.write("11" * 32 + "\n")
        self.masking_key = os.path.join(self.tmp, "masking.key")
        with open(self.masking_key, "w") as f:
            f.write("masking-secret-for-tests-0123456789abcdef\n")
        self.overrides = {"rules": {"files": [rules_path]},
                          "masking": {"key_file": self.masking_key},
                          "audit": {"durability": "sync", "seal_key_file": self.seal_key}}
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, mode="verify", credentials=CREDENTIALS,
                                         overrides=self.overrides)
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=BOB, steps=create_steps())
        self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)

    def assert_masked_item(self, item, where):
        text = json.dumps(item)
        for planted in PLANTED:
            self.assertNotIn(planted, text, "%s: clear value %r in %s" % (where, planted, text))
        if "card" in item:
            number = item["card"]["M"]["number"]["S"]
            self.assertRegex(number, r"^\*+\d{4}$", where)
            self.assertEqual(item["card"]["M"]["exp"], {"S": "12/29"}, where)
        self.assertRegex(item["email"]["S"], r"^c\*+@example\.com$", where)
        if "ssn" in item:
            self.assertNotEqual(item["ssn"]["S"], "", where)
        if "notes" in item:
            self.assertIn("###-##-####", item["notes"]["S"], where)
        if "balance" in item:
            self.assertEqual(float(item["balance"]["N"]) % 100, 0, where)
        if "dob" in item:
            self.assertEqual(item["dob"], {"NULL": True}, where)
        self.assertNotIn("secret", item, where)
        if "cards" in item:
            for card in item["cards"]["L"]:
                self.assertNotIn(CARD2[:-1], card["M"]["number"]["S"], where)
        if "tags" in item:
            self.assertEqual(len(item["tags"]["SS"]), len(set(item["tags"]["SS"])), where)

    def test_masked_for_analysts_clear_for_pci_admins_with_every_client(self):
        for kind in ("boto3-default", "boto3-debian", "js-sdk-v3"):
            if not h.client_available(kind):
                continue
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=READ_STEPS)
                by_step = {}
                for r in doc["results"]:
                    self.assertIsNone(r.get("error_code"), r)
                    self.assertNotIn("exception", r, r)
                    self.assertIn(r.get("crc32_ok"), (True, None), r)  # boto3 would have raised anyway
                    by_step.setdefault(r["step"], []).append(r)
                for step in ("get", "batch", "query", "put-old", "update-new"):
                    items = [i for r in by_step[step] for i in items_of(r)]
                    self.assertTrue(items, "%s: %s returned no item" % (kind, step))
                    for item in items:
                        self.assert_masked_item(item, "%s %s" % (kind, step))
                # Pagination over the masked key: every customer exactly once.
                scanned = [i for r in by_step["scan"] for i in items_of(r)]
                self.assertEqual(len(scanned), 5, "%s scan pages: %s" % (kind, by_step["scan"]))
                self.assertGreaterEqual(len(by_step["scan"]), 3)
                for item in scanned:
                    self.assert_masked_item(item, "%s scan" % kind)
                self.assertEqual(len({i["name"]["S"] for i in scanned}), 5)
                # hash is stable: the same SSN gives the same token every time.
                get_ssn = items_of(by_step["get"][0])[0]["ssn"]["S"]
                batch_ssn = [i["ssn"]["S"] for i in items_of(by_step["batch"][0]) if i["name"]["S"] == "Customer 1"]
                self.assertEqual([get_ssn], batch_ssn)

        doc = h.run_client("boto3-default", self.proxy.endpoint, key=BOB, steps=READ_STEPS[:1])
        item = doc["results"][0]["body"]["Item"]
        self.assertEqual(item["card"]["M"]["number"]["S"], CARD[:-1] + "1")
        self.assertEqual(item["secret"]["S"], SECRET + "1")
        self.assertEqual(item["email"]["S"], "customer1.smith@example.com")

        records = h.audit_records(self.proxy.audit_path, "--principal", "alice", "--operation", "GetItem")
        self.assertTrue(records)
        self.assertEqual(records[0]["additionalEventData"]["maskedRules"], ["mask-customers"])

    def test_the_audit_store_holds_no_planted_value_and_reveals_with_the_right_key(self):
        for who in (ALICE, BOB):
            doc = h.run_client("boto3-default", self.proxy.endpoint, key=who, steps=READ_STEPS)
            self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)
        self.proxy.stop()
        store = self.proxy.audit_path
        # Every byte of every file of the store: WAL, SSTs, manifests.
        for root, _, files in os.walk(store):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for planted in PLANTED:
                    self.assertNotIn(planted.encode(), data, "%s holds %r" % (name, planted))
        records = h.audit_records(store)
        self.assertTrue(any(r["additionalEventData"].get("requestBody") for r in records))
        text = json.dumps(records)
        for planted in PLANTED:
            self.assertNotIn(planted, text)
        # A PutItem record, sealed: reveal needs the right key.
        put = [r for r in records if r["eventName"] == "PutItem" and r["additionalEventData"].get("sealedValues")][0]
        event_id = put["eventID"]
        show = h.audit_cli("show", event_id, "--store", store, "--reveal", "--key-file", self.seal_key)
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertTrue(any(p in show.stdout for p in (CARD[:-1], SECRET)), show.stdout[:2000])
        wrong = os.path.join(self.tmp, "wrong.key")
        with open(wrong, "w") as f:
            f.write("22" * 32 + "\n")
        show = h.audit_cli("show", event_id, "--store", store, "--reveal", "--key-file", wrong)
        self.assertEqual(show.returncode, 1, show.stdout + show.stderr)
        for planted in PLANTED:
            self.assertNotIn(planted, show.stdout + show.stderr)


    def test_reveal_is_for_the_key_holder_and_leaves_a_trail(self):
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=ALICE, steps=READ_STEPS[:1])
        self.assertIsNone(doc["results"][0]["error_code"], doc)
        self.proxy.stop()
        store = self.proxy.audit_path
        records = h.audit_records(store)
        get = [r for r in records if r["eventName"] == "GetItem"][0]
        self.assertEqual(get["requestParameters"]["keys"][0]["S"], "c****@example.com")
        self.assertEqual(get["additionalEventData"]["sealKeyId"], get["additionalEventData"]["sealKeyId"].lower())
        event_id = get["eventID"]

        env = dict(os.environ, DYNAUDIT_TEST_SEAL="11" * 32)
        show = subprocess.run([h.dynaudit_bin(), "audit", "show", event_id, "--store", store, "--reveal",
                               "--key-env", "DYNAUDIT_TEST_SEAL", "--format", "json"],
                              capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(show.returncode, 0, show.stderr)
        shown = json.loads(show.stdout)
        self.assertEqual(shown["revealed"]["keys"][0]["S"], "customer1.smith@example.com")
        self.assertEqual({k: v for k, v in shown.items() if k != "revealed"}, get)
        trail = [json.loads(l) for l in show.stderr.splitlines() if l.startswith("{")]
        self.assertEqual([(t["event"], t["eventId"], t["outcome"]) for t in trail],
                         [("audit_reveal", event_id, "revealed")])

        other = os.path.join(self.tmp, "other.key")
        made = h.audit_cli("keygen", "--seal-key", other)
        self.assertEqual(made.returncode, 0, made.stderr)
        self.assertIn("seal key id", made.stdout)
        self.assertEqual(os.stat(other).st_mode & 0o777, 0o600)
        again = h.audit_cli("keygen", "--seal-key", other, "--force")
        self.assertEqual(again.returncode, 2, again.stdout + again.stderr)
        wrong = h.audit_cli("show", event_id, "--store", store, "--reveal", "--key-file", other)
        self.assertEqual(wrong.returncode, 1)
        self.assertIn("record sealed with key", wrong.stderr)
        self.assertNotIn("customer1.smith", wrong.stdout + wrong.stderr)

        plain = [r for r in records if r["eventName"] == "CreateTable"][0]["eventID"]
        nothing = h.audit_cli("show", plain, "--store", store, "--reveal", "--key-file", self.seal_key)
        self.assertEqual(nothing.returncode, 1)
        self.assertIn("nothing sealed", nothing.stderr)
        unknown = h.audit_cli("show", "00000000-0000-4000-8000-000000000000", "--store", store)
        self.assertEqual(unknown.returncode, 1)
        for args in ((), (event_id, "--key-file", self.seal_key), (event_id, "--reveal"),
                     (event_id, "--format", "xml")):
            with self.subTest(args=args):
                self.assertEqual(h.audit_cli("show", *args, "--store", store).returncode, 2)
        self.assertEqual(h.audit_verify(store).returncode, 0)


# ---- operations dynalite does not have: DynamoDB's reply shapes, scripted ----

def canned_item(i):
    item = customer(i)
    return item


def body(doc):
    return json.dumps(doc).encode()


def now_dated(reply):
    # The JS SDK corrects its clock from the Date of replies: a fixed Date in
    # the past would make its next request's signature expire.
    import email.utils
    status, headers, payload = reply
    headers = [(k, v) for k, v in headers if k.lower() != "date"]
    return status, headers + [("Date", email.utils.formatdate(usegmt=True))], payload


CANNED = [
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "canned", "Key": key(1)}}]},
     200, {"Responses": [{"Item": canned_item(1)}]}),
    ("ExecuteStatement", {"Statement": "SELECT * FROM canned"},
     200, {"Items": [canned_item(1), canned_item(2)]}),
    ("BatchExecuteStatement", {"Statements": [{"Statement": "SELECT * FROM canned WHERE email = ?",
                                               "Parameters": [key(1)["email"]]}]},
     200, {"Responses": [{"TableName": "canned", "Item": canned_item(1)}]}),
    ("ExecuteTransaction", {"TransactStatements": [{"Statement": "SELECT * FROM canned WHERE email = ?",
                                                    "Parameters": [key(2)["email"]]}]},
     200, {"Responses": [{"Item": canned_item(2)}]}),
    ("PutItem", {"TableName": "canned", "Item": canned_item(3), "ConditionExpression": "attribute_not_exists(email)",
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
     400, {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
           "message": "The conditional request failed", "Item": canned_item(3)}),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "canned", "Item": canned_item(4),
                                                        "ConditionExpression": "attribute_not_exists(email)",
                                                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]},
     400, {"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
           "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]",
           "CancellationReasons": [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
                                    "Item": canned_item(4)}]}),
]

STREAM_RECORDS = {"Records": [{
    "eventID": "1", "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
    "awsRegion": "us-east-1",
    "dynamodb": {"ApproximateCreationDateTime": 1.7e9, "Keys": key(1), "NewImage": canned_item(1),
                 "OldImage": canned_item(2), "SequenceNumber": "100", "SizeBytes": 200,
                 "StreamViewType": "NEW_AND_OLD_IMAGES"}}],
    "NextShardIterator": "arn:aws:dynamodb:us-east-1:000000000000:table/canned/stream/2026|1|AAAA"}


class MaskingCannedTest(h.IntegrationTest):

    def start_canned(self, replies):
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        # `canned` is keyed by email: the proxy's own DescribeTable learns it,
        # so PartiQL `email = ?` counts as key equality on a masked key.
        describe = {"Table": {"TableName": "canned", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}}
        self.upstream = self.start_capture_upstream(
            [now_dated(h.dynamodb_response(status, body(doc))) for status, doc in replies],
            by_target={"DynamoDB_20120810.DescribeTable": now_dated(h.dynamodb_response(200, body(describe)))})
        self.proxy = self.start_dynaudit(self.upstream.endpoint, mode="verify", credentials=CREDENTIALS,
                                         overrides={"rules": {"files": [rules_path]}})

    def test_every_reply_shape_is_masked_and_checksummed(self):
        kinds = [k for k in ("boto3-default", "js-sdk-v3") if h.client_available(k)]
        # The scripted upstream answers in order: one round of replies per client.
        self.start_canned([(status, doc) for _ in kinds for _, _, status, doc in CANNED])
        steps = [{"name": op, "op": op, "params": params} for op, params, _, _ in CANNED]
        for kind in kinds:
            doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=steps, extra_args=["--max-attempts", "1"])
            results = {r["step"]: r for r in doc["results"]}
            for op, _, status, _ in CANNED:
                r = results[op]
                self.assertNotIn("exception", r, r)
                self.assertEqual(r["status"], status, r)
                # boto3 checks x-amz-crc32 itself (a mismatch raises); the JS SDK
                # does not, so the driver's own check must pass too.
                self.assertIs(r["crc32_ok"], True, "%s %s: %s" % (kind, op, r))
                text = json.dumps(r["body"])
                for planted in PLANTED:
                    self.assertNotIn(planted, text, "%s: %s" % (op, text[:1500]))
                self.assertIn("example.com", text, "%s: items should still be there, masked" % op)

    def test_streams_get_records_images_are_masked(self):
        # The iterator comes through the proxy, which learns its table (an
        # iterator it never handed out is refused: tests/security/test_streams.py).
        self.start_canned([(200, {"ShardIterator": "opaque-iterator"}), (200, STREAM_RECORDS)])
        import boto3
        from botocore.config import Config
        client = boto3.session.Session(aws_access_key_id=ALICE[0], aws_secret_access_key=ALICE[1],
                                       region_name="us-east-1").client(
            "dynamodbstreams", endpoint_url=self.proxy.endpoint, config=Config(retries={"max_attempts": 0}))
        iterator = client.get_shard_iterator(
            StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/canned/stream/2026-12-07T00:00:00.000",
            ShardId="shardId-00000001700000000000-0123abcd", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out = client.get_records(ShardIterator=iterator)
        record = out["Records"][0]["dynamodb"]
        text = json.dumps(record, default=str)
        for planted in PLANTED:
            self.assertNotIn(planted, text)
        self.assertRegex(record["NewImage"]["card"]["M"]["number"]["S"], r"^\*+\d{4}$")
        self.assertEqual(record["OldImage"]["dob"], {"NULL": True})


if __name__ == "__main__":
    unittest.main()
