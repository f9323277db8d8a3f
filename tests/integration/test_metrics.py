"""/metrics on the admin listener, checked with the tools an SRE uses.

A real dynaudit in front of dynalite, with a deny rule; boto3 drives the
calls. The exposition must pass `promtool check metrics`, count exactly
the calls that were made (per operation, table, decision, outcome and
status class), and a real Prometheus server scraping it must answer the
same count and a histogram quantile through its HTTP API. Table labels
stay bounded when a caller invents table names, the page never names a
principal or a key, and OpenMetrics is served when asked for.
"""

import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import unittest

import harness as h

TABLE = "metrics_t"
GETS = 25
PUTS = 5
RULES = """
rules:
  - id: no-scans
    when: {operation: Scan}
    effect: deny
    message: "Scans are not allowed"
"""


def parse_exposition(text):
    """{(name, frozenset(labels)): value} from the Prometheus text format."""
    samples = {}
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = pattern.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(label.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


class MetricsTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, overrides={
            "rules": {"files": [rules_path]},
            "metrics": {"max_tables": 3, "tables": [TABLE]},
            "audit": {"durability": "async"}})

    def drive(self):
        steps = [
            {"name": "create", "op": "CreateTable", "params": {
                "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
            {"name": "wait", "op": "wait_active", "params": {"TableName": TABLE}}]
        steps += [{"name": "put%d" % i, "op": "PutItem", "params": {
            "TableName": TABLE, "Item": {"pk": {"S": "k%d" % i}}}} for i in range(PUTS)]
        steps += [{"name": "get%d" % i, "op": "GetItem", "params": {
            "TableName": TABLE, "Key": {"pk": {"S": "k%d" % (i % PUTS)}}}} for i in range(GETS)]
        steps += [{"name": "scan", "op": "Scan", "params": {"TableName": TABLE}}]
        doc = h.run_client("boto3-default", self.proxy.endpoint, steps=steps)
        results = {r["step"]: r for r in doc["results"]}
        self.assertFalse([r for n, r in results.items() if n != "scan" and r.get("error_code")], doc)
        self.assertEqual(results["scan"].get("error_code"), "AccessDeniedException", results["scan"])

    def scrape(self, accept=None):
        conn_headers = {"Accept": accept} if accept else {}
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % self.proxy.admin_port, headers=conn_headers)
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()

    def test_counts_match_the_calls_and_promtool_accepts_the_page(self):
        self.drive()
        status, content_type, text = self.scrape()
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        samples = parse_exposition(text)
        common = dict(table=TABLE, decision="allow", outcome="forwarded", code="2xx")
        self.assertEqual(value(samples, "dynaudit_requests_total", operation="GetItem", **common), GETS, text)
        self.assertEqual(value(samples, "dynaudit_requests_total", operation="PutItem", **common), PUTS)
        self.assertEqual(value(samples, "dynaudit_requests_total", operation="Scan", table=TABLE,
                               decision="deny", outcome="denied", code="4xx"), 1)
        self.assertEqual(value(samples, "dynaudit_rule_matches_total", rule="no-scans"), 1)
        self.assertEqual(value(samples, "dynaudit_errors_total", type="AccessDeniedException"), 1)
        self.assertEqual(value(samples, "dynaudit_request_duration_seconds_count", operation="GetItem"), GETS)
        self.assertEqual(value(samples, "dynaudit_upstream_duration_seconds_count", operation="GetItem"), GETS)
        self.assertEqual(value(samples, "dynaudit_request_duration_seconds_bucket", operation="GetItem", le="+Inf"), GETS)
        self.assertEqual(value(samples, "dynaudit_rules_loaded"), 1)
        self.assertEqual(value(samples, "dynaudit_audit_store_healthy"), 1)
        self.assertEqual(value(samples, "dynaudit_up"), 1)
        # Every forwarded call had one try; boto3 kept one connection alive.
        forwarded = sum(v for (n, labels), v in samples.items()
                        if n == "dynaudit_requests_total" and ("outcome", "forwarded") in labels)
        tries = sum(v for (n, labels), v in samples.items() if n == "dynaudit_upstream_attempts_total")
        self.assertEqual(tries, forwarded)
        self.assertEqual(value(samples, "dynaudit_upstream_attempts_total", connection="new", result="response"),
                         1, "one upstream connection, then the pool")
        self.assertGreaterEqual(value(samples, "dynaudit_connections_accepted_total"), 1)
        # async audit: every recorded call is committed by the time we look.
        h.wait_until(lambda: value(parse_exposition(self.scrape()[2]), "dynaudit_audit_queue_depth") == 0,
                     timeout=5, what="audit queue drained")
        later = parse_exposition(self.scrape()[2])
        self.assertEqual(value(later, "dynaudit_audit_records_committed_total"),
                         value(later, "dynaudit_audit_last_sequence"))
        self.assertGreaterEqual(value(later, "dynaudit_audit_commit_duration_seconds_count"),
                                value(later, "dynaudit_audit_group_commits_total"))
        self.assertGreater(value(samples, "process_resident_memory_bytes"), 1e6)
        self.assertGreater(value(samples, "process_open_fds"), 3)
        # Who called is not a metric (no principal is on the allowlist): no
        # principal label, no access key.
        self.assertNotIn('principal="', text)
        self.assertNotIn(h.CLIENT_KEY[0], text)

        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is installed by ./dev setup")
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_every_family_on_the_page_is_documented(self):
        self.drive()
        _, _, text = self.scrape()
        families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        self.assertGreater(len(families), 40)
        with open(os.path.join(h.REPO_ROOT, "docs", "operations.md")) as f:
            doc = f.read()
        undocumented = sorted(name for name in families if "`%s" % name not in doc)
        self.assertEqual(undocumented, [], "docs/operations.md must list every metric")

    def test_openmetrics_when_the_scraper_asks(self):
        self.drive()
        status, content_type, text = self.scrape("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("application/openmetrics-text; version=1.0.0"), content_type)
        self.assertTrue(text.endswith("# EOF\n"))
        self.assertIn("# TYPE dynaudit_requests counter\n", text)
        self.assertIn('dynaudit_requests_total{operation="GetItem",table="%s"' % TABLE, text)

    def test_invented_table_names_fall_into_other(self):
        for i in range(40):
            r = h.signed_post(self.proxy.endpoint, {"TableName": "nope-%d" % i, "Key": {"pk": {"S": "x"}}},
                              "DynamoDB_20120810.GetItem")
            self.assertEqual(r.status, 400)
        _, _, text = self.scrape()
        tables = set(re.findall(r'dynaudit_requests_total\{[^}]*table="([^"]*)"', text))
        # metrics_t is reserved by the config and unused here; two slots
        # are left for first-come names, then _other.
        self.assertEqual(tables, {"nope-0", "nope-1", "_other"})
        samples = parse_exposition(text)
        self.assertEqual(value(samples, "dynaudit_requests_total", operation="GetItem", table="_other",
                               decision="allow", outcome="forwarded", code="4xx"), 38)

    def test_a_real_prometheus_scrapes_the_same_numbers(self):
        prometheus = shutil.which("prometheus")
        self.assertIsNotNone(prometheus, "prometheus (Debian package) is installed by ./dev setup")
        self.drive()
        port = h.free_port()
        workdir = os.path.join(self.tmp, "prometheus")
        os.makedirs(workdir)
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                       "scrape_configs": [{"job_name": "dynaudit", "static_configs": [
                           {"targets": ["127.0.0.1:%d" % self.proxy.admin_port]}]}]}, f)
        proc = h._Process("prometheus", [prometheus, "--config.file=" + config,
                                         "--storage.tsdb.path=" + os.path.join(workdir, "data"),
                                         "--web.listen-address=127.0.0.1:%d" % port], workdir)
        self.addCleanup(proc.stop)

        def query(expr):
            url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
            with urllib.request.urlopen(url, timeout=5) as r:
                doc = json.load(r)
            self.assertEqual(doc["status"], "success", doc)
            return doc["data"]["result"]

        def ready():
            try:
                return bool(query('dynaudit_requests_total{operation="GetItem"}'))
            except OSError:
                return False

        h.wait_until(ready, timeout=60, what="Prometheus has scraped dynaudit\n" + proc.stderr_text()[-2000:])
        gets = query('sum(dynaudit_requests_total{operation="GetItem",outcome="forwarded"})')
        self.assertEqual(float(gets[0]["value"][1]), GETS)
        denied = query('sum(dynaudit_requests_total{decision="deny"})')
        self.assertEqual(float(denied[0]["value"][1]), 1)
        p50 = query('histogram_quantile(0.5, sum by (le) (dynaudit_request_duration_seconds_bucket{operation="GetItem"}))')
        seconds = float(p50[0]["value"][1])
        # A GetItem through the proxy to dynalite on loopback: above zero,
        # well under the 10 s the buckets reach.
        self.assertGreater(seconds, 0)
        self.assertLess(seconds, 1.0)
        up = query('up{job="dynaudit"}')
        self.assertEqual(up[0]["value"][1], "1")


