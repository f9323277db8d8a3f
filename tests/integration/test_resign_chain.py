"""Re-signing, proven end to end by a chain:

    client --> dynaudit A (trust; upstream key AKIDCHAIN) --> dynaudit B (verify;
    knows AKIDCHAIN) --> dynalite

B accepts a request only if A's signature over what A forwards is right, so a
scenario that passes through the chain shows A re-signs correctly for every
call (with the client's own headers forwarded as they were). If A signs with
the wrong secret, B answers InvalidSignatureException and A passes that through.
"""

import os
import unittest

import harness as h

SCENARIO = os.path.join(h.HERE, "scenario.json")
CHAIN_KEY = ("AKIDCHAIN", "chain-secret")
B_CREDENTIALS = [(CHAIN_KEY[0], CHAIN_KEY[1], "proxy-a", ["proxies"])]
LIST_TABLES = [{"name": "list", "op": "ListTables", "params": {}}]


class ResignChainTest(h.IntegrationTest):

    def start_chain(self, a_upstream_key, tls=None):
        dynalite = self.start_dynalite(name="dynalite")
        b = self.start_dynaudit(dynalite, name="dynaudit-b", mode="verify", credentials=B_CREDENTIALS, tls=tls)
        # A reaches B over TLS when a CA is given: upstream TLS with verification.
        b_url = b.https_endpoint if tls else b.endpoint
        a = self.start_dynaudit(b_url, name="dynaudit-a", mode="trust", upstream_key=a_upstream_key,
                                upstream_ca=tls.ca_cert if tls else None)
        return dynalite, a, b

    def requests(self, proxy):
        return [r for r in proxy.log_records() if r.get("msg") == "request"]

    def test_scenario_through_the_chain_matches_direct(self):
        ca = self.make_ca()
        direct_dynalite = self.start_dynalite(name="dynalite-direct")
        direct = h.run_client("boto3-default", direct_dynalite.endpoint, scenario=SCENARIO)
        _, a, b = self.start_chain(CHAIN_KEY, tls=ca)
        chained = h.run_client("boto3-default", a.endpoint, scenario=SCENARIO)
        self.assertEqual(chained["results"], direct["results"])

        a_log, b_log = self.requests(a), self.requests(b)
        self.assertEqual(len(a_log), len(b_log), "every call A forwards reaches B once")
        self.assertTrue(a_log)
        for r in b_log:
            self.assertEqual((r.get("principal"), r.get("verified"), r.get("auth")), ("proxy-a", True, "verify"), r)
            self.assertEqual(r.get("access_key_id"), CHAIN_KEY[0], r)
            self.assertIs(r.get("tls"), True, r)
        self.assertEqual([(r.get("operation"), r.get("status")) for r in a_log],
                         [(r.get("operation"), r.get("status")) for r in b_log])
        # The upstream request id reaches the client's log line unchanged.
        self.assertEqual([r.get("request_id") for r in a_log], [r.get("request_id") for r in b_log])

    def test_every_client_through_the_chain(self):
        steps = [
            {"name": "create", "op": "CreateTable", "params": {
                "TableName": "chain", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
            {"name": "wait", "op": "wait_active", "params": {"TableName": "chain"}},
            {"name": "put", "op": "PutItem", "params": {"TableName": "chain",
                                                        "Item": {"pk": {"S": "k"}, "s": {"S": "ünïcödé ✓"}}}},
            {"name": "get", "op": "GetItem", "params": {"TableName": "chain", "Key": {"pk": {"S": "k"}}}},
            {"name": "delete", "op": "DeleteTable", "params": {"TableName": "chain"}},
        ]
        _, a, _ = self.start_chain(CHAIN_KEY)
        for kind in h.CLIENT_KINDS:
            with self.subTest(client=kind):
                doc = h.run_client(kind, a.endpoint, steps=steps)
                self.assertEqual([(r["step"], r["error_code"]) for r in doc["results"]],
                                 [("create", None), ("put", None), ("get", None), ("delete", None)], doc)
                body_key = "output" if kind == "awscli-v2" else "body"
                get = [r for r in doc["results"] if r["step"] == "get"][0]
                self.assertEqual(get[body_key], {"Item": {"pk": {"S": "k"}, "s": {"S": "ünïcödé ✓"}}})

    def test_wrong_upstream_secret_is_rejected_by_b(self):
        dynalite, a, b = self.start_chain((CHAIN_KEY[0], "not-the-chain-secret"))
        for kind in ("boto3-default", "js-sdk-v3"):
            with self.subTest(client=kind):
                doc = h.run_client(kind, a.endpoint, steps=LIST_TABLES)
                r = doc["results"][0]
                self.assertEqual((r["status"], r["error_code"], r["error_message"]), (
                    400, "InvalidSignatureException",
                    "The request signature we calculated does not match the signature you provided. Check your "
                    "AWS Secret Access Key and signing method. Consult the service documentation for details."), r)
        self.assertTrue(all(r.get("verified") is False for r in self.requests(b)), self.requests(b))

    def test_unknown_upstream_key_is_rejected_by_b(self):
        _, a, _ = self.start_chain(("AKIDSTRANGER", "whatever"))
        doc = h.run_client("boto3-debian", a.endpoint, steps=LIST_TABLES)
        r = doc["results"][0]
        self.assertEqual((r["status"], r["error_code"]), (400, "UnrecognizedClientException"), r)


if __name__ == "__main__":
    unittest.main()
