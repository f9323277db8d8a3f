"""Hot reload of rules under continuous load.

Two client threads send GetItem calls without pause while the rule file is
replaced: no call may fail (each is answered 200 by the old rules or
AccessDeniedException by the new ones, never a 5xx or a dropped connection),
and once /rules reports the reload every call gets the new answer. A broken
file is refused: the old rules keep running and the admin endpoint and the
log say why. With file watching off, SIGHUP reloads.
"""

import json
import os
import signal
import threading
import time
import unittest

import harness as h

TABLE = "reload_t"
ALLOW_ALL = """
rules:
  - id: tag-reads
    when: {operation: GetItem}
    tags: ["sox:itgc"]
"""
DENY_GETS = """
rules:
  - id: deny-gets
    when: {operation: GetItem, table: reload_t}
    effect: deny
    message: "GetItem is closed for maintenance"
"""
BROKEN = """
rules:
  - id: deny-gets
    when: {operation: GetIten}
    effect: deny
"""


def replace_file(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class RulesReloadTest(h.IntegrationTest):

    def start(self, watch):
        self.rules_path = os.path.join(self.tmp, "rules.yaml")
        replace_file(self.rules_path, ALLOW_ALL)
        self.dynalite = self.start_dynalite()
        self.proxy = self.start_dynaudit(self.dynalite, overrides={
            "rules": {"files": [self.rules_path], "watch": watch, "watch_interval": "200ms"},
            "audit": {"durability": "async"}})
        doc = h.run_client("boto3-default", self.proxy.endpoint, steps=[
            {"name": "create", "op": "CreateTable", "params": {
                "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
            {"name": "wait", "op": "wait_active", "params": {"TableName": TABLE}}])
        self.assertFalse([r for r in doc["results"] if r.get("error_code")], doc)

    def get(self):
        return h.signed_post(self.proxy.endpoint, {"TableName": TABLE, "Key": {"pk": {"S": "x"}}},
                             "DynamoDB_20120810.GetItem")

    def rules_status(self):
        status, body = self.proxy.admin_get("/rules")
        self.assertEqual(status, 200)
        return json.loads(body)

    def test_reload_under_load_fails_no_request_and_refuses_a_broken_file(self):
        self.start(watch=True)
        results = []  # (monotonic time, status, __type)
        problems = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    r = self.get()
                    body = r.json()
                    results.append((time.monotonic(), r.status, body.get("__type", ""), body.get("message")))
                except Exception as e:  # a dropped connection is a failure
                    problems.append(repr(e))

        threads = [threading.Thread(target=load) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            replace_file(self.rules_path, DENY_GETS)
            h.wait_until(lambda: self.rules_status()["reloads"] == 1, timeout=10, what="reload")
            reloaded_at = time.monotonic()
            time.sleep(1.0)
            replace_file(self.rules_path, BROKEN)
            h.wait_until(lambda: self.rules_status()["failed_reloads"] == 1, timeout=10, what="failed reload")
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join()

        self.assertEqual(problems, [])
        self.assertGreater(len(results), 100, "the load should have kept going")
        for when, status, kind, message in results:
            if status == 200:
                self.assertLess(when, reloaded_at + 0.5, "old rules answered long after the reload")
            else:
                self.assertEqual((status, kind, message),
                                 (400, "com.amazon.coral.service#AccessDeniedException",
                                  "GetItem is closed for maintenance"))
        after = [r for r in results if r[0] > reloaded_at + 0.5]
        self.assertTrue(after)
        self.assertTrue(all(r[1] == 400 for r in after), "the new rules (and not the broken file) apply")
        self.assertTrue(any(r[1] == 200 for r in results), "the old rules answered before the reload")

        status = self.rules_status()
        self.assertFalse(status["last_attempt_ok"], status)
        self.assertEqual(status["rules"], 1, status)
        self.assertTrue(any("GetIten" in e for e in status["last_errors"]), status)
        logged = [r for r in self.proxy.log_records() if r.get("event") == "rules_reload"]
        self.assertTrue(any(r.get("ok") is False for r in logged), logged)
        self.assertTrue(any(r.get("ok") is True for r in logged), logged)

    def test_sighup_reloads_when_watching_is_off(self):
        self.start(watch=False)
        self.assertEqual(self.get().status, 200)
        replace_file(self.rules_path, DENY_GETS)
        time.sleep(1.0)
        self.assertEqual(self.get().status, 200, "no watching: the file change alone changes nothing")
        self.proxy.process.signal(signal.SIGHUP)
        h.wait_until(lambda: self.rules_status()["reloads"] == 1, timeout=10, what="SIGHUP reload")
        r = self.get()
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["message"], "GetItem is closed for maintenance")

        # A reload may not bring in a rule that alerts a channel that does not exist.
        replace_file(self.rules_path, "rules:\n  - id: page-someone\n    when: {operation: GetItem}\n"
                                      "    alert: {channel: pager}\n")
        self.proxy.process.signal(signal.SIGHUP)
        h.wait_until(lambda: self.rules_status()["failed_reloads"] == 1, timeout=10, what="refused reload")
        status = self.rules_status()
        self.assertTrue(any("alerts channel 'pager'" in e for e in status["last_errors"]), status)
        self.assertEqual(self.get().status, 400, "the old rules still run")


if __name__ == "__main__":
    unittest.main()
