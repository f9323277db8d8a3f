"""The benchmark's own tools work, so `./dev bench` cannot rot unnoticed.

bench/fast_upstream answers DynamoDB-shaped replies with correct checksums;
bench/loadgen signs real SigV4 requests that a dynaudit in verify mode
accepts (sync audit, 100 rules, a mask rule on the Query reply), and counts a
wrong secret's refusals as non-2xx. Short runs: this checks function, not speed.
"""

import json
import os
import sys
import tempfile
import unittest
import zlib

import harness as h

sys.path.insert(0, os.path.join(h.REPO_ROOT, "bench"))
import run_bench as rb  # noqa: E402


class BenchToolsTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        rb.BIN = os.path.dirname(h.dynaudit_bin())
        for tool in ("fast_upstream", "loadgen"):
            if not os.access(os.path.join(rb.BIN, tool), os.X_OK):
                self.fail("%s not built next to %s" % (tool, h.dynaudit_bin()))
        self.work = tempfile.mkdtemp(dir=self.tmp)
        ready = os.path.join(self.work, "upstream.json")
        self.upstream = rb.Proc("fast_upstream", [os.path.join(rb.BIN, "fast_upstream"), "--port", "0",
                                                  "--threads", "1", "--ready-file", ready], self.work)
        self.addCleanup(self.upstream.stop)
        self.up_port = rb.wait_for_json(ready, self.upstream)["port"]

    def load(self, url, operation, key=rb.CLIENT):
        saved = rb.CLIENT
        rb.CLIENT = key
        try:
            return rb.run_load(url, operation, 4, 1, 0.2, self.work)
        finally:
            rb.CLIENT = saved

    def test_upstream_replies_carry_valid_checksums(self):
        for op, target in (("GetItem", "DynamoDB_20120810.GetItem"), ("Query", "DynamoDB_20120810.Query")):
            r = h.post("http://127.0.0.1:%d" % self.up_port, b"{}", {"X-Amz-Target": target,
                                                                  "Content-Type": "application/x-amz-json-1.0"})
            self.assertEqual(r.status, 200)
            self.assertEqual(int(r.header("x-amz-crc32")), zlib.crc32(r.body) & 0xFFFFFFFF)
            body = r.json()
            if op == "Query":
                self.assertEqual(body["Count"], 100)
                self.assertGreater(len(r.body), 30000)
            else:
                self.assertIn("card_number", body["Item"])

    def test_loadgen_through_dynaudit_in_verify_mode(self):
        direct = self.load("http://127.0.0.1:%d" % self.up_port, "GetItem")
        self.assertGreater(direct["requests"], 100)
        self.assertEqual((direct["errors"], direct["non_2xx"]), (0, 0))
        self.assertEqual(direct["model"], "closed-loop")
        self.assertGreater(direct["latency_us"]["p50"], 0)

        tls = rb.make_tls(self.work)
        with open(os.path.join(self.work, "credentials.yaml"), "w") as f:
            f.write("keys:\n  - {access_key_id: %s, secret_access_key: %s, principal: bench, groups: [bench]}\n"
                    % rb.CLIENT)
        rules = os.path.join(self.work, "rules.yaml")
        with open(rules, "w") as f:
            json.dump(rb.bench_rules(100, True), f)
        cfg = rb.dynaudit_config(self.work, "d", self.up_port, tls, "sync", rules, workers=2)
        ready = os.path.join(self.work, "d.ready.json")
        proxy = rb.Proc("dynaudit", [h.dynaudit_bin(), "serve", "--config", cfg, "--ready-file", ready], self.work)
        self.addCleanup(proxy.stop)
        ports = {l["name"]: l["port"] for l in rb.wait_for_json(ready, proxy)["listeners"]}
        for op in ("GetItem", "PutItem", "Query"):
            with self.subTest(operation=op):
                r = self.load("http://127.0.0.1:%d" % ports["http"], op)
                self.assertGreater(r["requests"], 10)
                self.assertEqual((r["errors"], r["non_2xx"]), (0, 0), r)
        r = rb.run_load("https://127.0.0.1:%d" % ports["https"], "GetItem", 2, 1, 0.2, self.work, ca=tls["ca"])
        self.assertEqual((r["errors"], r["non_2xx"]), (0, 0), r)
        wrong = self.load("http://127.0.0.1:%d" % ports["http"], "GetItem", key=(rb.CLIENT[0], "not-the-secret"))
        self.assertGreater(wrong["non_2xx"], 0)
        self.assertEqual(wrong["non_2xx"], wrong["requests"])
        self.assertGreater(rb.cpu_seconds(proxy.pid), 0)
        self.assertGreater(rb.memory_kib(proxy.pid, "VmHWM"), 1000)


if __name__ == "__main__":
    unittest.main()
