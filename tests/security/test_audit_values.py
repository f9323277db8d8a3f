"""No clear value in the audit log, by construction (issue 10, class 4).

Generated from botocore's service model: for every operation of DynamoDB and
DynamoDB Streams, a signed request plants a unique value in every member that
can carry one (tests/unit/ddb/botocore_value_members.py: items, keys, start
keys, the legacy AttributeUpdates / Expected / KeyConditions / QueryFilter /
ScanFilter, ExpressionAttributeValues, PartiQL statements and parameters),
under attribute names a mask rule covers; every expression member holds a
malformed expression with literals, every statement literals, a comment and
an Ion literal. The requests go through a real `dynaudit serve` (verify mode,
`audit: full`, a seal key, an alert on every call to a file channel) to an
upstream that answers every call with a ValidationException whose message
echoes the whole request body. Each request is sent twice: by a caller the
masks apply to, and by one in the rule's unmask_groups (the audit plan
applies to both).

Then no planted value may appear in: the raw bytes of every file of the
RocksDB store, `audit query --format jsonl`, `audit show` of every record,
`audit export` (both formats), dynaudit's stderr (the request log), or the
alert file. The test also checks that the values did reach the upstream and
came back in its error messages, so it cannot pass by sending nothing.
"""

import base64
import http.server
import json
import os
import random
import string
import sys
import threading
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "unit", "ddb"))

import harness as h  # noqa: E402
import botocore_value_members as model  # noqa: E402

MASKED = ("AKIDMASKED", "masked-secret")
UNMASKED = ("AKIDINVESTIGATOR", "investigator-secret")
CREDENTIALS = [
    (MASKED[0], MASKED[1], "analyst", ["analysts"]),
    (UNMASKED[0], UNMASKED[1], "investigator", ["investigators"]),
]
TABLE = "planted_table"
TARGET_PREFIX = {"dynamodb": "DynamoDB_20120810", "streams": "DynamoDBStreams_20120810"}

# Every attribute the planted values sit under is masked, with a mix of
# methods and path shapes (whole attribute, nested map path, list wildcard).
RULES = """
rules:
  - id: mask-planted
    mask:
      - {path: pa_hash, method: hash}
      - {path: pa_redact, method: redact}
      - {path: pa_partial, method: partial, keep_last: 2}
      - {path: pa_nested.inner, method: redact}
      - {path: pa_set, method: redact}
      - {path: pa_bin, method: hash}
      - {path: "pa_list[*].n", method: nullify}
    unmask_groups: [investigators]
    audit: full
  - id: alert-every-call
    alert:
      channel: file
      severity: high
      message: "{principal} ran {operation} on {tables} (rule {rule})"
      throttle: {max: 100000, per: 1m}
"""


class Planter:
    """Makes unique values and remembers where each was planted."""

    def __init__(self):
        self.rng = random.Random()
        self.where = {}  # needle -> "Operation path"
        self.counter = 0

    def _token(self):
        return "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(10))

    def string(self, where):
        self.counter += 1
        value = "PLANT-%s-%d-%s" % (where.split()[0], self.counter, self._token())
        self.where[value] = where
        return value

    def number(self, where):
        # 16 digits, none of them the start of another: unique enough to grep for.
        value = "9" + "".join(self.rng.choice(string.digits) for _ in range(14)) + "7"
        self.where[value] = where
        return value

    def binary(self, where):
        text = self.string(where)
        encoded = base64.b64encode(text.encode()).decode()
        self.where[encoded] = where
        return encoded

    # -- one value of each shape, under masked attribute names ----------------

    def item(self, where):
        return {
            "pa_hash": {"S": self.string(where)},
            "pa_redact": {"N": self.number(where)},
            "pa_partial": {"S": self.string(where)},
            "pa_nested": {"M": {"inner": {"S": self.string(where)}}},
            "pa_set": {"SS": [self.string(where), self.string(where)]},
            "pa_bin": {"B": self.binary(where)},
            "pa_list": {"L": [{"M": {"n": {"S": self.string(where)}}}]},
        }

    def attribute_updates(self, where):
        return {
            "pa_hash": {"Value": {"S": self.string(where)}, "Action": "PUT"},
            "pa_redact": {"Value": {"N": self.number(where)}, "Action": "ADD"},
            "pa_nested": {"Value": {"M": {"inner": {"S": self.string(where)}}}, "Action": "PUT"},
            "pa_set": {"Value": {"SS": [self.string(where)]}, "Action": "DELETE"},
        }

    def expected(self, where):
        return {
            "pa_hash": {"Value": {"S": self.string(where)}, "Exists": True},
            "pa_partial": {"AttributeValueList": [{"S": self.string(where)}], "ComparisonOperator": "BEGINS_WITH"},
            # A scalar compared with a list masked at pa_list[*].n: the path
            # cannot reach it, so the audit plan must hash it.
            "pa_list": {"AttributeValueList": [{"S": self.string(where)}], "ComparisonOperator": "CONTAINS"},
        }

    def conditions(self, where):
        return {
            "pa_hash": {"AttributeValueList": [{"S": self.string(where)}], "ComparisonOperator": "EQ"},
            "pa_redact": {"AttributeValueList": [{"N": self.number(where)}, {"N": self.number(where)}],
                          "ComparisonOperator": "BETWEEN"},
            "pa_nested": {"AttributeValueList": [{"S": self.string(where)}], "ComparisonOperator": "CONTAINS"},
        }

    def expression_values(self, where):
        return {":v1": {"S": self.string(where)}, ":v2": {"N": self.number(where)},
                ":v3": {"M": {"x": {"S": self.string(where)}}}}

    def value_list(self, where):
        return [{"S": self.string(where)}, {"N": self.number(where)}, {"B": self.binary(where)}]

    def value(self, where):
        return {"S": self.string(where)}

    def statement(self, where):
        return ("SELECT * FROM \"%s\" /* %s */ WHERE pa_hash = '%s' AND pa_redact = %s AND pa_partial = ? "
                "AND pa_nested = `{inner: \"%s\"}` -- %s" % (
                    TABLE, self.string(where), self.string(where), self.number(where), self.string(where),
                    self.string(where)))

    def expression(self, where):
        # Malformed on purpose: the expression language has no literals.
        return "pa_hash = :v1 AND pa_redact = '%s' OR pa_partial = %s OR pa_nested.inner = %s@example.com" % (
            self.string(where), self.number(where), self.string(where))


