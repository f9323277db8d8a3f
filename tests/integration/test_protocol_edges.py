"""The protocol's edges, through a real dynaudit (issue 11, items 3-7).

- trust mode still requires a well-formed SigV4 Authorization: unsigned,
  malformed, stale and presigned calls get DynamoDB's errors and reach nothing,
  and the caller's query-string credentials never leave the proxy;
- a 413 for an oversized body reaches the client over HTTP and HTTPS (the
  proxy closes its side and drains what the client still sends, bounded);
- the proxy's own answers mirror the request's Content-Type, and an unsigned
  GET (health) or OPTIONS (CORS preflight) is answered as DynamoDB answers it,
  compared with dynalite, whose answers were recorded against DynamoDB;
- gzip and deflate request bodies are judged, recorded and executed
  decompressed; a decompression bomb is refused by the body limit;
- an X-Amz-Date after 2262 is "not yet current", not wrapped into the past.
"""

import datetime
import gzip
import http.client
import json
import re
import socket
import time
import unittest
import zlib
from urllib.parse import urlsplit

import harness as h

ALICE = ("AKIDALICE", "alice-secret")
CREDENTIALS = [(ALICE[0], ALICE[1], "alice", ["analysts"])]
AMZ_JSON = "application/x-amz-json-1.0"
LIST_TABLES = "DynamoDB_20120810.ListTables"
REQUEST_ID = re.compile(r"^[0-9A-Z]{52}$")


def send(url, method="POST", path="/", headers=(), body=b"", ssl_context=None, timeout=10.0):
    """One request with exactly these headers (Host and Content-Length added
    when missing); returns harness.RawResponse."""
    u = urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=ssl_context)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    headers = list(headers.items()) if isinstance(headers, dict) else list(headers)
    names = {k.lower() for k, _ in headers}
    if "host" not in names:
        headers.insert(0, ("Host", "%s:%d" % (u.hostname, u.port)))
    if "content-length" not in names and (body or method == "POST"):
        headers.append(("Content-Length", str(len(body))))
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders(body or None)
        r = conn.getresponse()
        return h.RawResponse(r.status, r.reason, r.getheaders(), r.read())
    finally:
        conn.close()


def error_of(response):
    try:
        return response.json().get("__type", "").rpartition("#")[2], response.json().get("message")
    except ValueError:
        return None, None


