"""Limits and odd requests at dynaudit's listener.

- a body over max_body_bytes: 413 RequestEntityTooLargeException, DynamoDB-shaped;
  a body of exactly max_body_bytes passes;
- headers over max_header_bytes: 413, DynamoDB-shaped;
- idle keep-alive connections closed after idle_timeout; a slow client that
  never finishes its headers dropped after header_timeout;
- malformed JSON: the SerializationException reaches the client as the
  upstream answered it;
- unknown operations and target prefixes (DynamoDBStreams_20120810.ListStreams)
  are forwarded, not rejected.
"""

import json
import socket
import time
import unittest

import harness as h

MAX_BODY = 65536
MAX_HEADER = 4096
IDLE_TIMEOUT = 2.0
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 3.0


class LimitsTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, mode="trust", overrides={"limits": {
            "max_body_bytes": MAX_BODY, "max_header_bytes": MAX_HEADER,
            "idle_timeout": "%ds" % IDLE_TIMEOUT, "header_timeout": "%ds" % HEADER_TIMEOUT,
            "body_timeout": "%ds" % BODY_TIMEOUT}})

    # ---- helpers -------------------------------------------------------------

    def both(self, body, target):
        """The same signed request directly to dynalite and through dynaudit."""
        direct = h.signed_post(self.dynalite.endpoint, body, target)
        proxied = h.signed_post(self.proxy.endpoint, body, target)
        return direct, proxied

    def assert_same_answer(self, direct, proxied):
        self.assertEqual((proxied.status, proxied.body), (direct.status, direct.body), (direct, proxied))
        for name in ("Content-Type", "x-amz-crc32", "Content-Length"):
            self.assertEqual(proxied.header(name), direct.header(name), name)
        self.assertIsNotNone(proxied.header("x-amzn-RequestId"))

    def assert_too_large(self, r):
        self.assertEqual(r.status, 413, r)
        body = r.json()
        self.assertEqual(body.get("__type"), "com.amazon.coral.service#RequestEntityTooLargeException", r)
        self.assertIsInstance(body.get("message"), str, r)
        self.assertEqual(r.header("Content-Type"), "application/x-amz-json-1.0", r)

    def padded_list_tables(self, size):
        """A valid ListTables body of exactly `size` bytes (JSON allows the padding)."""
        base = b'{"Limit": 10}'
        return base[:-1] + b" " * (size - len(base)) + b"}"

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.proxy.port()), timeout=15)
        self.addCleanup(s.close)
        return s

    def wait_closed(self, s, limit):
        """Seconds until the server closes `s` (reads whatever it sends first)."""
        t0 = time.monotonic()
        s.settimeout(limit)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            self.fail("connection still open after %.1fs" % limit)
        return time.monotonic() - t0, data

    # ---- body size -----------------------------------------------------------

    def test_body_at_the_limit_passes(self):
        body = self.padded_list_tables(MAX_BODY)
        self.assertEqual(len(body), MAX_BODY)
        r = h.signed_post(self.proxy.endpoint, body, "DynamoDB_20120810.ListTables")
        self.assertEqual((r.status, r.json()), (200, {"TableNames": []}), r)

    def test_body_over_the_limit_is_413(self):
        r = h.signed_post(self.proxy.endpoint, self.padded_list_tables(MAX_BODY + 1), "DynamoDB_20120810.ListTables")
        self.assert_too_large(r)
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual([x.get("status") for x in logged], [413], logged)

    def test_huge_declared_length_is_answered_without_waiting_for_the_body(self):
        s = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100000000\r\n\r\n{")
        elapsed, data = self.wait_closed(s, BODY_TIMEOUT + 5)
        self.assertLess(elapsed, BODY_TIMEOUT, "waited for the body before answering 413")
        self.assertTrue(data.startswith(b"HTTP/1.1 413 "), data)
        self.assertIn(b"RequestEntityTooLargeException", data)

    def test_boto3_put_over_the_limit(self):
        big = "x" * (MAX_BODY + 100)
        steps = [{"name": "put", "op": "PutItem", "params": {
            "TableName": "t", "Item": {"pk": {"S": "k"}, "blob": {"S": big}}}}]
        for kind in ("boto3-default", "js-sdk-v3"):
            with self.subTest(client=kind):
                doc = h.run_client(kind, self.proxy.endpoint, steps=steps, extra_args=["--max-attempts", "1"])
                r = doc["results"][0]
                self.assertEqual((r.get("status"), r.get("error_code")), (413, "RequestEntityTooLargeException"), r)

    # ---- headers -------------------------------------------------------------

    def test_headers_over_the_limit_are_413(self):
        body = b"{}"
        headers = h.sign_headers(self.proxy.endpoint, body, "DynamoDB_20120810.ListTables")
        headers["X-Padding"] = "p" * (MAX_HEADER + 10)
        r = h.post(self.proxy.endpoint, body, headers)
        self.assert_too_large(r)

    def test_headers_under_the_limit_pass(self):
        body = b"{}"
        headers = h.sign_headers(self.proxy.endpoint, body, "DynamoDB_20120810.ListTables")
        headers["X-Padding"] = "p" * (MAX_HEADER - 1500)
        r = h.post(self.proxy.endpoint, body, headers)
        self.assertEqual((r.status, r.json()), (200, {"TableNames": []}), r)

    # ---- timeouts ------------------------------------------------------------

    def test_idle_connection_closed_after_idle_timeout(self):
        s = self.connect()
        elapsed, data = self.wait_closed(s, IDLE_TIMEOUT + 5)
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, IDLE_TIMEOUT - 0.3)
        self.assertLess(elapsed, IDLE_TIMEOUT + 1.5)

    def test_keep_alive_connection_closed_after_idle_timeout(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port(), timeout=10)
        self.addCleanup(conn.close)
        body = b"{}"
        for _ in range(2):  # the connection is reused while active
            conn.request("POST", "/", body=body, headers=h.sign_headers(
                self.proxy.endpoint, body, "DynamoDB_20120810.ListTables"))
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (200, b'{"TableNames":[]}'))
        elapsed, data = self.wait_closed(conn.sock, IDLE_TIMEOUT + 5)
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, IDLE_TIMEOUT - 0.3)
        self.assertLess(elapsed, IDLE_TIMEOUT + 1.5)

    def test_slow_headers_dropped_after_header_timeout(self):
        s = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed, data = self.wait_closed(s, HEADER_TIMEOUT + 5)
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, HEADER_TIMEOUT - 0.3)
        self.assertLess(elapsed, HEADER_TIMEOUT + 1.5)

    def test_slow_body_dropped_after_body_timeout(self):
        s = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 10\r\n\r\n{")
        elapsed, data = self.wait_closed(s, BODY_TIMEOUT + 5)
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, BODY_TIMEOUT - 0.3)
        self.assertLess(elapsed, BODY_TIMEOUT + 1.5)

    def test_proxy_still_serves_after_abuse(self):
        self.test_slow_headers_dropped_after_header_timeout()
        self.test_body_over_the_limit_is_413()
        r = h.signed_post(self.proxy.endpoint, b"{}", "DynamoDB_20120810.ListTables")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.proxy.admin_get("/healthz")[0], 200)

    # ---- passthrough ---------------------------------------------------------

    def test_malformed_json_answered_as_upstream_does(self):
        for body in (b'{"TableName": ', b"not json at all", b'{"Limit": 1'):
            with self.subTest(body=body):
                direct, proxied = self.both(body, "DynamoDB_20120810.ListTables")
                self.assertEqual((direct.status, direct.json()),
                                 (400, {"__type": "com.amazon.coral.service#SerializationException"}))
                self.assert_same_answer(direct, proxied)

    def test_unknown_target_prefix_is_forwarded(self):
        direct, proxied = self.both(b"{}", "DynamoDBStreams_20120810.ListStreams")
        self.assertEqual((direct.status, direct.json()),
                         (400, {"__type": "com.amazon.coral.service#UnknownOperationException"}))
        self.assert_same_answer(direct, proxied)
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual(len(logged), 1, logged)
        self.assertEqual(logged[0].get("outcome"), "forwarded", logged)

    def test_cataloged_operations_the_upstream_lacks_are_forwarded(self):
        # dynalite has no PartiQL and no DescribeEndpoints: its answer passes through.
        for target in ("DynamoDB_20120810.ExecuteStatement", "DynamoDB_20120810.DescribeEndpoints"):
            with self.subTest(target=target):
                direct, proxied = self.both(b"{}", target)
                self.assertEqual((direct.status, direct.json()),
                                 (400, {"__type": "com.amazon.coral.service#UnknownOperationException"}))
                self.assert_same_answer(direct, proxied)
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual([x.get("outcome") for x in logged], ["forwarded", "forwarded"], logged)

    def test_operations_outside_the_catalog_are_answered_by_the_proxy_as_dynamodb_does(self):
        # The catalog is the allowlist (issue 10): the proxy answers the same
        # bytes DynamoDB would, and nothing is forwarded.
        direct, proxied = self.both(b"{}", "DynamoDB_20120810.NoSuchOperation")
        self.assertEqual((direct.status, direct.json()),
                         (400, {"__type": "com.amazon.coral.service#UnknownOperationException"}))
        self.assert_same_answer(direct, proxied)
        # dynalite ignores the API version and would run this Scan; the proxy
        # refuses it as an unknown operation (tests/security/test_operation_identity.py).
        proxied = h.signed_post(self.proxy.endpoint, b"{}", "DynamoDB_20111205.Scan")
        self.assertEqual((proxied.status, proxied.json()),
                         (400, {"__type": "com.amazon.coral.service#UnknownOperationException"}))
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual([x.get("outcome") for x in logged], ["rejected", "rejected"], logged)

    def test_dynamodbstreams_client_is_forwarded(self):
        """boto3's own dynamodbstreams client, through dynaudit and directly."""
        script = (
            "import boto3,json,sys\n"
            "from botocore.exceptions import ClientError\n"
            "c=boto3.client('dynamodbstreams',endpoint_url=sys.argv[1],region_name='us-east-1',"
            "aws_access_key_id='AKIDTEST',aws_secret_access_key='s')\n"
            "try:\n  c.list_streams(); print(json.dumps(['ok']))\n"
            "except ClientError as e:\n"
            "  print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]))\n")
        import subprocess
        import sys
        out = {}
        for name, url in (("direct", self.dynalite.endpoint), ("proxied", self.proxy.endpoint)):
            p = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            out[name] = json.loads(p.stdout)
        self.assertEqual(out["direct"], ["UnknownOperationException", 400])
        self.assertEqual(out["proxied"], out["direct"])


if __name__ == "__main__":
    unittest.main()
