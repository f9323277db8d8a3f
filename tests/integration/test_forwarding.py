"""What exactly dynaudit sends upstream and hands back, seen from a scripted
upstream that records every request:

- the body and every client header outside the signature (User-Agent,
  amz-sdk-invocation-id, amz-sdk-request, custom headers) arrive unchanged;
- the request is re-signed with the upstream key, and that signature checks out
  under an independent SigV4 implementation (below, stdlib only);
- the client's own credentials (Authorization, X-Amz-Security-Token) never reach
  the upstream;
- responses, errors and 5xx come back byte for byte with their request id,
  crc32 and content type.
"""

import hashlib
import hmac
import json
import unittest
import uuid

import harness as h

TARGET = "DynamoDB_20120810.GetItem"
ODD_BODY = b'{ "TableName" : "t\\u00e9st",\n  "Key": {"pk": {"S": "x y"}} ,"ConsistentRead":true }'


def sigv4_check(method, path, headers, body, secret):
    """Recompute an AWS4-HMAC-SHA256 signature from the received request.
    Returns (claimed signature, computed signature, access key, scope)."""
    lower = {}
    for k, v in headers:
        lower.setdefault(k.lower(), []).append(" ".join(v.strip().split()))
    auth = lower["authorization"][0]
    algorithm, _, rest = auth.partition(" ")
    assert algorithm == "AWS4-HMAC-SHA256", auth
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    access_key, date, region, service, terminator = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    canonical_headers = "".join("%s:%s\n" % (name, ",".join(lower[name])) for name in signed)
    canonical = "\n".join([method, path, "", canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    amz_date = lower["x-amz-date"][0]
    scope = "/".join([date, region, service, terminator])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    computed = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return parts["Signature"], computed, access_key, scope, signed


class ForwardingTest(h.IntegrationTest):

    def start(self, responses):
        self.upstream = self.start_capture_upstream(responses)
        self.proxy = self.start_dynaudit(self.upstream.endpoint, mode="trust")

    def send(self, body=ODD_BODY, extra=None):
        extra_headers = {
            "User-Agent": "dynaudit-it/1.0 (forwarding test)",
            "amz-sdk-invocation-id": str(uuid.uuid4()),
            "amz-sdk-request": "attempt=1; max=3",
            "X-Custom-Thing": "keep me  as is",
        }
        extra_headers.update(extra or {})
        headers = h.sign_headers(self.proxy.endpoint, body, TARGET, extra_headers=extra_headers)
        return headers, h.post(self.proxy.endpoint, body, headers)

    def test_request_forwarded_unchanged_and_resigned(self):
        self.start([h.dynamodb_response(200, b"{}")])
        sent, r = self.send()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.upstream.requests), 1)
        got = self.upstream.requests[0]
        self.assertEqual((got["method"], got["target"], got["body"]), ("POST", "/", ODD_BODY))
        for name in ("User-Agent", "amz-sdk-invocation-id", "amz-sdk-request", "X-Custom-Thing",
                     "X-Amz-Target", "Content-Type"):
            self.assertEqual(self.upstream.header(0, name), sent[name], name)
        self.assertEqual(self.upstream.header(0, "Host"), "127.0.0.1:%d" % self.upstream.port)
        self.assertEqual(self.upstream.header(0, "Content-Length"), str(len(ODD_BODY)))

        claimed, computed, access_key, scope, signed = sigv4_check(
            "POST", "/", got["headers"], got["body"], h.UPSTREAM_KEY[1])
        self.assertEqual(access_key, h.UPSTREAM_KEY[0])
        self.assertTrue(scope.endswith("/us-east-1/dynamodb/aws4_request"), scope)
        self.assertIn("host", signed)
        self.assertIn("x-amz-date", signed)
        self.assertIn("x-amz-target", signed)
        self.assertEqual(claimed, computed, "dynaudit's upstream signature does not verify")
        self.assertNotEqual(self.upstream.header(0, "Authorization"), sent["Authorization"])

    def test_client_credentials_never_reach_upstream(self):
        self.start([h.dynamodb_response(200, b"{}")])
        sent, r = self.send(extra={"X-Amz-Security-Token": "client-session-token-must-not-leak"})
        self.assertEqual(r.status, 200, r)
        raw_headers = json.dumps(self.upstream.requests[0]["headers"])
        self.assertNotIn("client-session-token-must-not-leak", raw_headers)
        self.assertNotIn(h.CLIENT_KEY[0], raw_headers)
        self.assertNotIn(sent["Authorization"].split("Signature=")[1], raw_headers)

    def test_response_passed_back_byte_for_byte(self):
        body = '{"Item":{"pk":{"S":"x y"},"n":{"N":"1.50"},"u":{"S":"\\u00e9 ✓"}} }'.encode()
        self.start([h.dynamodb_response(200, body, request_id="FIXEDREQUESTID0000000000000000000000000000000000000001",
                                        extra=[("x-amz-id-2", "extended-request-id")])])
        _, r = self.send()
        self.assertEqual((r.status, r.body), (200, body), r)
        self.assertEqual(r.header("x-amzn-RequestId"), "FIXEDREQUESTID0000000000000000000000000000000000000001")
        self.assertEqual(r.header("x-amz-crc32"), h.dynamodb_response(200, body)[1][1][1])
        self.assertEqual(r.header("Content-Type"), "application/x-amz-json-1.0")
        self.assertEqual(r.header("x-amz-id-2"), "extended-request-id")
        logged = [x for x in self.proxy.log_records() if x.get("msg") == "request"]
        self.assertEqual([x.get("request_id") for x in logged],
                         ["FIXEDREQUESTID0000000000000000000000000000000000000001"])

    def test_upstream_errors_passed_back_byte_for_byte(self):
        cases = [
            (400, b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
                  b'"message":"The level of configured provisioned throughput for the table was exceeded."}'),
            (400, b'{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}'),
            (400, b'{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: x is not authorized"}'),
            (500, b'{"__type":"com.amazon.coral.service#InternalFailure"}'),
            (503, b'{"__type":"com.amazon.coral.availability#ServiceUnavailableException","message":""}'),
        ]
        self.start([h.dynamodb_response(status, body) for status, body in cases])
        for status, body in cases:
            with self.subTest(status=status, body=body[:60]):
                _, r = self.send()
                self.assertEqual((r.status, r.body), (status, body), r)
                self.assertEqual(r.header("x-amz-crc32"), h.dynamodb_response(status, body)[1][1][1], r)
                self.assertEqual(r.header("Content-Type"), "application/x-amz-json-1.0", r)
        self.assertEqual(len(self.upstream.requests), len(cases), "dynaudit must not retry on its own")


if __name__ == "__main__":
    unittest.main()