class TopTest(h.IntegrationTest):
    """`dynaudit top` in a real terminal (tmux), refreshing while calls flow."""

    def test_top_shows_the_table_and_its_rate_under_tmux(self):
        tmux = shutil.which("tmux")
        self.assertIsNotNone(tmux, "tmux is installed by ./dev setup")
        proxy = self.start_dynaudit(self.start_dynalite(), overrides={"audit": {"durability": "async"}})
        socket = "dynaudit-top-%d" % os.getpid()
        url = "http://127.0.0.1:%d/metrics" % proxy.admin_port
        subprocess.run([tmux, "-L", socket, "new-session", "-d", "-x", "150", "-y", "40",
                        "%s top --url %s --interval 1s" % (h.dynaudit_bin(), url)], check=True, timeout=30)
        server_pid = int(subprocess.run([tmux, "-L", socket, "display-message", "-p", "#{pid}"],
                                        capture_output=True, text=True, check=True, timeout=30).stdout)
        self.addCleanup(self._stop_tmux, tmux, socket, server_pid)

        stop = time.monotonic() + 4.0
        statuses = []
        while time.monotonic() < stop:  # ~ GetItems on a table that does not exist: 400s, forwarded
            r = h.signed_post(proxy.endpoint, {"TableName": "top_t", "Key": {"pk": {"S": "x"}}},
                              "DynamoDB_20120810.GetItem")
            statuses.append(r.status)
        self.assertTrue(statuses and set(statuses) == {400}, set(statuses))

        def screen():
            return subprocess.run([tmux, "-L", socket, "capture-pane", "-p"], capture_output=True, text=True,
                                  check=True, timeout=30).stdout

        row = re.compile(r"^top_t\s+GetItem\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\S+)", re.M)
        h.wait_until(lambda: row.search(screen()), timeout=10, what="a top_t row on the screen")
        text = screen()
        m = row.search(text)
        calls, denied, client_errors, server_errors, p99 = m.groups()
        self.assertGreater(float(calls), 10, text)
        self.assertEqual(float(denied), 0, text)
        self.assertGreater(float(client_errors), 10, text)  # ResourceNotFoundException
        self.assertEqual(float(server_errors), 0, text)
        self.assertGreater(float(p99), 0, text)
        self.assertIn("proxy: ready", text)
        self.assertIn("audit: healthy", text)
        self.assertRegex(text, r"TABLE\s+OPERATION\s+CALLS/S")

    def _stop_tmux(self, tmux, socket, server_pid):
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True, timeout=30)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        os.kill(server_pid, signal.SIGKILL)


