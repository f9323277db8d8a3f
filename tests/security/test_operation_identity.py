"""Operation identity: the proxy and DynamoDB must agree on which call this is.

Attacks by a caller holding one valid key (alice), with rules that deny Scan
and DeleteTable:
- another API version's prefix (DynamoDB_20111205.Scan / .DeleteTable), which
  the proxy used to treat as an unknown operation that no rule matches and
  forward — dynalite executes it;
- two X-Amz-Target headers (policy reads the first, the upstream may run the
  other), and duplicates of the other headers that name or sign the call;
- an X-Amz-Target left out of the signature, so it could be swapped in flight;
- a JSON body that repeats a member (one reader takes the first, another the last).
Each must be refused by the proxy itself, audited, and never forwarded.
With upstream.forward_unknown_operations on, unknown targets reach the rules
as operation class `unknown`, and deny rules on writes/admin calls or on the
operation by name cover them.
"""

import json
import unittest

import attack_lib as a
from attack_lib import h

TABLE = "orders"
RULES = """
rules:
  - id: no-scan
    when: {operation: Scan}
    effect: deny
    message: "Scans are not allowed"
  - id: no-delete-table
    when: {operation: DeleteTable}
    effect: deny
  - id: no-admin-writes
    when: {operation_class: [admin], not: {operation: [DescribeTable, ListTables]}}
    effect: deny
"""


def create_table(url, key=h.UPSTREAM_KEY):
    r = h.signed_post(url, {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}, "DynamoDB_20120810.CreateTable", key=key)
    assert r.status == 200, r
    r = h.signed_post(url, {"TableName": TABLE, "Item": {"id": {"S": "1"}, "v": {"S": "x"}}},
                      "DynamoDB_20120810.PutItem", key=key)
    assert r.status == 200, r


class OperationIdentityAgainstDynalite(a.AttackTest):
    RULES = RULES

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        create_table(self.dynalite.endpoint)
        self.proxy = self.start_proxy(self.dynalite)

    def table_exists(self):
        r = self.direct("DynamoDB_20120810.DescribeTable", {"TableName": TABLE})
        return r.status == 200

    def test_other_api_version_prefix_is_refused_not_forwarded(self):
        for target in ("DynamoDB_20111205.DeleteTable", "DynamoDB_20111205.Scan", "DynamoDB_20120810.NoSuchOperation",
                       "dynamodb_20120810.DeleteTable", "DynamoDB_20120810.DeleteTable.x", "DynamoDB_20120810"):
            with self.subTest(target=target):
                r = a.call(self.proxy.endpoint, target, {"TableName": TABLE})
                self.assert_refused(r, "UnknownOperationException")
                self.assertNotIn("message", r.json())  # as DynamoDB answers it
                self.assertTrue(self.table_exists(), "%s reached dynalite" % target)
                record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
                self.assertEqual(record["errorCode"], "UnknownOperationException")
                self.assertEqual(record["additionalEventData"]["outcome"], "rejected")

    def test_cataloged_operations_still_work(self):
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.GetItem", {"TableName": TABLE, "Key": {"id": {"S": "1"}}})
        self.assertEqual(r.status, 200, r)
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.Scan", {"TableName": TABLE})
        self.assert_refused(r, "AccessDeniedException")

    def test_unsigned_target_is_refused(self):
        body = json.dumps({"TableName": TABLE}).encode()
        url = self.proxy.endpoint
        headers = a.signed_headers(url, body, "DynamoDB_20120810.DeleteTable", unsigned=("X-Amz-Target",))
        self.assertNotIn("x-amz-target", headers["Authorization"].lower())
        r = a.raw_post(url, body, a.header_list(url, headers, body))
        self.assert_refused(r, "InvalidSignatureException")
        self.assertIn("X-Amz-Target", r.json()["message"])
        self.assertTrue(self.table_exists())

    def test_repeated_json_member_is_refused(self):
        # DynamoDB's reader keeps one of the two: the rules would judge the other.
        body = b'{"TableName": "' + TABLE.encode() + b'", "Key": {"id": {"S": "1"}}, "Key": {"id": {"S": "2"}}}'
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.GetItem", body)
        self.assert_refused(r, "SerializationException")
        nested = b'{"TableName": "' + TABLE.encode() + b'", "Key": {"id": {"S": "1", "S": "2"}}}'
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.GetItem", nested)
        self.assert_refused(r, "SerializationException")
        escaped = b'{"TableName": "x", "Table\\u004eame": "' + TABLE.encode() + b'"}'
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.DescribeTable", escaped)
        self.assert_refused(r, "SerializationException")