def wait_active(endpoint, table):
    for _ in range(100):
        r = h.signed_post(endpoint, {"TableName": table}, "DynamoDB_20120810.DescribeTable")
        if r.status == 200 and r.json()["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise AssertionError("table %s never became ACTIVE" % table)


def create_table(endpoint, table):
    r = h.signed_post(endpoint, {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}, "DynamoDB_20120810.CreateTable")
    assert r.status == 200, r
    wait_active(endpoint, table)


def table_names(endpoint):
    r = h.signed_post(endpoint, {}, LIST_TABLES)
    assert r.status == 200, r
    return r.json()["TableNames"]


# ---- item 3: trust mode ------------------------------------------------------

class TrustModeRefusesWhatDynamoDBRefuses(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.upstream = self.start_capture_upstream([h.dynamodb_response(200, b'{"TableNames":[]}')])
        self.proxy = self.start_dynaudit(self.upstream.endpoint, mode="trust")

    def test_calls_dynamodb_would_refuse_never_reach_the_upstream(self):
        url = self.proxy.endpoint
        body = b"{}"
        base = {"Content-Type": AMZ_JSON, "X-Amz-Target": LIST_TABLES}
        stale = h.sign_headers(url, body, LIST_TABLES,
                               when=datetime.datetime.utcnow() - datetime.timedelta(minutes=10))
        presigned = ("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDALICE%2F20240101%2Fus-east-1"
                     "%2Fdynamodb%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host"
                     "&X-Amz-Signature=" + "ab" * 32)
        cases = [
            ("unsigned", "/", base, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
            ("bearer", "/", dict(base, Authorization="Bearer abc"), "MissingAuthenticationTokenException",
             "Request is missing Authentication Token"),
            ("malformed", "/", dict(base, Authorization="AWS4-HMAC-SHA256 Credential=AKIDALICE"),
             "IncompleteSignatureException", None),
            ("stale", "/", stale, "InvalidSignatureException", "Signature expired: "),
            ("presigned", presigned, base, "IncompleteSignatureException", None),
            ("presigned beside a header", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
             h.sign_headers(url, body, LIST_TABLES), "InvalidSignatureException",
             "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."),
        ]
        # A request-target that is not a path: "?" alone became an empty
        # target once query credentials were removed (found by fuzz_http_head).
        not_a_path = "The request-target must be a path beginning with '/'"
        for target in ("?", "?X-Amz-Date=1", "*", url + "/"):
            cases.append(("target %r" % target, target, h.sign_headers(url, body, LIST_TABLES),
                          "ValidationException", not_a_path))
        for name, path, headers, error, message in cases:
            with self.subTest(case=name):
                r = send(url, path=path, headers=headers, body=body)
                self.assertEqual(r.status, 400, r)
                got_type, got_message = error_of(r)
                self.assertEqual(got_type, error, r)
                if message:
                    self.assertTrue((got_message or "").startswith(message), r)
        self.assertEqual(self.upstream.requests, [], "a refused call reached the upstream")
        # A well-formed call still passes, signed with any secret (trust mode).
        r = h.signed_post(url, body, LIST_TABLES, key=("AKIDANYONE", "not-checked"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.upstream.requests), 1)

    def test_a_target_that_is_not_a_path_is_refused_and_audited(self):
        url = self.proxy.endpoint
        targets = ("?", "?X-Amz-Date=1", "*", url + "/")
        for target in targets:
            r = send(url, path=target, headers=h.sign_headers(url, b"{}", LIST_TABLES), body=b"{}")
            self.assertEqual((r.status, error_of(r)[0]), (400, "ValidationException"), r)
        self.assertEqual(self.upstream.requests, [])
        records = h.audit_records(self.proxy.audit_path)
        self.assertEqual([(r.get("errorCode"), r["additionalEventData"]["outcome"]) for r in records],
                         [("ValidationException", "rejected")] * len(targets), records)

    def test_a_method_other_than_post_is_refused_and_audited(self):
        # TRACE with a body made Beast's prepare_payload throw while the
        # proxy rewrote it for the upstream: the connection was dropped with
        # no answer and no record (found by fuzz_http_head).
        url = self.proxy.endpoint
        body = json.dumps({"TableName": "t"}).encode()
        methods = ("TRACE", "PUT", "DELETE", "PATCH")
        for method in methods:
            headers = h.sign_headers(url, body, LIST_TABLES)
            r = send(url, method=method, headers=headers, body=body)
            self.assertEqual((r.status, error_of(r)[0]), (400, "ValidationException"), (method, r))
        self.assertEqual(self.upstream.requests, [])
        records = h.audit_records(self.proxy.audit_path)
        self.assertEqual([(r.get("errorCode"), r["additionalEventData"]["outcome"]) for r in records],
                         [("ValidationException", "rejected")] * len(methods), records)
        self.assertEqual(send(url, headers=h.sign_headers(url, b"{}", LIST_TABLES), body=b"{}").status, 200,
                         "the proxy still serves calls")

    def test_caller_query_credentials_never_leave_the_proxy(self):
        caller_signature = "c0ffee" * 10 + "beef"
        query = ("X-Amz-Credential=%s%%2F20240101%%2Fus-east-1%%2Fdynamodb%%2Faws4_request"
                 "&keep=1&x-amz-signature=%s&X%%2DAmz-SignedHeaders=host" % (ALICE[0], caller_signature))
        url = self.proxy.endpoint
        headers = h.sign_headers(url + "/?" + query, b"{}", LIST_TABLES, key=ALICE)
        r = send(url, path="/?" + query, headers=headers, body=b"{}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.upstream.requests), 1)
        forwarded = self.upstream.requests[0]
        self.assertEqual(forwarded["target"], "/?keep=1")
        everything = json.dumps(forwarded["headers"]) + forwarded["target"]
        self.assertNotIn(ALICE[0], everything)
        self.assertNotIn(caller_signature, everything)
        self.assertNotIn(headers["Authorization"].split("Signature=")[1], everything)


class TrustModeMatchesDynalite(h.IntegrationTest):
    """dynalite checks that a call is signed (not the signature): an unsigned
    CreateTable gets the same answer through a trust-mode dynaudit as
    directly, and creates nothing."""

    def test_unsigned_create_table_is_refused_as_dynamodb_refuses_it(self):
        dynalite = self.start_dynalite()
        proxy = self.start_dynaudit(dynalite, mode="trust")
        body = json.dumps({"TableName": "unsigned_table", "BillingMode": "PAY_PER_REQUEST",
                           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}).encode()
        for content_type in (AMZ_JSON, "application/json"):
            with self.subTest(content_type=content_type):
                headers = {"Content-Type": content_type, "X-Amz-Target": "DynamoDB_20120810.CreateTable"}
                direct = send(dynalite.endpoint, headers=headers, body=body)
                proxied = send(proxy.endpoint, headers=headers, body=body)
                self.assertEqual(direct.status, 400, direct)
                self.assertEqual((proxied.status, proxied.json()), (direct.status, direct.json()), proxied)
                for name in ("Content-Type", "x-amz-crc32", "Content-Length"):
                    self.assertEqual(proxied.header(name), direct.header(name), name)
        self.assertEqual(table_names(dynalite.endpoint), [])


# ---- item 4: the 413 reaches the client ---------------------------------------

MAX_BODY = 65536


class OversizedBodyAnswerIsRead(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.ca = self.make_ca()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, mode="trust", tls=self.ca,
                                         overrides={"limits": {"max_body_bytes": MAX_BODY}})

    def attempt(self, url, body):
        """POST a body over the limit as http.client does (whole body, then
        read); returns the status or the error the client saw."""
        try:
            r = send(url, headers={"Content-Type": AMZ_JSON, "X-Amz-Target": LIST_TABLES}, body=body,
                     ssl_context=self.ca.ssl_context(), timeout=20)
            if r.status == 413 and error_of(r)[0] == "RequestEntityTooLargeException":
                return 413
            return r.status
        except (OSError, http.client.HTTPException) as e:
            return type(e).__name__

    def test_413_is_read_by_the_client_over_http_and_https(self):
        body = b'{"Limit": 1' + b" " * (4 * 1024 * 1024) + b"}"
        for name, url in (("http", self.proxy.endpoint), ("https", self.proxy.https_endpoint)):
            with self.subTest(listener=name):
                outcomes = [self.attempt(url, body) for _ in range(10)]
                self.assertEqual(outcomes, [413] * 10, "the 413 was lost to a reset")
        # The proxy still serves afterwards.
        self.assertEqual(h.signed_post(self.proxy.endpoint, b"{}", LIST_TABLES).status, 200)

    def send_until_reset(self, proxy, pause):
        """Declares a huge body and keeps sending it; returns (seconds until
        the proxy closed the connection under the client, what it answered)."""
        s = socket.create_connection(("127.0.0.1", proxy.port()), timeout=15)
        self.addCleanup(s.close)
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000000000\r\n\r\n")
        t0 = time.monotonic()
        answer = b""
        reading = True
        s.settimeout(0.05)
        while time.monotonic() - t0 < 20:
            try:
                s.sendall(b" " * 16384)
            except OSError:
                return time.monotonic() - t0, answer
            while reading:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except OSError:
                    return time.monotonic() - t0, answer
                if not chunk:
                    reading = False  # the proxy closed its side; it still reads ours
                answer += chunk
            time.sleep(pause)
        self.fail("the proxy kept reading a refused body for 20 s")

    def test_the_drain_is_bounded_in_time_and_bytes(self):
        slow = self.start_dynaudit(self.dynalite, name="short_drain", mode="trust", overrides={"limits": {
            "max_body_bytes": MAX_BODY, "error_drain_timeout": "1s"}})
        elapsed, answer = self.send_until_reset(slow, pause=0.05)  # ~300 KiB/s: the time bound ends it
        self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer)
        self.assertGreater(elapsed, 0.8, "closed before the drain's time was up")
        self.assertLess(elapsed, 4.0)

        small = self.start_dynaudit(self.dynalite, name="small_drain", mode="trust", overrides={"limits": {
            "max_body_bytes": MAX_BODY, "error_drain_timeout": "30s", "error_drain_bytes": 262144}})
        elapsed, _ = self.send_until_reset(small, pause=0)  # as fast as possible: the byte bound ends it
        self.assertLess(elapsed, 5.0, "the drain read past error_drain_bytes")


# ---- item 5: the endpoint outside operations ----------------------------------

class EndpointAnswersLikeDynamoDB(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, mode="verify", credentials=CREDENTIALS,
                                         overrides={"audit": {"durability": "sync"}})

    def both(self, **kwargs):
        return send(self.dynalite.endpoint, **kwargs), send(self.proxy.endpoint, **kwargs)

    def assert_same(self, direct, proxied, headers=()):
        self.assertEqual((proxied.status, proxied.body), (direct.status, direct.body), (direct, proxied))
        for name in headers:
            self.assertEqual(proxied.header(name), direct.header(name), name)
        self.assertRegex(proxied.header("x-amzn-RequestId") or "", REQUEST_ID)

    def test_unsigned_get_is_the_health_answer(self):
        for extra in ({}, {"Origin": "https://app.example"}):
            with self.subTest(headers=extra):
                direct, proxied = self.both(method="GET", headers=extra)
                self.assertEqual((direct.status, direct.body), (200, b"healthy: dynamodb.us-east-1.amazonaws.com "))
                self.assert_same(direct, proxied, ("x-amz-crc32", "Content-Length", "Content-Type",
                                                   "Access-Control-Allow-Origin"))
        self.assertEqual(table_names(self.dynalite.endpoint), [])

    def test_cors_preflight_is_granted_without_a_signature(self):
        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target"}
        for extra in (preflight, {"Origin": "https://app.example"}):
            with self.subTest(headers=extra):
                direct, proxied = self.both(method="OPTIONS", headers=extra)
                self.assertEqual(direct.status, 200, direct)
                self.assert_same(direct, proxied, (
                    "Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
                    "Access-Control-Max-Age", "Content-Length"))
        # Without an Origin it is no preflight: 404, as DynamoDB answers.
        direct, proxied = self.both(method="OPTIONS")
        self.assertEqual((direct.status, direct.body), (404, b"<UnknownOperationException/>\n"))
        self.assert_same(direct, proxied, ("x-amz-crc32", "Content-Length"))

    def test_probes_are_not_audited_but_logged(self):
        send(self.proxy.endpoint, method="GET")
        send(self.proxy.endpoint, method="OPTIONS", headers={"Origin": "https://app.example"})
        self.assertEqual(h.signed_post(self.proxy.endpoint, b"{}", LIST_TABLES, key=ALICE).status, 200)
        records = h.audit_records(self.proxy.audit_path)
        self.assertEqual([r["eventName"] for r in records], ["ListTables"], records)
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual([(x.get("status"), x.get("outcome")) for x in logged],
                         [(200, "endpoint"), (200, "endpoint"), (200, "forwarded")], logged)

    def test_own_errors_mirror_the_request_content_type(self):
        cases = [
            ("application/json", {}),
            ("application/json; charset=utf-8", {}),
            (AMZ_JSON, {}),
            ("application/json", {"Origin": "https://app.example"}),
        ]
        for content_type, extra in cases:
            with self.subTest(content_type=content_type, extra=extra):
                headers = dict({"Content-Type": content_type, "X-Amz-Target": LIST_TABLES}, **extra)
                direct, proxied = self.both(headers=headers, body=b"{}")
                self.assertEqual(error_of(direct)[0], "MissingAuthenticationTokenException", direct)
                self.assert_same(direct, proxied, ("Content-Type", "x-amz-crc32", "Content-Length",
                                                   "Access-Control-Allow-Origin"))
        # An unknown operation answered by the proxy itself mirrors too.
        body = b"{}"
        headers = h.sign_headers(self.proxy.endpoint, body, "DynamoDB_20120810.NoSuchOperation", key=ALICE,
                                 extra_headers={"Content-Type": "application/json"})
        r = send(self.proxy.endpoint, headers=headers, body=body)
        self.assertEqual((r.status, error_of(r)[0]), (400, "UnknownOperationException"), r)
        self.assertEqual(r.header("Content-Type"), "application/json")


# ---- item 6: compressed request bodies -----------------------------------------

DENIED = "The vault table is closed"
RULES = """
rules:
  - id: deny-vault
    when: {table: vault}
    effect: deny
    message: "%s"
""" % DENIED


def raw_deflate(data):
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


class CompressedBodies(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite()
        rules_path = self.tmp + "/rules.yaml"
        with open(rules_path, "w") as f:
            f.write(RULES)
        self.proxy = self.start_dynaudit(self.dynalite, mode="verify", credentials=CREDENTIALS, overrides={
            "rules": {"files": [rules_path]}, "audit": {"durability": "sync"},
            "limits": {"max_body_bytes": 1024 * 1024}})
        create_table(self.dynalite.endpoint, "orders")
        create_table(self.dynalite.endpoint, "vault")

    def put(self, table, key, coding, compress, extra=None):
        plain = json.dumps({"TableName": table, "Item": dict({"pk": {"S": key}}, **(extra or {}))}).encode()
        body = compress(plain)
        headers = h.sign_headers(self.proxy.endpoint, body, "DynamoDB_20120810.PutItem", key=ALICE,
                                 extra_headers={"Content-Encoding": coding})
        return send(self.proxy.endpoint, headers=headers, body=body)

    def item(self, table, key):
        r = h.signed_post(self.dynalite.endpoint, {"TableName": table, "Key": {"pk": {"S": key}}},
                          "DynamoDB_20120810.GetItem")
        self.assertEqual(r.status, 200, r)
        return r.json().get("Item")

    def test_gzip_and_deflate_bodies_are_executed(self):
        cases = [("gzip", "g1", gzip.compress), ("deflate", "d1", zlib.compress), ("deflate", "r1", raw_deflate),
                 ("gzip", "m1", lambda b: gzip.compress(b[:10]) + gzip.compress(b[10:]))]  # two gzip members
        for coding, key, compress in cases:
            with self.subTest(coding=coding, key=key):
                r = self.put("orders", key, coding, compress, {"note": {"S": "compressed " + coding}})
                self.assertEqual((r.status, r.body), (200, b"{}"), r)
                self.assertEqual(self.item("orders", key), {"pk": {"S": key}, "note": {"S": "compressed " + coding}})
        records = h.audit_records(self.proxy.audit_path, "--operation", "PutItem")
        self.assertEqual(len(records), len(cases), records)
        for record in records:
            self.assertEqual(record["requestParameters"]["tableName"], "orders", record)
            self.assertIsNone(record.get("errorCode"), record)

    def test_rules_judge_the_decompressed_call(self):
        r = self.put("vault", "v1", "gzip", gzip.compress)
        self.assertEqual((r.status, error_of(r)), (400, ("AccessDeniedException", DENIED)), r)
        self.assertIsNone(self.item("vault", "v1"))

    def test_a_decompression_bomb_is_refused_by_the_body_limit(self):
        r = self.put("orders", "bomb", "gzip", gzip.compress, {"pad": {"S": "a" * (8 * 1024 * 1024)}})
        self.assertEqual((r.status, error_of(r)[0]), (413, "RequestEntityTooLargeException"), r)
        self.assertIsNone(self.item("orders", "bomb"))

    def test_broken_or_unknown_encodings_are_refused(self):
        cases = [("gzip", lambda b: gzip.compress(b)[:-9]),                # truncated
                 ("gzip", lambda b: gzip.compress(b) + b"trailing junk"),  # not a member
                 ("deflate", lambda b: b"\x78\x9c" + b"\xff" * 20),       # corrupt
                 ("br", lambda b: b)]                                      # a coding dynaudit does not read
        for coding, compress in cases:
            with self.subTest(coding=coding):
                r = self.put("orders", "broken", coding, compress)
                self.assertEqual((r.status, error_of(r)[0]), (400, "SerializationException"), r)
        self.assertIsNone(self.item("orders", "broken"))


# ---- item 7: dates past 2262 ---------------------------------------------------

class FarFutureDates(h.IntegrationTest):

    def test_a_correctly_signed_request_from_the_future_is_not_yet_current(self):
        upstream = self.start_capture_upstream([h.dynamodb_response(200, b'{"TableNames":[]}')])
        proxies = [self.start_dynaudit(upstream.endpoint, name="verify", mode="verify", credentials=CREDENTIALS),
                   self.start_dynaudit(upstream.endpoint, name="trust", mode="trust")]
        for proxy in proxies:
            for year in (2263, 2611, 9999):
                with self.subTest(mode=proxy.name, year=year):
                    when = datetime.datetime(year, 1, 1, 0, 0, 0)
                    r = h.signed_post(proxy.endpoint, b"{}", LIST_TABLES, key=ALICE, when=when)
                    self.assertEqual(r.status, 400, r)
                    kind, message = error_of(r)
                    self.assertEqual(kind, "InvalidSignatureException", r)
                    self.assertTrue(message.startswith("Signature not yet current: %d0101T000000Z is still later than "
                                                       % year), message)
        self.assertEqual(upstream.requests, [])


if __name__ == "__main__":
    unittest.main()