class WitnessAndMaskingMetricsTest(h.IntegrationTest):

    def test_witness_writes_masked_values_and_rule_evaluations_are_counted(self):
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write("rules:\n  - id: mask-card\n    when: {table: cards}\n"
                    "    mask: [{path: card, method: redact}]\n")
        witness = os.path.join(self.tmp, "witness.jsonl")
        dynalite = self.start_dynalite()
        proxy = self.start_dynaudit(dynalite, overrides={
            "rules": {"files": [rules_path]},
            "audit": {"durability": "sync", "witness": {"file": witness}}})
        steps = [
            {"name": "create", "op": "CreateTable", "params": {
                "TableName": "cards", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
            {"name": "wait", "op": "wait_active", "params": {"TableName": "cards"}}]
        steps += [{"name": "put%d" % i, "op": "PutItem", "params": {"TableName": "cards", "Item": {
            "pk": {"S": "k%d" % i}, "card": {"S": "4111111111111111"}}}} for i in range(3)]
        steps += [{"name": "scan", "op": "Scan", "params": {"TableName": "cards"}}]
        doc = h.run_client("boto3-default", proxy.endpoint, steps=steps)
        self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)

        def page():
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % proxy.admin_port, timeout=5) as r:
                return parse_exposition(r.read().decode())
        samples = page()
        self.assertEqual(value(samples, "dynaudit_masked_values_total"), 3)  # three cards in one Scan reply
        self.assertEqual(value(samples, "dynaudit_masked_replies_total"), 1)
        calls = sum(v for (n, _), v in samples.items() if n == "dynaudit_requests_total")
        self.assertEqual(value(samples, "dynaudit_rule_evaluations_total"), calls)
        # A checkpoint is witnessed at open and then each second while records flow.
        h.wait_until(lambda: (value(page(), "dynaudit_audit_witness_writes_total", result="written") or 0) >= 2,
                     timeout=10, what="witness writes counted")
        with open(witness) as f:
            lines = [line for line in f if line.strip()]
        self.assertGreaterEqual(len(lines), value(page(), "dynaudit_audit_witness_writes_total", result="written"))
        self.assertEqual(value(page(), "dynaudit_audit_witness_writes_total", result="failed"), 0)
        self.assertEqual(value(page(), "dynaudit_upstream_credential_refreshes_total", source="static", result="ok"), 0)


