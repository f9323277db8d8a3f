"""Verify mode: dynaudit checks each caller's SigV4 signature against its
credential store, and answers exactly what DynamoDB answers when it fails.

Real clients sign with correct keys (pass), a wrong secret
(InvalidSignatureException), an unknown key (UnrecognizedClientException) and a
wrong clock (Signature expired / not yet current); hand-signed requests
(botocore's signer) cover the cases no client produces on its own.
"""

import datetime
import json
import unittest
import zlib

import harness as h

ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")
CREDENTIALS = [
    (ALICE[0], ALICE[1], "alice", ["analysts"]),
    (BOB[0], BOB[1], "bob", ["payments", "oncall"]),
]

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.")
INVALID_TOKEN = "The security token included in the request is invalid."

TABLE = "dynaudit_verify"
STEPS = [
    {"name": "create", "op": "CreateTable", "params": {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
    {"name": "wait", "op": "wait_active", "params": {"TableName": TABLE}},
    {"name": "put", "op": "PutItem", "params": {"TableName": TABLE, "Item": {"pk": {"S": "k1"}, "v": {"N": "1"}}}},
    {"name": "get", "op": "GetItem", "params": {"TableName": TABLE, "Key": {"pk": {"S": "k1"}}}},
    {"name": "query", "op": "Query", "params": {"TableName": TABLE, "KeyConditionExpression": "pk = :k",
                                                "ExpressionAttributeValues": {":k": {"S": "k1"}}}},
    {"name": "unknown_op", "op": "TransactWriteItems", "params": {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "k2"}}}}]}},
    {"name": "delete_table", "op": "DeleteTable", "params": {"TableName": TABLE}},
]
LIST_TABLES = [{"name": "list", "op": "ListTables", "params": {}}]

# Clients whose calls end in exactly one HTTP request per step with default retries.
KINDS = h.CLIENT_KINDS


class VerifyModeTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.ca = self.make_ca()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, mode="verify", tls=self.ca, credentials=CREDENTIALS)

    def only(self, doc):
        self.assertEqual(len(doc["results"]), 1, doc)
        return doc["results"][0]

    def assert_error(self, kind, result, code, message=None, message_prefix=None):
        self.assertNotIn("exception", result, result)
        self.assertEqual(result["error_code"], code, "%s: %s" % (kind, result))
        if message is not None:
            self.assertEqual(result["error_message"], message, "%s: %s" % (kind, result))
        if message_prefix is not None:
            self.assertTrue((result["error_message"] or "").startswith(message_prefix),
                            "%s: message %r should start with %r" % (kind, result["error_message"], message_prefix))
        if kind == "awscli-v2":
            self.assertEqual(result["rc"], 254, result)
        else:
            self.assertEqual(result["status"], 400, result)
            self.assertEqual(result["client_error_code"], code, result)
            # x-amz-crc32 on dynaudit's own errors: test_own_errors_look_like_dynamodb
            self.assertIn(result["crc32_ok"], (True, None), result)

    def request_log(self):
        return [r for r in self.proxy.log_records() if r.get("msg") == "request"]

    # ---- real clients ------------------------------------------------------

    def test_correct_keys_pass_with_every_client(self):
        for kind in KINDS:
            for endpoint, ca in ((self.proxy.endpoint, None), (self.proxy.https_endpoint, self.ca.ca_cert)):
                with self.subTest(client=kind, endpoint=endpoint):
                    doc = h.run_client(kind, endpoint, ca_bundle=ca, key=ALICE, steps=STEPS)
                    errors = {r["step"]: r.get("error_code") or r.get("exception") for r in doc["results"]}
                    self.assertEqual(errors, {"create": None, "put": None, "get": None, "query": None,
                                              "unknown_op": "UnknownOperationException",
                                              "delete_table": None}, json.dumps(doc["results"], indent=1))
                    body_key = "output" if kind == "awscli-v2" else "body"
                    get = [r for r in doc["results"] if r["step"] == "get"][0]
                    self.assertEqual(get[body_key], {"Item": {"pk": {"S": "k1"}, "v": {"N": "1"}}})
        records = self.request_log()
        self.assertTrue(records, "no request log lines")
        for r in records:
            self.assertEqual(r.get("principal"), "alice", r)
            self.assertEqual(r.get("access_key_id"), ALICE[0], r)
            self.assertEqual(r.get("auth"), "verify", r)
            self.assertIs(r.get("verified"), True, r)

    def test_second_key_is_its_own_principal(self):
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=BOB, steps=LIST_TABLES)
        self.assertEqual(self.only(doc)["error_code"], None, doc)
        records = self.request_log()
        self.assertEqual([(r.get("principal"), r.get("verified")) for r in records], [("bob", True)])

    def test_wrong_secret_is_invalid_signature(self):
        for kind in KINDS:
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=(ALICE[0], "not-alice-secret"), steps=LIST_TABLES)
                self.assert_error(kind, self.only(doc), "InvalidSignatureException", SIGNATURE_MISMATCH)
        for r in self.request_log():
            self.assertIs(r.get("verified"), False, r)
            self.assertEqual(r.get("status"), 400, r)

    def test_unknown_key_is_unrecognized_client(self):
        for kind in KINDS:
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=("AKIDNOBODY", "whatever"), steps=LIST_TABLES)
                self.assert_error(kind, self.only(doc), "UnrecognizedClientException", INVALID_TOKEN)

    def test_client_clock_behind_is_signature_expired(self):
        # botocore signs with a clock 20 minutes slow (max_clock_skew is 5m).
        for kind in ("boto3-debian", "boto3-default"):
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, key=ALICE, steps=LIST_TABLES,
                                   extra_args=["--clock-skew", "-1200"])
                self.assert_error(kind, self.only(doc), "InvalidSignatureException",
                                  message_prefix="Signature expired: ")
                self.assertRegex(self.only(doc)["error_message"],
                                 r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                                 r"\(\d{8}T\d{6}Z - 5 min\.\)$")

    def test_client_clock_ahead_is_not_yet_current(self):
        doc = h.run_client("boto3-default", self.proxy.endpoint, key=ALICE, steps=LIST_TABLES,
                           extra_args=["--clock-skew", "1200"])
        result = self.only(doc)
        self.assert_error("boto3-default", result, "InvalidSignatureException",
                          message_prefix="Signature not yet current: ")

    def test_clock_within_skew_passes(self):
        for skew in ("-200", "200"):
            with self.subTest(skew=skew):
                doc = h.run_client("boto3-debian", self.proxy.endpoint, key=ALICE, steps=LIST_TABLES,
                                   extra_args=["--clock-skew", skew])
                self.assertEqual(self.only(doc)["error_code"], None, doc)
                self.assertEqual(self.only(doc)["status"], 200, doc)

    # ---- hand-signed requests -----------------------------------------------

    def raw(self, payload=b"{}", target="DynamoDB_20120810.ListTables", **kwargs):
        return h.signed_post(self.proxy.endpoint, payload, target, **kwargs)

    def assert_raw_error(self, response, type_name, message=None, prefix=None):
        self.assertEqual(response.status, 400, response)
        body = response.json()
        self.assertEqual(body.get("__type"), "com.amazon.coral.service#" + type_name, response)
        if message is not None:
            self.assertEqual(body.get("message"), message, response)
        if prefix is not None:
            self.assertTrue(body.get("message", "").startswith(prefix), response)
        self.assertEqual(response.header("Content-Type"), "application/x-amz-json-1.0", response)
        self.assertIsNotNone(response.header("x-amzn-RequestId"), response)

    def test_own_errors_look_like_dynamodb(self):
        """DynamoDB puts x-amz-crc32 and x-amzn-RequestId on every response,
        errors included; boto3 and AWS CLI v1 check the crc when present."""
        r = self.raw(key=(ALICE[0], "wrong"))
        self.assert_raw_error(r, "InvalidSignatureException", SIGNATURE_MISMATCH)
        self.assertEqual(r.header("x-amz-crc32"), str(zlib.crc32(r.body) & 0xFFFFFFFF), r)
        self.assertEqual(r.header("Content-Length"), str(len(r.body)), r)
        self.assertIsNotNone(r.header("Date"), r)

    def test_js_sdk_corrects_its_clock_from_the_date_header(self):
        """Against DynamoDB, the JS SDK v3 with a wrong clock gets "Signature
        expired", reads the server's Date header, fixes its clock offset and
        retries once, successfully. Through dynaudit it must do the same, so
        dynaudit's own error responses need a Date header."""
        doc = h.run_client("js-sdk-v3", self.proxy.endpoint, key=ALICE, steps=LIST_TABLES,
                           extra_args=["--clock-skew", "-1200"])
        result = self.only(doc)
        self.assertEqual((result["error_code"], result["status"], result["retries"]), (None, 200, 1), result)
        expired = [r for r in self.request_log() if r.get("status") == 400]
        self.assertEqual(len(expired), 1, self.request_log())

    def test_hand_signed_in_the_past_is_expired(self):
        when = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        r = self.raw(key=ALICE, when=when)
        self.assert_raw_error(r, "InvalidSignatureException", prefix="Signature expired: %s is now earlier than "
                              % when.strftime("%Y%m%dT%H%M%SZ"))

    def test_hand_signed_correctly_passes(self):
        r = self.raw(key=ALICE)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"TableNames": []})

    def test_missing_authorization(self):
        r = h.post(self.proxy.endpoint, b"{}", {"Content-Type": "application/x-amz-json-1.0",
                                                 "X-Amz-Target": "DynamoDB_20120810.ListTables"})
        self.assert_raw_error(r, "MissingAuthenticationTokenException", "Request is missing Authentication Token")

    def test_body_changed_after_signing_is_invalid_signature(self):
        body = b'{"Limit": 5}'
        headers = h.sign_headers(self.proxy.endpoint, body, "DynamoDB_20120810.ListTables", key=ALICE)
        headers.pop("X-Amz-Content-SHA256", None)
        r = h.post(self.proxy.endpoint, b'{"Limit": 6}', headers)
        self.assert_raw_error(r, "InvalidSignatureException", SIGNATURE_MISMATCH)

    def test_region_outside_allowed_regions(self):
        body = b"{}"
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        req = AWSRequest(method="POST", url=self.proxy.endpoint, data=body, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"})
        botocore.auth.SigV4Auth(Credentials(*ALICE), "dynamodb", "eu-west-1").add_auth(req)
        r = h.post(self.proxy.endpoint, body, dict(req.headers.items()))
        self.assert_raw_error(r, "InvalidSignatureException",
                              "Credential should be scoped to a valid region, not 'eu-west-1'.")

    def test_nothing_unverified_reaches_upstream(self):
        """A rejected call must not be forwarded: the table it would create must not exist."""
        create = {"TableName": "should_not_exist", "BillingMode": "PAY_PER_REQUEST",
                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
        r = self.raw(json.dumps(create).encode(), "DynamoDB_20120810.CreateTable", key=(ALICE[0], "wrong"))
        self.assert_raw_error(r, "InvalidSignatureException", SIGNATURE_MISMATCH)
        direct = h.run_client("boto3-default", self.dynalite.endpoint, steps=LIST_TABLES)
        self.assertEqual(self.only(direct)["body"], {"TableNames": []})


if __name__ == "__main__":
    unittest.main()