class UnknownOperationsForwarded(a.AttackTest):
    """The operator lets unknown targets through: rules see them as `unknown`."""

    RULES = RULES + """
  - id: no-unknown-reads
    when: {operation_class: unknown, table: secret-*}
    effect: deny
"""
    OVERRIDES = {"upstream": {"forward_unknown_operations": True}}

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        create_table(self.dynalite.endpoint)
        self.proxy = self.start_proxy(self.dynalite)

    def test_deny_rules_cover_unknown_targets(self):
        # By name (DeleteTable in another API version) and by class (admin).
        r = a.call(self.proxy.endpoint, "DynamoDB_20111205.DeleteTable", {"TableName": TABLE})
        self.assert_refused(r, "AccessDeniedException")
        record = a.record_for(self.proxy, r.header("x-amzn-RequestId"))
        self.assertEqual(record["additionalEventData"]["determiningRule"], "no-delete-table")
        r = a.call(self.proxy.endpoint, "DynamoDB_20111205.Scan", {"TableName": TABLE})
        self.assert_refused(r, "AccessDeniedException")
        # An operation no catalog knows: denied as a possible admin write.
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.FrobnicateTable", {"TableName": TABLE})
        self.assert_refused(r, "AccessDeniedException")
        r = a.call(self.proxy.endpoint, "DynamoDB_20120810.Frobnicate", {"TableName": "secret-x"})
        self.assert_refused(r, "AccessDeniedException")
        self.assertEqual(self.direct("DynamoDB_20120810.DescribeTable", {"TableName": TABLE}).status, 200)


class DuplicateHeaders(a.AttackTest):
    """Against a scripted upstream that records whatever reaches it."""

    RULES = RULES

    def setUp(self):
        super().setUp()
        self.upstream = self.start_capture_upstream([h.dynamodb_response(200, b"{}")])
        self.proxy = self.start_proxy(self.upstream.endpoint)

    def test_duplicate_target_and_signing_headers_are_refused(self):
        url = self.proxy.endpoint
        body = json.dumps({"TableName": TABLE}).encode()
        headers = a.signed_headers(url, body, "DynamoDB_20120810.DescribeTable")
        base = a.header_list(url, headers, body)
        cases = {
            "X-Amz-Target": ("x-amz-target", "DynamoDB_20120810.DeleteTable"),
            "Host": ("HOST", "attacker.example"),
            "Authorization": ("authorization", headers["Authorization"]),
            "X-Amz-Date": ("X-AMZ-DATE", headers["X-Amz-Date"]),
            "X-Amz-Security-Token": None,
            "Content-Type": ("content-type", "application/json"),
            "Content-Encoding": None,
        }
        for name, extra in cases.items():
            with self.subTest(header=name):
                pairs = list(base)
                if extra is None:
                    pairs += [(name, "a"), (name.lower(), "b")]
                else:
                    pairs.append(extra)
                r = a.raw_post(url, body, pairs)
                self.assert_refused(r, "ValidationException")
                self.assertIn("more than one", r.json()["message"])
        self.assertEqual(self.upstream.requests, [], "a refused request reached the upstream")
        # The same request without the duplicate goes through.
        r = a.raw_post(url, body, base)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.upstream.requests), 1)
        self.assertEqual(self.upstream.header(0, "X-Amz-Target"), "DynamoDB_20120810.DescribeTable")


if __name__ == "__main__":
    unittest.main()