def set_path(body, path, value):
    """Puts `value` at a value-member path ("RequestItems.*[].PutRequest.Item")."""
    segments = []
    for piece in path.split("."):
        name = piece
        while name.endswith("[]"):
            name = name[:-2]
        if name:
            segments.append(name)
        segments += ["[]"] * ((len(piece) - len(name)) // 2)
    node = body
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        following = None if last else segments[i + 1]
        empty = lambda: [] if following == "[]" else {}  # noqa: E731
        if segment == "[]":
            if not node:
                node.append(empty())
            if last:
                node[0] = value
            node = node[0]
        else:
            key = TABLE if segment == "*" else segment
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, empty())
    return body


class EchoUpstream:
    """Answers every call with a ValidationException whose message is the
    request body it received: the worst upstream for the audit log."""

    def __init__(self):
        outer = self
        self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append(body)
                answer = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
                                     "message": "Invalid request: " + body.decode("utf-8", "replace")}).encode()
                self.send_response_only(400)
                self.send_header("x-amzn-RequestId", "ECHO%028d" % len(outer.bodies))
                self.send_header("x-amz-crc32", str(zlib.crc32(answer) & 0xFFFFFFFF))
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def model_operations():
    """[(family, operation)] of both models, and {operation: [(path, kind)]}."""
    operations = []
    for family, service in model.MODELS.items():
        _, doc = model.load_model(service)
        operations += [(family, name) for name in sorted(doc["operations"])]
    members, _, _ = model.value_members()
    by_operation = {}
    for _, operation, path, kind in members:
        by_operation.setdefault(operation, []).append((path, kind))
    return operations, by_operation


class AuditValuesTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.upstream = EchoUpstream()
        self.addCleanup(self.upstream.stop)
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        self.seal_key = os.path.join(self.tmp, "seal.key")
        with open(self.seal_key, "w") as f:
            f.write("22" * 32 + "\n")
        masking_key = os.path.join(self.tmp, "masking.key")
        with open(masking_key, "w") as f:
            f.write("masking-secret-for-audit-values-0123456789\n")
        self.alert_file = os.path.join(self.tmp, "alerts.jsonl")
        self.proxy = self.start_dynaudit(self.upstream.endpoint, mode="verify", credentials=CREDENTIALS, overrides={
            "rules": {"files": [rules_path]},
            "masking": {"key_file": masking_key},
            "audit": {"durability": "sync", "seal_key_file": self.seal_key},
            "alerts": {"channels": [{"name": "file", "type": "file", "path": self.alert_file}]},
            "logging": {"requests": True},
        })

    def build_requests(self):
        operations, by_operation = model_operations()
        self.assertGreater(len(operations), 55)
        planter = Planter()
        requests = []
        for family, operation in operations:
            body = {"TableName": TABLE}
            for path, kind in by_operation.get(operation, []):
                set_path(body, path, getattr(planter, kind)("%s %s" % (operation, path)))
            requests.append((family, operation, body))
        # The legacy members the audit plan used to miss are all planted.
        planted_paths = {(op, p) for op, members in by_operation.items() for p, _ in members}
        for needed in [("UpdateItem", "AttributeUpdates"), ("UpdateItem", "Expected"), ("Query", "KeyConditions"),
                       ("Query", "QueryFilter"), ("Scan", "ScanFilter"), ("Scan", "ExclusiveStartKey"),
                       ("ExecuteStatement", "Statement"), ("ExecuteStatement", "Parameters")]:
            self.assertIn(needed, planted_paths)
        return requests, planter

    def leaks(self, text, needles, place, detail=""):
        """[(place, "detail: value (planted in …)")] for each needle in text."""
        found = sorted(n for n in needles if n in text)
        return [(place, "%s%s: %s (planted in %s)" % (place, detail, n, needles[n])) for n in found]

    def test_no_planted_value_reaches_records_show_export_log_or_alerts(self):
        requests, planter = self.build_requests()
        needles = planter.where
        self.assertGreater(len(needles), 200)
        sent = 0
        for key in (MASKED, UNMASKED):
            for family, operation, body in requests:
                target = "%s.%s" % (TARGET_PREFIX[family], operation)
                r = h.signed_post(self.proxy.endpoint, body, target, key=key)
                # The client gets the upstream's message unchanged (or, if a
                # rule refuses the call, the proxy's own error).
                self.assertIn(r.status, (400,), (operation, r))
                sent += 1

        # The values really went out and came back in error messages.
        upstream_text = b"\n".join(self.upstream.bodies).decode()
        self.assertGreater(len(self.upstream.bodies), len(requests))
        echoed = [n for n in needles if n in upstream_text]
        self.assertGreater(len(echoed), len(needles) * 0.9, "the planted values did not reach the upstream")

        # Alerts are delivered off the request path: wait for all of them.
        def alerts_written():
            try:
                with open(self.alert_file) as f:
                    return sum(1 for _ in f) >= sent
            except OSError:
                return False
        h.wait_until(alerts_written, 30, what="an alert line per call")
        self.assertEqual(self.proxy.stop(), 0)
        store = self.proxy.audit_path
        leaks = []

        # 1. every byte of every file of the RocksDB store
        for root, _, files in os.walk(store):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read().decode("latin-1")
                leaks += self.leaks(data, needles, "store file", " " + name)

        # 2. audit query --format jsonl
        proc = h.audit_cli("query", "--store", store, "--format", "jsonl")  # every record
        self.assertEqual(proc.returncode, 0, proc.stderr)
        records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        leaks += self.leaks(proc.stdout, needles, "audit query")
        forwarded = [r for r in records if r["additionalEventData"].get("outcome") == "forwarded"]
        self.assertGreaterEqual(len(records), sent)
        self.assertGreater(len(forwarded), len(requests))
        # The echoes were kept (scrubbed), and the bodies too (masked).
        with_message = [r for r in forwarded if r.get("errorMessage", "").startswith("Invalid request: ")]
        self.assertGreater(len(with_message), len(requests))
        self.assertTrue(any(r["additionalEventData"].get("requestBody") for r in forwarded))

        # 3. audit show, every record
        for record in records:
            show = h.audit_cli("show", record["eventID"], "--store", store)
            self.assertEqual(show.returncode, 0, show.stderr)
            leaks += self.leaks(show.stdout, needles, "audit show", " " + record["eventID"])

        # 4. audit export, both formats
        for fmt in ("cloudtrail", "jsonl"):
            out = os.path.join(self.tmp, "export-" + fmt)
            proc = h.audit_cli("export", "--store", store, "--out", out, "--format", fmt)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            exported = 0
            for root, _, files in os.walk(out):
                for name in files:
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        text = f.read()
                    exported += len(text)
                    leaks += self.leaks(text, needles, "audit export " + fmt, " " + name)
            self.assertGreater(exported, 1000)

        # 5. the request log (dynaudit's stderr)
        log = self.proxy.stderr_text()
        self.assertGreaterEqual(log.count('"msg":"request"'), sent)
        leaks += self.leaks(log, needles, "request log")

        # 6. the alert file
        with open(self.alert_file) as f:
            alerts = f.read()
        leaks += self.leaks(alerts, needles, "alert file")

        by_place = {}
        for place, _ in leaks:
            by_place[place] = by_place.get(place, 0) + 1
        self.assertEqual([detail for _, detail in leaks][:40], [],
                         "%d planted values leaked, per place: %s" % (len(leaks), by_place))

        # PartiQL statements are kept, their literals hashed.
        statements = [r for r in forwarded if "statements" in (r.get("requestParameters") or {})]
        self.assertTrue(statements, "no record keeps its PartiQL statements")

        # Sealed values still let an investigator with the key see them.
        sealed = [r for r in forwarded if r["additionalEventData"].get("sealedValues")]
        self.assertTrue(sealed, "no record sealed the values it masked")
        sealed = sealed[0]
        show = h.audit_cli("show", sealed["eventID"], "--store", store, "--reveal", "--key-file", self.seal_key)
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertTrue(self.leaks(show.stdout, needles, "reveal"), "reveal gives the clear values back")


if __name__ == "__main__":
    unittest.main()
