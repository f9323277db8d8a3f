"""Alerts from rules, delivered to real receivers on 127.0.0.1.

One dynaudit with six channels — generic webhook, Slack, Teams (all to a real
HTTP server), syslog over UDP and over TCP (real RFC 5424 receivers), a
JSON-lines file — and one that points at a webhook that accepts connections
and never answers. Each channel's payload is checked against the audit record
of the call that raised it; a rule's throttle caps what reaches its channel;
and a dead webhook does not slow requests down (p99 of calls that raise an
alert to it against calls that raise none, measured in the same run).
"""

import json
import os
import time
import unittest

import harness as h

TABLE = "watched"
QUIET = "quiet"


def alert_rule(rule_id, channel, operation="PutItem", table=TABLE, throttle=None, severity="high"):
    alert = {"channel": channel, "severity": severity,
             "message": "{principal} ran {operation} on {table} (rule {rule})"}
    if throttle:
        alert["throttle"] = throttle
    return {"id": rule_id, "when": {"operation": operation, "table": table},
            "alert": alert, "tags": ["soc2:cc7.2"]}


class AlertsTest(h.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.webhooks = h.WebhookReceiver()
        self.addCleanup(self.webhooks.stop)
        self.silent = h.SilentServer()
        self.addCleanup(self.silent.stop)
        self.udp = h.SyslogReceiver("udp")
        self.addCleanup(self.udp.stop)
        self.tcp = h.SyslogReceiver("tcp")
        self.addCleanup(self.tcp.stop)
        self.alert_file = os.path.join(self.tmp, "alerts.jsonl")
        channels = [
            {"name": "hook", "type": "webhook", "url": self.webhooks.url("/hook")},
            {"name": "slack", "type": "slack", "url": self.webhooks.url("/slack")},
            {"name": "teams", "type": "teams", "url": self.webhooks.url("/teams")},
            {"name": "syslog-udp", "type": "syslog-udp", "host": "127.0.0.1", "port": self.udp.port},
            {"name": "syslog-tcp", "type": "syslog-tcp", "host": "127.0.0.1", "port": self.tcp.port},
            {"name": "file", "type": "file", "path": self.alert_file},
            {"name": "dead", "type": "webhook", "url": self.silent.url(), "timeout": "2s",
             "max_attempts": 3, "queue_capacity": 10},
        ]
        rules = {"rules": [
            alert_rule("hook-put", "hook", throttle={"max": 2, "per": "1m"}),
            alert_rule("slack-put", "slack"),
            alert_rule("teams-put", "teams"),
            alert_rule("udp-put", "syslog-udp"),
            alert_rule("tcp-put", "syslog-tcp"),
            alert_rule("file-put", "file"),
            alert_rule("dead-get", "dead", operation="GetItem", throttle={"max": 100000, "per": "1m"}),
        ]}
        rules_path = os.path.join(self.tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            json.dump(rules, f)
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, overrides={
            "rules": {"files": [rules_path]}, "alerts": {"channels": channels}})
        steps = []
        for table in (TABLE, QUIET):
            steps += [{"name": "create-" + table, "op": "CreateTable", "params": {
                "TableName": table, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
                {"name": "wait-" + table, "op": "wait_active", "params": {"TableName": table}}]
        doc = h.run_client("boto3-default", self.proxy.endpoint, steps=steps)
        self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)

    def put(self, n):
        steps = [{"name": "put-%d" % i, "op": "PutItem",
                  "params": {"TableName": TABLE, "Item": {"pk": {"S": "k%d" % i}}}} for i in range(n)]
        doc = h.run_client("boto3-default", self.proxy.endpoint, steps=steps)
        self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)

    def put_records(self):
        return [r for r in h.audit_records(self.proxy.audit_path, "--operation", "PutItem")
                if r["requestParameters"].get("tableName") == TABLE
                or TABLE in json.dumps(r["requestParameters"])]

    def test_every_channel_gets_its_format(self):
        self.put(3)
        def file_lines():
            if not os.path.exists(self.alert_file):
                return 0
            with open(self.alert_file) as f:
                return len(f.readlines())

        h.wait_until(lambda: len(self.webhooks.received("/slack")) == 3 and len(self.webhooks.received("/teams")) == 3
                     and len(self.udp.received()) == 3 and len(self.tcp.received()) == 3
                     and file_lines() == 3,
                     timeout=20, what="alerts on every channel")
        event_ids = {r["eventID"] for r in self.put_records()}
        self.assertEqual(len(event_ids), 3)

        # Generic webhook: dynaudit's JSON, throttled to 2 by its rule.
        h.wait_until(lambda: len(self.webhooks.received("/hook")) == 2, timeout=10, what="2 webhook posts")
        time.sleep(0.5)
        hooks = self.webhooks.received("/hook")
        self.assertEqual(len(hooks), 2, "the rule's throttle allows 2 per minute")
        for post in hooks:
            body = post["json"]
            self.assertEqual(post["headers"].get("Content-Type"), "application/json")
            self.assertEqual(body["rule"], "hook-put")
            self.assertEqual(body["severity"], "high")
            self.assertEqual(body["operation"], "PutItem")
            self.assertEqual(body["tables"], [TABLE])
            self.assertEqual(body["tags"], ["soc2:cc7.2"])
            self.assertEqual(body["message"], "%s ran PutItem on %s (rule hook-put)" % (h.CLIENT_KEY[0], TABLE))
            self.assertIn(body["eventId"], event_ids)

        for post in self.webhooks.received("/slack"):
            body = post["json"]
            self.assertIn("slack-put", json.dumps(body))
            self.assertIn("ran PutItem on %s" % TABLE, body["text"])
            self.assertIsInstance(body["blocks"], list)

        for post in self.webhooks.received("/teams"):
            body = post["json"]
            self.assertEqual(body["@type"], "MessageCard")
            self.assertIn("ran PutItem on %s" % TABLE, json.dumps(body))

        for transport, messages in (("udp", self.udp.received()), ("tcp", self.tcp.received())):
            for line in messages:
                with self.subTest(syslog=transport):
                    # <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG; facility 13, high -> error (3)
                    self.assertRegex(line, r"^<107>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) \S+ dynaudit \S+ alert \[dynaudit@32473 ")
                    self.assertIn('rule="%s-put"' % transport, line)
                    self.assertIn("ran PutItem on %s" % TABLE, line)

        with open(self.alert_file) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual({l["rule"] for l in lines}, {"file-put"})
        self.assertEqual({l["eventId"] for l in lines}, event_ids)

        # The records name the rules that alerted.
        for r in self.put_records():
            self.assertIn("slack-put", r["additionalEventData"]["alertedRules"], r)

        status, body = self.proxy.admin_get("/alerts")
        self.assertEqual(status, 200)
        stats = json.loads(body)["channels"]
        self.assertEqual(stats["slack"]["delivered"], 3, stats)
        self.assertEqual(stats["hook"]["suppressed"], 1, stats)
        self.assertNotIn(self.webhooks.url("/slack"), body.decode(), "webhook URLs are secrets")

    def test_dead_webhook_does_not_slow_requests(self):
        # Calls that alert to a webhook that never answers, interleaved with
        # calls that alert nowhere: their latency distributions must match.
        def get(table):
            start = time.perf_counter()
            r = h.signed_post(self.proxy.endpoint, {"TableName": table, "Key": {"pk": {"S": "x"}}},
                              "DynamoDB_20120810.GetItem")
            elapsed = time.perf_counter() - start
            self.assertEqual(r.status, 200, r)
            return elapsed

        for _ in range(20):  # warm-up: connections, caches
            get(QUIET)
        dead, quiet = [], []
        for _ in range(300):
            dead.append(get(TABLE))
            quiet.append(get(QUIET))
        dead.sort()
        quiet.sort()
        p99_dead, p99_quiet = dead[296], quiet[296]
        p50_dead, p50_quiet = dead[150], quiet[150]
        print("p50 dead %.2f ms quiet %.2f ms; p99 dead %.2f ms quiet %.2f ms" % (
            p50_dead * 1e3, p50_quiet * 1e3, p99_dead * 1e3, p99_quiet * 1e3))
        # A blocking sink would add its 2 s timeout to every call.
        self.assertLess(p99_dead, max(2 * p99_quiet, p99_quiet + 0.02))
        self.assertLess(p50_dead, max(1.5 * p50_quiet, p50_quiet + 0.005))
        status, body = self.proxy.admin_get("/alerts")
        stats = json.loads(body)["channels"]["dead"]
        self.assertEqual(stats["submitted"], 300, stats)
        self.assertGreater(stats["dropped"], 250, stats)  # queue of 10, each attempt hangs 2 s
        self.assertEqual(stats["delivered"], 0, stats)
        drops = [r for r in self.proxy.log_records() if "drop" in json.dumps(r)]
        self.assertTrue(drops, "dropped alerts must be logged")


if __name__ == "__main__":
    unittest.main()