class PrincipalAllowlistTest(h.IntegrationTest):

    def test_only_listed_principals_are_named(self):
        proxy = self.start_dynaudit(self.start_dynalite(), overrides={
            "metrics": {"principals": [h.CLIENT_KEY[0]]}, "audit": {"durability": "async"}})
        for _ in range(3):  # trust mode: the principal is the access key the call claims
            h.signed_post(proxy.endpoint, {}, "DynamoDB_20120810.ListTables")
        h.signed_post(proxy.endpoint, {}, "DynamoDB_20120810.ListTables", key=("AKIDSOMEONEELSE", "x" * 40))
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % proxy.admin_port, timeout=5) as r:
            text = r.read().decode()
        samples = parse_exposition(text)
        self.assertEqual(value(samples, "dynaudit_principal_requests_total", principal=h.CLIENT_KEY[0],
                               decision="none", code="2xx"), 3)
        self.assertNotIn("AKIDSOMEONEELSE", text)


class CertificateExpiryTest(h.IntegrationTest):

    def test_each_tls_listener_reports_its_certificate_expiry(self):
        ca = h.TestCA(self.tmp)
        proxy = self.start_dynaudit(self.start_dynalite(), tls=ca)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % proxy.admin_port, timeout=5) as r:
            samples = parse_exposition(r.read().decode())
        enddate = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", ca.server_cert],
                                 capture_output=True, text=True, check=True).stdout.strip()
        not_after = calendar.timegm(time.strptime(enddate.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT"))
        self.assertEqual(value(samples, "dynaudit_tls_certificate_expiry_timestamp_seconds", listener="https"),
                         not_after)
        self.assertEqual(value(samples, "dynaudit_tls_handshakes_total", result="ok"), 0)
        h.signed_post(proxy.https_endpoint, {"TableName": "x", "Key": {"pk": {"S": "x"}}}, "DynamoDB_20120810.GetItem",
                      ssl_context=ca.ssl_context())
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % proxy.admin_port, timeout=5) as r:
            self.assertEqual(value(parse_exposition(r.read().decode()), "dynaudit_tls_handshakes_total", result="ok"), 1)
        names = {name for (name, labels) in samples if name == "dynaudit_tls_certificate_expiry_timestamp_seconds"}
        self.assertEqual(len([k for k in samples if k[0] in names]), 1, "the plain listener has no certificate")


if __name__ == "__main__":
    unittest.main()
