"""Audit records for every kind of call, checked field by field against what the
client did: allowed calls from the AWS CLI v2, boto3 and the JS SDK v3 (over
HTTPS and HTTP), failed authentication, a malformed body, an upstream error and
an unknown operation. Records are read back the way an investigator reads them:
`dynaudit audit query --format jsonl`.

What must never be stored: item values and ExpressionAttributeValues. The
calls below carry marker strings in exactly those places, and no record may
contain them anywhere.
"""

import datetime
import hashlib
import json
import os
import re
import subprocess
import time
import unittest

import harness
from harness import CLIENT_KEY, REGION

ACCOUNT = "123456789012"
TABLE = "audit_rec_orders"
# Values that may only ever live in DynamoDB, never in the audit log.
ITEM_SECRET = "ITEM-VALUE-MUST-NOT-BE-STORED-7f3a"
ITEM_SECRET_NUMBER = "31337.2501"
EAV_SECRET = "EAV-VALUE-MUST-NOT-BE-STORED-91c2"
EAV_SECRET_NUMBER = "4242.4243"
SECRETS = (ITEM_SECRET, ITEM_SECRET_NUMBER, EAV_SECRET, EAV_SECRET_NUMBER)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# CloudTrail's classification of the operations used here.
MANAGEMENT = {"CreateTable", "DescribeTable", "ListTables", "DeleteTable", "UpdateTable"}
READ_ONLY = {"GetItem", "Query", "Scan", "BatchGetItem", "DescribeTable", "ListTables"}


def boto3_module():
    import boto3  # the default python3 has it (see DESIGN §6)
    return boto3


class Boto3Caller:
    """boto3 in this process, recording for each call what went over the wire:
    the User-Agent and body size sent, the status, x-amzn-RequestId, error code
    and Content-Length seen. Retries off, so one call is one request."""

    def __init__(self, endpoint, key=CLIENT_KEY, ca=None):
        boto3 = boto3_module()
        from botocore.config import Config
        session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1],
                                        region_name=REGION)
        self.client = session.client(
            "dynamodb", endpoint_url=endpoint, verify=ca if ca else False,
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30))
        self.sent = None
        self.client.meta.events.register("before-send.dynamodb", self._before_send)

    def _before_send(self, request=None, **_):
        body = request.body or b""
        self.sent = {"user_agent": request.headers.get("User-Agent"),
                     "request_bytes": len(body if isinstance(body, (bytes, bytearray)) else body.encode())}
        if isinstance(self.sent["user_agent"], bytes):
            self.sent["user_agent"] = self.sent["user_agent"].decode()

    def call(self, op, **params):
        from botocore.exceptions import ClientError
        method = getattr(self.client, re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower())
        t0 = datetime.datetime.now(datetime.timezone.utc)
        try:
            response = method(**params)
            error_code = error_message = None
        except ClientError as e:
            response = e.response
            error_code = e.response.get("Error", {}).get("Code")
            error_message = e.response.get("Error", {}).get("Message")
        meta = response["ResponseMetadata"]
        headers = meta.get("HTTPHeaders", {})
        return dict(self.sent, op=op, status=meta["HTTPStatusCode"], request_id=headers.get("x-amzn-requestid"),
                    error_code=error_code, error_message=error_message, response_bytes=int(headers.get("content-length", "-1")),
                    response=response, started=t0, finished=datetime.datetime.now(datetime.timezone.utc))


JS_CALLS = r"""
import { createRequire } from 'node:module'
import fs from 'node:fs'
const require = createRequire(process.env.REPO_ROOT + '/package.json')
const ddb = require('@aws-sdk/client-dynamodb')
const { NodeHttpHandler } = require('@smithy/node-http-handler')
const [endpoint, table] = process.argv.slice(1)  // node -e: no script path in argv
let sentUa = null
class Recording {
  constructor(inner) { this.inner = inner }
  async handle(request, options) { sentUa = request.headers['user-agent']; return this.inner.handle(request, options) }
  updateHttpClientConfig(k, v) { this.inner.updateHttpClientConfig?.(k, v) }
  httpHandlerConfigs() { return this.inner.httpHandlerConfigs?.() ?? {} }
  destroy() { this.inner.destroy?.() }
}
const client = new ddb.DynamoDBClient({ endpoint, region: process.env.REGION, maxAttempts: 1,
  credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET },
  requestHandler: new Recording(new NodeHttpHandler()) })
const out = []
const put = await client.send(new ddb.PutItemCommand({ TableName: table,
  Item: { pk: { S: 'js-1' }, sk: { N: '1' }, note: { S: process.env.ITEM_SECRET } } }))
out.push({ op: 'PutItem', request_id: put.$metadata.requestId, status: put.$metadata.httpStatusCode, user_agent: sentUa })
const q = await client.send(new ddb.QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p',
  FilterExpression: 'note <> :n',
  ExpressionAttributeValues: { ':p': { S: 'js-1' }, ':n': { S: process.env.EAV_SECRET } } }))
out.push({ op: 'Query', request_id: q.$metadata.requestId, status: q.$metadata.httpStatusCode, user_agent: sentUa,
  count: q.Count })
fs.writeFileSync(process.env.OUT, JSON.stringify(out))
"""


