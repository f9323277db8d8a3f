"""Upstream failures: when dynalite dies, freezes or restarts, clients get a
retryable DynamoDB-shaped 5xx quickly (never a hang), and once it is back the
very next call succeeds, with the right response (no stale pooled connection
handing one client another request's answer).

dynalite keeps its data on disk here, so a restart on the same port finds the
table again. dynaudit runs with connect_timeout 1s and response_timeout 3s.
"""

import os
import signal
import threading
import time
import unittest

import harness as h

TABLE = "dynaudit_failure"
RETRYABLE_5XX = {(500, "InternalServerError"), (503, "ServiceUnavailableException"), (503, "ServiceUnavailable")}
RESPONSE_TIMEOUT = 3.0


def get_step(key):
    return {"name": "get_" + key, "op": "GetItem", "params": {"TableName": TABLE, "Key": {"pk": {"S": key}}}}


def item(key):
    return {"Item": {"pk": {"S": key}, "payload": {"S": "value of " + key}}}


SETUP = [
    {"name": "create", "op": "CreateTable", "params": {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
    {"name": "wait", "op": "wait_active", "params": {"TableName": TABLE}},
] + [{"name": "put_" + k, "op": "PutItem", "params": {"TableName": TABLE, "Item": item(k)["Item"]}}
     for k in ("k1", "k2", "k3")]


class UpstreamFailureTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dynalite = self.start_dynalite(persist=True)
        self.proxy = self.start_dynaudit(self.dynalite, mode="trust", overrides={
            "upstream": {"connect_timeout": "1s", "response_timeout": "%ds" % RESPONSE_TIMEOUT}})
        doc = h.run_client("boto3-default", self.proxy.endpoint, steps=SETUP)
        self.assertEqual([r["error_code"] for r in doc["results"]], [None] * 4, doc)

    def resume_dynalite(self):
        if self.dynalite.process and self.dynalite.process.running():
            os.kill(self.dynalite.pid, signal.SIGCONT)

    def freeze_dynalite(self):
        self.addCleanup(self.resume_dynalite)
        os.kill(self.dynalite.pid, signal.SIGSTOP)

    def get(self, key, kind="boto3-default", attempts=1):
        doc = h.run_client(kind, self.proxy.endpoint, steps=[get_step(key)],
                           extra_args=["--max-attempts", str(attempts), "--read-timeout", "30"])
        return doc["results"][0], sum(t["seconds"] for t in doc["timings"])

    def raw_get(self, key, timeout=30.0):
        t0 = time.monotonic()
        r = h.signed_post(self.proxy.endpoint, {"TableName": TABLE, "Key": {"pk": {"S": key}}},
                          "DynamoDB_20120810.GetItem", timeout=timeout)
        return r, time.monotonic() - t0

    def assert_retryable_5xx(self, response):
        body = response.json()
        code = body.get("__type", "").split("#")[-1]
        self.assertIn((response.status, code), RETRYABLE_5XX, response)
        self.assertIsInstance(body.get("message"), str, response)
        self.assertEqual(response.header("Content-Type"), "application/x-amz-json-1.0", response)
        self.assertIsNotNone(response.header("x-amzn-RequestId"), response)

    def assert_item(self, result, key):
        self.assertEqual((result.get("status"), result.get("error_code"), result.get("body")), (200, None, item(key)),
                         result)

    def test_dynalite_down_then_back(self):
        self.dynalite.kill()

        r, elapsed = self.raw_get("k1")
        self.assert_retryable_5xx(r)
        self.assertLess(elapsed, 5.0, "connection refused must fail fast")

        # boto3 (legacy retry mode) and the JS SDK treat the answer as retryable.
        result, seconds = self.get("k1", "boto3-default", attempts=3)
        self.assertIn((result["status"], result["error_code"]), RETRYABLE_5XX, result)
        self.assertEqual(result["retries"], 2, result)
        self.assertLess(seconds, 20.0)
        result, _ = self.get("k1", "js-sdk-v3", attempts=2)
        self.assertIn((result["status"], result["error_code"]), RETRYABLE_5XX, result)
        self.assertEqual(result["retries"], 1, result)

        failures = [r for r in self.proxy.log_records() if r.get("msg") == "request" and r.get("status", 0) >= 500]
        self.assertGreaterEqual(len(failures), 1 + 3 + 2, "each failed attempt is logged")

        self.dynalite.restart()
        for key in ("k1", "k2"):
            result, _ = self.get(key, attempts=1)
            self.assert_item(result, key)

    def test_frozen_upstream_times_out_and_its_connection_is_not_reused(self):
        self.freeze_dynalite()
        r, elapsed = self.raw_get("k1")
        self.assert_retryable_5xx(r)
        self.assertGreaterEqual(elapsed, RESPONSE_TIMEOUT - 0.5, "answered before response_timeout?")
        self.assertLess(elapsed, RESPONSE_TIMEOUT + 3.0, "response_timeout not enforced")
        self.resume_dynalite()
        # dynalite now answers the timed-out GetItem k1 on the old connection;
        # the proxy must have dropped that connection, or k2 would get k1's item.
        for key in ("k2", "k3", "k1"):
            result, _ = self.get(key, attempts=1)
            self.assert_item(result, key)

    def test_killed_with_a_request_in_flight(self):
        self.freeze_dynalite()
        box = {}

        def call():
            box["response"], box["elapsed"] = self.raw_get("k1")

        t = threading.Thread(target=call, daemon=True)
        t.start()
        time.sleep(0.5)
        killed_at = time.monotonic()
        self.dynalite.kill()
        t.join(30)
        self.assertFalse(t.is_alive(), "the client hung")
        self.assert_retryable_5xx(box["response"])
        self.assertLess(time.monotonic() - killed_at, RESPONSE_TIMEOUT + 1.0)
        self.dynalite.restart()
        result, _ = self.get("k2", attempts=1)
        self.assert_item(result, "k2")

    def test_idle_pooled_connection_closed_by_upstream(self):
        """Node closes idle keep-alive connections after 5 s; the pool must not
        hand a dead connection to the next request."""
        for round_ in range(2):
            result, _ = self.get("k1", attempts=1)
            self.assert_item(result, "k1")
            time.sleep(6.0)
            result, _ = self.get("k2", attempts=1)
            self.assert_item(result, "k2")

    def test_restart_between_calls(self):
        """A graceful restart leaves the pool with connections to a dead
        process; the next call (one attempt, no client retry) must succeed."""
        result, _ = self.get("k1", attempts=1)
        self.assert_item(result, "k1")
        self.dynalite.restart()
        result, _ = self.get("k3", attempts=1)
        self.assert_item(result, "k3")


if __name__ == "__main__":
    unittest.main()
