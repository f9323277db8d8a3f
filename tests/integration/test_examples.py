"""The shipped examples work: examples/dynaudit.yaml passes --check-config and,
run as it is (only its fixed ports turned into port 0, and its tls/ files made
by a test CA), serves the demo keys of examples/credentials.yaml over HTTPS and
plain HTTP in verify mode.
"""

import os
import re
import shutil
import subprocess
import unittest

import harness as h

EXAMPLES = os.path.join(h.REPO_ROOT, "examples")
ALICE = ("AKIDALICE", "alice-demo-secret-do-not-use")
BOB = ("AKIDBOB", "bob-demo-secret-do-not-use")
LIST_TABLES = [{"name": "list", "op": "ListTables", "params": {}}]


class ExamplesTest(h.IntegrationTest):

    def example_copy(self, free_ports):
        """examples/ as a fresh clone has it, plus the files the demo script would
        make beside it (the seal key, the TLS pair from a test CA): the test must not
        depend on the demo having run in this checkout. Returns (folder, ca)."""
        conf = os.path.join(self.tmp, "conf")
        os.makedirs(conf)
        with open(os.path.join(EXAMPLES, "dynaudit.yaml")) as f:
            text = f.read()
        if free_ports:
            text, n = re.subn(r"(?m)^(\s*port:\s*)\d+", r"\g<1>0", text)
            self.assertEqual(n, 3, "expected three fixed ports (https, http, admin) in examples/dynaudit.yaml")
        with open(os.path.join(conf, "dynaudit.yaml"), "w") as f:
            f.write(text)
        shutil.copy(os.path.join(EXAMPLES, "credentials.yaml"), conf)
        shutil.copy(os.path.join(EXAMPLES, "demo-rules.yaml"), conf)
        made = h.audit_cli("keygen", "--seal-key", os.path.join(conf, "demo-seal.key"))
        self.assertEqual(made.returncode, 0, made.stderr)
        ca = self.make_ca()
        os.makedirs(os.path.join(conf, "tls"))
        shutil.copy(ca.server_cert, os.path.join(conf, "tls", "server.crt"))
        shutil.copy(ca.server_key, os.path.join(conf, "tls", "server.key"))
        return conf, ca

    def test_example_config_passes_check_config(self):
        conf, _ = self.example_copy(free_ports=False)
        p = subprocess.run([h.dynaudit_bin(), "serve", "--config", os.path.join(conf, "dynaudit.yaml"),
                            "--check-config"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("config OK", p.stdout)

    def test_check_config_rejects_a_broken_config(self):
        path = os.path.join(self.tmp, "broken.yaml")
        with open(path, "w") as f:
            f.write("listeners:\n  - name: http\n    port: 99999\nauth:\n  mode: sometimes\n")
        p = subprocess.run([h.dynaudit_bin(), "serve", "--config", path, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("broken.yaml:3", p.stderr)
        self.assertIn("auth.mode", p.stderr)

    def test_check_config_checks_rule_files_and_alert_channels(self):
        rules = os.path.join(self.tmp, "rules.yaml")
        config = os.path.join(self.tmp, "dynaudit.yaml")
        with open(config, "w") as f:
            f.write("upstream: {endpoint: 'http://127.0.0.1:1', region: us-east-1}\n"
                    "rules: {files: [rules.yaml]}\n"
                    "alerts: {channels: [{name: sec, type: file, path: a.jsonl}]}\n")
        cases = [
            ("rules:\n  - id: a\n    when: {operation: GetIten}\n    effect: deny\n", "rules.yaml:3"),
            ("rules:\n  - id: a\n    alert: {channel: pager}\n", "alerts channel 'pager'"),
        ]
        for text, expected in cases:
            with self.subTest(expected=expected):
                with open(rules, "w") as f:
                    f.write(text)
                p = subprocess.run([h.dynaudit_bin(), "serve", "--config", config, "--check-config"],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(expected, p.stderr)
        with open(rules, "w") as f:
            f.write("rules:\n  - id: a\n    alert: {channel: sec}\n")
        p = subprocess.run([h.dynaudit_bin(), "serve", "--config", config, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_example_config_serves_the_demo_keys(self):
        conf, ca = self.example_copy(free_ports=True)

        dynalite = self.start_dynalite()
        proxy = h.Dynaudit(self.tmp, dynalite, name="dynaudit-example",
                           extra_args=["--upstream-endpoint", dynalite.endpoint])
        proxy.config_path = os.path.join(conf, "dynaudit.yaml")  # run the example file itself
        self.addCleanup(self._stop_dynaudit, proxy, True)
        proxy.start()
        self.assertEqual(sorted(l["name"] for l in proxy.ready["listeners"]), ["http", "https"])
        self.assertEqual(proxy.admin_get("/healthz")[0], 200)
        self.assertEqual(proxy.admin_get("/readyz")[0], 200)

        for key, principal in ((ALICE, "alice"), (BOB, "bob")):
            for url, bundle in ((proxy.https_endpoint, ca.ca_cert), (proxy.endpoint, None)):
                with self.subTest(principal=principal, url=url):
                    doc = h.run_client("boto3-default", url, ca_bundle=bundle, key=key, steps=LIST_TABLES)
                    r = doc["results"][0]
                    self.assertEqual((r["status"], r["body"]), (200, {"TableNames": []}), r)
        doc = h.run_client("boto3-default", proxy.endpoint, key=(ALICE[0], "guess"), steps=LIST_TABLES)
        self.assertEqual(doc["results"][0]["error_code"], "InvalidSignatureException")
        logged = [(r.get("access_key_id"), r.get("principal") if r.get("verified") else None, r.get("verified"))
                  for r in proxy.log_records() if r.get("msg") == "request"]
        self.assertEqual(logged, [(ALICE[0], "alice", True)] * 2 + [(BOB[0], "bob", True)] * 2
                         + [(ALICE[0], None, False)])


if __name__ == "__main__":
    unittest.main()