def chain_check(lines):
    """Recomputes the hash chain from the CLI's JSON lines exactly as
    docs/audit-log.md states it: hash = SHA-256(raw(previousHash) || canonical),
    canonical = the record without its "hash" member. Returns problems."""
    problems = []
    previous = None
    for line in lines:
        record = json.loads(line)
        extra = record["additionalEventData"]
        head, sep, tail = line.rpartition(',"hash":"%s"' % extra["hash"])
        if not sep:
            problems.append("seq %s: no hash member" % extra["sequence"])
            continue
        canonical = (head + tail).encode("utf-8")
        want = hashlib.sha256(bytes.fromhex(extra["previousHash"]) + canonical).hexdigest()
        if want != extra["hash"]:
            problems.append("seq %s: hash %s, recomputed %s" % (extra["sequence"], extra["hash"], want))
        if previous is not None and extra["sequence"] == previous["sequence"] + 1 \
                and extra["previousHash"] != previous["hash"]:
            problems.append("seq %s: previousHash does not match hash of %s" % (extra["sequence"],
                                                                                 previous["sequence"]))
        previous = extra
    return problems


class AuditRecordsTest(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.ca = self.make_ca()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(
            self.dynalite, mode="verify", tls=self.ca,
            credentials=[(CLIENT_KEY[0], CLIENT_KEY[1], "alice", ["app"])],
            overrides={"audit": {"path": "audit", "durability": "sync", "account_id": ACCOUNT}})
        self.store = self.proxy.audit_path
        self.https = Boto3Caller(self.proxy.https_endpoint, ca=self.ca.ca_cert)
        created = self.https.call(
            "CreateTable", TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST")
        self.assertEqual(created["status"], 200, created)
        self.created = created
        harness.wait_until(
            lambda: self.https.call("DescribeTable", TableName=TABLE)["response"]["Table"]["TableStatus"] == "ACTIVE",
            20, what="table ACTIVE")

    # ---- helpers -------------------------------------------------------------

    def records(self, *filters):
        return harness.audit_records(self.store, *filters)

    def record_for(self, request_id):
        """The outcome record whose requestID is the one the client saw."""
        self.assertTrue(request_id, "the client saw no x-amzn-RequestId")
        found = [r for r in self.records() if r["requestID"] == request_id
                 and r["additionalEventData"]["phase"] == "outcome"]
        self.assertEqual(len(found), 1, "records with requestID %s: %s" % (request_id, found))
        return found[0]

    def assert_no_secrets(self, record):
        text = json.dumps(record, ensure_ascii=False)
        for secret in SECRETS:
            self.assertNotIn(secret, text, "a value that must never be stored is in the record: %s" % text)

    def assert_common(self, record, call, listener, verified=True, status=200, table=TABLE):
        """The fields every record of an allowed (or refused) call carries."""
        op = call["op"]
        self.assertEqual(record["eventSource"], "dynamodb.amazonaws.com")
        self.assertEqual(record["eventName"], op)
        self.assertEqual(record["awsRegion"], REGION)
        self.assertEqual(record["eventType"], "AwsApiCall")
        self.assertEqual(record["apiVersion"], "2012-08-10")
        self.assertTrue(record.get("eventVersion"))
        self.assertRegex(record["eventID"], UUID4)
        self.assertRegex(record["eventTime"], EVENT_TIME)
        if "started" in call:
            when = datetime.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc)
            self.assertLessEqual(call["started"] - datetime.timedelta(seconds=2), when)
            self.assertLessEqual(when, call["finished"] + datetime.timedelta(seconds=1))
        self.assertEqual(record["sourceIPAddress"], "127.0.0.1")
        self.assertEqual(record["requestID"], call["request_id"])
        if call.get("user_agent"):
            self.assertEqual(record["userAgent"], call["user_agent"])
        ident = record["userIdentity"]
        self.assertEqual(ident["accessKeyId"], CLIENT_KEY[0] if verified else ident["accessKeyId"])
        if verified:
            self.assertEqual(ident, {"type": "IAMUser", "principalId": "alice", "accessKeyId": CLIENT_KEY[0],
                                     "userName": "alice"})
        else:
            self.assertEqual(ident["type"], "Unknown")
            self.assertEqual(ident["userName"], "")
        self.assertEqual(record["readOnly"], op in READ_ONLY, "readOnly of %s" % op)
        self.assertEqual(record["managementEvent"], op in MANAGEMENT, "managementEvent of %s" % op)
        self.assertEqual(record["eventCategory"], "Management" if op in MANAGEMENT else "Data")
        if table:
            self.assertEqual([(r["type"], r["ARN"]) for r in record["resources"]],
                             [("AWS::DynamoDB::Table", "arn:aws:dynamodb:%s:%s:table/%s" % (REGION, ACCOUNT, table))])
        if listener == "https":
            tls = record["tlsDetails"]
            self.assertIn(tls["tlsVersion"], ("TLSv1.2", "TLSv1.3"))
            self.assertTrue(tls["cipherSuite"])
            self.assertEqual(tls["clientProvidedHostHeader"], "127.0.0.1:%d" % self.proxy.port("https"))
        else:
            self.assertNotIn("tlsDetails", record)
        extra = record["additionalEventData"]
        self.assertEqual(extra["listener"], listener)
        self.assertEqual(extra["authMode"], "verify")
        self.assertEqual(extra["signatureVerified"], verified)
        self.assertEqual(extra["httpStatus"], status)
        self.assertIsInstance(extra["sequence"], int)
        self.assertRegex(extra["hash"], HEX64)
        self.assertTrue(extra["previousHash"] == "" or HEX64.match(extra["previousHash"]))
        if "request_bytes" in call:
            self.assertEqual(extra["requestBytes"], call["request_bytes"])
        if call.get("response_bytes", -1) >= 0:
            self.assertEqual(extra["responseBytes"], call["response_bytes"])
        self.assertGreater(extra["proxyLatencyUs"], 0)
        self.assertLessEqual(extra["upstreamLatencyUs"], extra["proxyLatencyUs"])
        self.assert_no_secrets(record)

    def assert_allowed(self, record, call, listener, table=TABLE):
        self.assert_common(record, call, listener, table=table)
        self.assertNotIn("errorCode", record)
        extra = record["additionalEventData"]
        self.assertEqual(extra["decision"], "allow")
        self.assertEqual(extra["matchedRules"], [])
        self.assertEqual(extra["outcome"], "forwarded")
        self.assertGreater(extra["upstreamLatencyUs"], 0)

    # ---- allowed calls ---------------------------------------------------------

    def test_boto3_calls_over_https(self):
        c = self.https
        calls = {"CreateTable": self.created}
        calls["PutItem"] = c.call("PutItem", TableName=TABLE, Item={
            "pk": {"S": "p1"}, "sk": {"N": "1"}, "note": {"S": ITEM_SECRET}, "order_total": {"N": ITEM_SECRET_NUMBER}})
        calls["GetItem"] = c.call("GetItem", TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}},
                                  ProjectionExpression="#n, order_total", ExpressionAttributeNames={"#n": "note"})
        calls["UpdateItem"] = c.call(
            "UpdateItem", TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}},
            UpdateExpression="SET #s = :s, order_total = order_total + :inc", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "order_status"},
            ExpressionAttributeValues={":s": {"S": EAV_SECRET}, ":inc": {"N": EAV_SECRET_NUMBER}})
        calls["Query"] = c.call("Query", TableName=TABLE, KeyConditionExpression="pk = :p",
                                FilterExpression="order_status <> :x",
                                ExpressionAttributeValues={":p": {"S": "p1"}, ":x": {"S": EAV_SECRET}})
        calls["DescribeTable"] = c.call("DescribeTable", TableName=TABLE)
        calls["ListTables"] = c.call("ListTables")
        calls["DeleteItem"] = c.call("DeleteItem", TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
        for op, call in calls.items():
            self.assertEqual(call["status"], 200, call)

        for op, call in calls.items():
            with self.subTest(op=op):
                record = self.record_for(call["request_id"])
                self.assert_allowed(record, call, "https", table=None if op == "ListTables" else TABLE)
                params = record["requestParameters"]
                text = json.dumps(params)
                extra = record["additionalEventData"]
                if op == "ListTables":
                    self.assertEqual(record["resources"], [])
                    continue
                self.assertEqual(params.get("tableName"), TABLE)
                if op == "PutItem":
                    for name in ("pk", "sk", "note", "order_total"):
                        self.assertIn(name, text)
                    self.assertEqual(extra["requestItems"], 1)
                if op in ("GetItem", "UpdateItem", "DeleteItem"):
                    self.assertIn('"p1"', text, "key value of %s" % op)
                    self.assertIn('"1"', text, "range key value of %s" % op)
                if op == "GetItem":
                    self.assertIn("note", text)   # ExpressionAttributeNames resolved
                    self.assertIn("order_total", text)
                    self.assertEqual(extra["responseItems"], 1)
                if op == "UpdateItem":
                    self.assertIn("order_status", text)
                    self.assertIn("SET #s = :s, order_total = order_total + :inc", text)
                if op == "Query":
                    self.assertIn("pk = :p", text)
                    self.assertEqual(extra["responseItems"], call["response"]["Count"])
        # Only the calls the clients made (plus the DescribeTable polls) are there.
        ops = {r["eventName"] for r in self.records()}
        self.assertEqual(ops, set(calls))

    def test_awscli_v2_over_http(self):
        if not harness.client_available("awscli-v2"):
            self.skipTest("AWS CLI v2 not installed at %s" % harness.AWSCLI_V2)
        home = os.path.join(self.tmp, "awshome")
        os.makedirs(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": CLIENT_KEY[0], "AWS_SECRET_ACCESS_KEY": CLIENT_KEY[1],
                    "AWS_CONFIG_FILE": os.path.join(home, "config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
                    "AWS_PAGER": "", "HOME": home, "AWS_MAX_ATTEMPTS": "1"})

        def aws(op, *args):
            proc = subprocess.run(
                [harness.AWSCLI_V2, "--debug", "dynamodb", op, *args, "--endpoint-url", self.proxy.endpoint,
                 "--region", REGION, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            # --debug logs the request's headers and the response's headers.
            ua = re.findall(r"'User-Agent': b'([^']+)'", proc.stderr)
            rid = re.findall(r"'x-amzn-RequestId': '([^']+)'", proc.stderr, flags=re.I)
            self.assertTrue(ua and rid, proc.stderr[-3000:])
            return {"op": op, "request_id": rid[-1], "user_agent": ua[-1]}

        put = aws("put-item", "--table-name", TABLE, "--item",
                  json.dumps({"pk": {"S": "cli-1"}, "sk": {"N": "7"}, "note": {"S": ITEM_SECRET}}))
        put["op"] = "PutItem"
        get = aws("get-item", "--table-name", TABLE, "--key", json.dumps({"pk": {"S": "cli-1"}, "sk": {"N": "7"}}))
        get["op"] = "GetItem"
        for call in (put, get):
            record = self.record_for(call["request_id"])
            self.assertTrue(record["userAgent"].startswith("aws-cli/2."), record["userAgent"])
            self.assert_allowed(record, call, "http")
        self.assertIn('"cli-1"', json.dumps(self.record_for(get["request_id"])["requestParameters"]))

    def test_js_sdk_v3_over_http(self):
        if not harness.client_available("js-sdk-v3"):
            self.skipTest("@aws-sdk/client-dynamodb not installed (npm ci)")
        out = os.path.join(self.tmp, "js.json")
        env = dict(os.environ, REPO_ROOT=harness.REPO_ROOT, REGION=REGION, KEY_ID=CLIENT_KEY[0],
                   SECRET=CLIENT_KEY[1], ITEM_SECRET=ITEM_SECRET, EAV_SECRET=EAV_SECRET, OUT=out,
                   NODE_NO_WARNINGS="1")
        proc = subprocess.run([harness.NODE, "--input-type=module", "-e", JS_CALLS, "--", self.proxy.endpoint, TABLE],
                              env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        with open(out) as f:
            calls = json.load(f)
        for call in calls:
            self.assertEqual(call["status"], 200, call)
            record = self.record_for(call["request_id"])
            self.assertIn("aws-sdk-js/3", record["userAgent"])
            self.assert_allowed(record, call, "http")
            if call["op"] == "Query":
                self.assertEqual(record["additionalEventData"]["responseItems"], call["count"])

    def test_describe_and_list_are_read_only(self):
        # CloudTrail marks DescribeTable and ListTables readOnly (and
        # CreateTable not): an investigator filtering on readOnly == false to
        # find changes must not get every DescribeTable poll.
        calls = [self.https.call("DescribeTable", TableName=TABLE), self.https.call("ListTables"), self.created]
        got = {c["op"]: self.record_for(c["request_id"])["readOnly"] for c in calls}
        self.assertEqual(got, {"DescribeTable": True, "ListTables": True, "CreateTable": False})

    # ---- refused and failed calls ----------------------------------------------

    def assert_refused(self, record, call, error_code, status=400, verified=False, table=None):
        self.assert_common(record, call, "http", verified=verified, status=status, table=table)
        self.assertEqual(record["errorCode"], error_code)
        # The message the client received (none: no errorMessage member).
        self.assertEqual(record.get("errorMessage"), call.get("error_message") or None)
        extra = record["additionalEventData"]
        self.assertEqual(extra["outcome"], "rejected")
        self.assertEqual(extra["upstreamLatencyUs"], 0, "a refused call never reaches the upstream")

    def test_failed_authentication(self):
        wrong_secret = Boto3Caller(self.proxy.endpoint, key=(CLIENT_KEY[0], "not-alices-secret"))
        bad = wrong_secret.call("GetItem", TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
        self.assertEqual((bad["status"], bad["error_code"]), (400, "InvalidSignatureException"))
        record = self.record_for(bad["request_id"])
        self.assert_refused(record, bad, "InvalidSignatureException", table=TABLE)
        self.assertEqual(record["userIdentity"]["accessKeyId"], CLIENT_KEY[0])

        unknown = Boto3Caller(self.proxy.endpoint, key=("AKIDNOBODY", "whatever"))
        bad = unknown.call("PutItem", TableName=TABLE, Item={"pk": {"S": "x"}, "sk": {"N": "1"},
                                                             "note": {"S": ITEM_SECRET}})
        self.assertEqual((bad["status"], bad["error_code"]), (400, "UnrecognizedClientException"))
        record = self.record_for(bad["request_id"])
        self.assert_refused(record, bad, "UnrecognizedClientException", table=TABLE)
        self.assertEqual(record["userIdentity"]["accessKeyId"], "AKIDNOBODY")
        self.assertEqual(record["userIdentity"]["principalId"], "AKIDNOBODY")

    def test_malformed_body(self):
        body = b'{"TableName": "%s", "Item": {"pk": {"S": "' % TABLE.encode() + ITEM_SECRET.encode()
        r = harness.signed_post(self.proxy.endpoint, body, "DynamoDB_20120810.PutItem")
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.json()["__type"].endswith("SerializationException"), r)
        call = {"op": "PutItem", "request_id": r.header("x-amzn-RequestId"), "request_bytes": len(body),
                "response_bytes": len(r.body), "error_message": r.json().get("message", r.json().get("Message"))}
        record = self.record_for(call["request_id"])
        self.assert_refused(record, call, "SerializationException", verified=True, table=None)

    def test_upstream_down(self):
        self.dynalite.stop()
        call = self.https.call("GetItem", TableName=TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
        self.assertGreaterEqual(call["status"], 500, call)
        record = self.record_for(call["request_id"])
        self.assert_common(record, call, "https", status=call["status"])
        self.assertEqual(record["errorCode"], call["error_code"])
        self.assertEqual(record["additionalEventData"]["outcome"], "upstream_error")

    def test_unknown_operation_is_refused_and_recorded(self):
        # The catalog is the allowlist: the proxy answers it, nothing is forwarded.
        payload = {"TableName": TABLE, "Secret": ITEM_SECRET}
        r = harness.signed_post(self.proxy.endpoint, payload, "DynamoDB_20120810.FrobnicateItems")
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.json()["__type"].endswith("UnknownOperationException"), r)
        call = {"op": "FrobnicateItems", "request_id": r.header("x-amzn-RequestId"),
                "response_bytes": len(r.body)}
        record = self.record_for(call["request_id"])
        self.assert_common(record, call, "http", status=400, table=TABLE)
        self.assertEqual(record["errorCode"], "UnknownOperationException")
        self.assertEqual(record["additionalEventData"]["outcome"], "rejected")
        self.assertEqual(record["additionalEventData"]["upstreamLatencyUs"], 0)

    # ---- the chain, as documented ------------------------------------------------

    def test_hash_chain_recomputes_as_documented(self):
        self.https.call("PutItem", TableName=TABLE, Item={"pk": {"S": "c"}, "sk": {"N": "1"}})
        harness.signed_post(self.proxy.endpoint, b"{", "DynamoDB_20120810.GetItem")
        proc = harness.audit_cli("query", "--store", self.store, "--format", "jsonl")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertGreaterEqual(len(lines), 4)
        seqs = [json.loads(l)["additionalEventData"]["sequence"] for l in lines]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))), "sequence numbers have no gaps")
        self.assertEqual(json.loads(lines[0])["additionalEventData"]["previousHash"], "")
        self.assertEqual(chain_check(lines), [])
        verify = harness.audit_verify(self.store)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertIn("OK", verify.stdout)


if __name__ == "__main__":
    unittest.main()
