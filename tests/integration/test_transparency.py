"""Transparency: for anything the rules do not touch, a client must not be
able to tell dynaudit is there.

For each real client (AWS CLI v2, boto3 under Debian's python3, boto3 under the
machine's default python3, the AWS SDK for JavaScript v3) and each transport
(plain HTTP; HTTPS with a test CA on both hops), the full scenario
(scenario.json) runs once directly against a fresh dynalite and once through
dynaudit (trust mode) to another fresh dynalite. The normalized results —
status, error code and message, raw body, content type, crc32 validity,
request id presence, retry count — must be equal, step by step.
"""

import collections
import json
import os
import unittest

import harness as h

SCENARIO = os.path.join(h.HERE, "scenario.json")

# What dynalite answers for the scenario; checked on the direct run so that a
# broken environment cannot make two equally broken runs compare equal.
EXPECTED_ERRORS = {
    "create_table_again": "ResourceInUseException",
    "update_condition_fails": "ConditionalCheckFailedException",
    "query_bad_key_condition": "ValidationException",
    "transact_write_unsupported": "UnknownOperationException",
    "get_missing_table": "ResourceNotFoundException",
}
EXPECTED_PAGES = {"query_paginated": 3, "query_gsi": 3, "scan_segment_0": 3, "scan_segment_1": 1}


def scenario_steps():
    with open(SCENARIO) as f:
        return [s for s in json.load(f)["steps"] if s["op"] != "wait_active"]


class TransparencyTest(h.IntegrationTest):

    def check_direct_run(self, kind, doc):
        """The direct run is what the scenario expects, so the comparison means something."""
        results = doc["results"]
        steps = scenario_steps()
        seen = collections.Counter(r["step"] for r in results)
        for step in steps:
            self.assertEqual(seen[step["name"]], EXPECTED_PAGES.get(step["name"], 1),
                             "%s direct: pages of %s" % (kind, step["name"]))
        for r in results:
            self.assertNotIn("exception", r, "%s direct: %s" % (kind, r))
            self.assertNotIn("wait_active", r, "%s direct: %s" % (kind, r))
            self.assertEqual(r["error_code"], EXPECTED_ERRORS.get(r["step"]), "%s direct: %s" % (kind, r))
            if kind == "awscli-v2":
                self.assertEqual(r["rc"], 254 if r["error_code"] else 0, r)
            else:
                self.assertEqual(r["status"], 400 if r["error_code"] else 200, r)
                self.assertEqual(r["client_error_code"], r["error_code"], r)
                self.assertIs(r["crc32_ok"], True, r)
                self.assertIs(r["has_request_id"], True, r)
                self.assertEqual(r["retries"], 0, r)
                self.assertEqual(r["content_type"], "application/x-amz-json-1.0", r)
        by_step = {r["step"]: r for r in results}
        body_key = "output" if kind == "awscli-v2" else "body"
        self.assertEqual(by_step["list_tags"][body_key]["Tags"],
                         [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "payments"}])
        self.assertEqual(by_step["get_consistent"][body_key]["Item"]["blob"], {"B": "AAECAwQF/w=="})
        self.assertEqual(by_step["get_consistent"][body_key]["Item"]["addr"]["M"]["city"], {"S": "Zürich"})

    def check_request_log(self, proxy, doc, listener):
        """One JSON log line per request, naming the operation and the status."""
        records = [r for r in proxy.log_records() if r.get("msg") == "request"]
        # DescribeTable also polls in wait_active, a number of times that varies.
        logged = [(r.get("operation"), r.get("error")) for r in records if r.get("operation") != "DescribeTable"]
        expected = [(r["op"], r["error_code"]) for r in doc["results"] if r["op"] != "DescribeTable"]
        self.assertEqual(logged, expected, "request log lines of %s" % proxy.name)
        for r in records:
            self.assertEqual(r.get("listener"), listener, r)
            self.assertIs(r.get("tls"), listener == "https", r)
            self.assertEqual(r.get("auth"), "trust", r)
            self.assertIs(r.get("verified"), False, r)
            self.assertEqual(r.get("access_key_id"), h.CLIENT_KEY[0], r)

    def run_transparency(self, kind, transport):
        if not h.client_available(kind):
            self.fail("client %s is not installed: run ./dev setup" % kind)
        ca = self.make_ca() if transport == "https" else None
        ca_file = ca.ca_cert if ca else None

        direct_dynalite = self.start_dynalite(tls=ca, name="dynalite-direct")
        direct = h.run_client(kind, direct_dynalite.endpoint, ca_bundle=ca_file, scenario=SCENARIO)
        self.check_direct_run(kind, direct)

        upstream = self.start_dynalite(tls=ca, name="dynalite-proxied")
        proxy = self.start_dynaudit(upstream, mode="trust", tls=ca, upstream_ca=ca_file)
        endpoint = proxy.https_endpoint if transport == "https" else proxy.endpoint
        proxied = h.run_client(kind, endpoint, ca_bundle=ca_file, scenario=SCENARIO)

        for a, b in zip(direct["results"], proxied["results"]):
            self.assertEqual(b, a, "%s over %s: step %s differs through dynaudit" % (kind, transport, a["step"]))
        self.assertEqual(proxied["results"], direct["results"])
        self.check_request_log(proxy, proxied, transport)


def _make_test(kind, transport):
    def test(self):
        self.run_transparency(kind, transport)
    test.__doc__ = "%s over %s: same results directly and through dynaudit" % (kind, transport)
    return test


for _kind in h.CLIENT_KINDS:
    for _transport in ("http", "https"):
        setattr(TransparencyTest, "test_%s_%s" % (_kind.replace("-", "_"), _transport),
                _make_test(_kind, _transport))


if __name__ == "__main__":
    unittest.main()
