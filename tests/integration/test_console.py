"""The investigators' console end to end (docs/console.md).

A real `dynaudit serve` in front of dynalite records calls made by boto3 as
alice and bob; `dynaudit console` reads the same store. In Debian's
headless Chromium (puppeteer-core) a viewer logs in with the keyboard,
searches by principal and table, opens a record, sees the pages at 1280 and
420 px, and logs out; every page loads nothing from elsewhere and logs no
error, and a screenshot of each is kept. Then the attacks, over plain HTTP:
a POST with a forged CSRF token, a tampered session cookie, a login form
without its token, a rebinding Host, and password guessing past the
throttle are all refused.
"""

import http.client
import json
import os
import re
import subprocess
import time
import unittest

import harness as h

TABLE = "customers"
ALICE = ("AKIDALICE", "alice-secret")
BOB = ("AKIDBOB", "bob-secret")
ARTIFACTS = os.path.join(h.REPO_ROOT, "build", "test-artifacts")
PASSWORD = "correct horse battery staple"


def client(endpoint, key):
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=h.REGION)
    return session.client("dynamodb", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))


class Browserless:
    """Plain HTTP to the console, keeping its cookies like a browser."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs.setdefault("Cookie", "; ".join("%s=%s" % kv for kv in self.cookies.items()))
        if body is not None:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read().decode()
            for name, value in r.getheaders():
                if name.lower() == "set-cookie":
                    k, v = value.split(";")[0].split("=", 1)
                    if v:
                        self.cookies[k] = v
                    else:
                        self.cookies.pop(k, None)
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            conn.close()

    def login(self, user, password):
        status, _, page = self.request("GET", "/login")
        token = re.search(r'name="login_token" value="([0-9a-f]+)"', page).group(1)
        from urllib.parse import urlencode
        return self.request("POST", "/login", urlencode({"login_token": token, "user": user, "password": password}))


@unittest.skipUnless(os.access("/usr/bin/chromium", os.X_OK), "needs Debian's chromium (./dev setup installs it)")
class ConsoleTest(h.IntegrationTest):

    def start_console(self, config_path, admin_port):
        ready = os.path.join(self.tmp, "console-ready.json")
        proc = h._Process("console", [h.dynaudit_bin(), "console", "--config", config_path, "--ready-file", ready,
                                      "--admin", "127.0.0.1:%d" % admin_port], self.tmp)
        self.addCleanup(proc.stop)
        h.wait_until(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0 or not proc.running(), timeout=20,
                     what="the console's ready file")
        self.assertTrue(proc.running(), proc.stderr_text())
        with open(ready) as f:
            return proc, json.load(f)["port"]

    def test_a_viewer_searches_opens_a_record_and_logs_out_and_attacks_are_refused(self):
        dynalite = self.start_dynalite()
        hashed = subprocess.run([h.dynaudit_bin(), "console", "hash-password"], input=PASSWORD + "\n",
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(hashed.returncode, 0, hashed.stderr)
        self.assertTrue(hashed.stdout.startswith("$argon2id$"), hashed.stdout)
        self.assertNotIn(PASSWORD, hashed.stdout)
        users = os.path.join(self.tmp, "console-users.yaml")
        with open(users, "w") as f:
            f.write('users:\n  - name: vera\n    role: viewer\n    password_hash: "%s"\n'
                    '  - name: ivan\n    role: investigator\n    password_hash: "%s"\n'
                    % (hashed.stdout.strip(), hashed.stdout.strip()))
        os.chmod(users, 0o600)
        token = os.path.join(self.tmp, "console-token")
        with open(token, "w") as f:
            f.write("c0ns0le-" + "7" * 40 + "\n")
        os.chmod(token, 0o600)
        seal_key = os.path.join(self.tmp, "seal.key")
        with open(seal_key, "w") as f:
            f.write("22" * 32 + "\n")
        os.chmod(seal_key, 0o600)
        webhooks = h.WebhookReceiver()
        self.addCleanup(webhooks.stop)
        rules = os.path.join(self.tmp, "rules.yaml")
        with open(rules, "w") as f:
            json.dump({"rules": [{"id": "bob-no-scan", "when": {"principal": "bob", "operation": "Scan"},
                                  "effect": "deny", "alert": {"channel": "hook", "severity": "high"}},
                                 {"id": "mask-email", "when": {"table": TABLE},
                                  "mask": [{"path": "email", "method": "email"}], "audit": "full"}]}, f)
        d = self.start_dynaudit(dynalite, mode="verify",
                                credentials=[(ALICE[0], ALICE[1], "alice", []), (BOB[0], BOB[1], "bob", [])],
                                overrides={"rules": {"files": [rules]},
                                           "alerts": {"channels": [{"name": "hook", "type": "webhook",
                                                                    "url": webhooks.url("/hook")}]},
                                           "audit": {"seal_key_file": seal_key,
                                                     "witness": {"file": os.path.join(self.tmp, "witness.jsonl")},
                                                     "checkpoint_active_interval": "200ms"},
                                           "discovery": {"persist_interval": "1s"},
                                           "console": {"port": 0, "users_file": users, "token_file": token,
                                                       "login_window": "3s"}})
        alice, bob = client(d.endpoint, ALICE), client(d.endpoint, BOB)
        alice.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        for i in range(5):
            alice.put_item(TableName=TABLE, Item={"pk": {"S": "c%d" % i}, "name": {"S": "n%d" % i},
                                                  "email": {"S": "jane.doe%d@example.com" % i}})
        alice.get_item(TableName=TABLE, Key={"pk": {"S": "c1"}})
        with self.assertRaises(Exception):
            bob.scan(TableName=TABLE)
        alice_records = h.audit_records(d.audit_path, "--principal", "alice", "--table", TABLE)
        time.sleep(1.5)   # discovery saves its inventory every second here
        self.assertEqual(len(alice_records), 7)

        console, port = self.start_console(d.config_path, d.admin_port)
        os.makedirs(ARTIFACTS, exist_ok=True)
        e2e = subprocess.run([h.NODE, os.path.join(h.CLIENTS, "console_e2e.js"), "http://127.0.0.1:%d" % port, "vera",
                              PASSWORD, "alice", TABLE, ARTIFACTS],
                             capture_output=True, text=True, timeout=180, cwd=h.REPO_ROOT)
        self.assertEqual(e2e.returncode, 0, e2e.stderr + console.stderr_text()[-2000:])
        seen = json.loads(e2e.stdout.strip().splitlines()[-1])
        self.assertEqual(seen["consoleErrors"], [], seen)
        self.assertEqual(seen["pageErrors"], [], seen)
        self.assertEqual(seen["foreignRequests"], [], seen)
        self.assertEqual(seen["failedRequests"], [], seen)
        self.assertEqual(seen["labels"], 0, "every control has a label")
        self.assertEqual(seen["tooWide"], {"search": [], "record": [], "narrow": [], "overview": [], "discovery": []},
                         seen["tooWide"])
        # The record's chain position names the checkpoint that covers it (or says none does yet).
        self.assertRegex(seen["record"]["Checkpoint"], r"^#\d+ at record \d+, ")
        self.assertTrue(seen["record"]["Witness"].startswith("witnessed: "), seen["record"])
        # Sensitive data: the e-mail addresses alice read, masked by the rule.
        self.assertIn([TABLE, "email", "email"], [row[:3] for row in seen["discovery"]], seen["discovery"])
        self.assertEqual([row[4] for row in seen["discovery"] if row[1] == "email"], ["mask-email"])
        # The overview: today's records (8 calls, one of them denied; the
        # rules' load; vera's login), the chart, bob's denied scan among the
        # recent denies, the rules' load.
        overview = seen["overview"]
        self.assertIn("10 records in 24 h", overview["cards"])
        self.assertIn("1 denied", overview["cards"])
        self.assertEqual(overview["bars"], 48)   # 24 hours, allowed and denied
        self.assertEqual(sum("bob Scan on " + TABLE in d for d in overview["denies"]), 2, overview)  # denied, alerted
        self.assertIn("Rules: loads and reloads", overview["sections"])
        self.assertTrue(any("start: applied, 2 rules in force, sha256:" in d for d in overview["denies"]), overview)
        self.assertTrue(seen["firstUrl"].endswith("/login"), seen)
        self.assertTrue(seen["afterLoginUrl"].endswith("/search"), seen)
        self.assertIn("principal=alice", seen["searchUrl"])
        # Exactly alice's calls on the table, newest first.
        self.assertEqual(len(seen["rows"]), len(alice_records), seen["rows"])
        self.assertTrue(all(row[1] == "alice" and row[3] == TABLE for row in seen["rows"]), seen["rows"])
        newest = max(alice_records, key=lambda r: (r["additionalEventData"]["eventTimeMs"],
                                                    r["additionalEventData"]["sequence"]))
        self.assertEqual(seen["record"]["Event ID"], newest["eventID"])
        self.assertIn(newest["eventID"], seen["recordUrl"])
        self.assertEqual(seen["record"]["Principal"], "alice")
        self.assertEqual(seen["record"]["Sequence"], str(newest["additionalEventData"]["sequence"]))
        self.assertTrue(seen["afterLogoutUrl"].endswith("/login"), seen)
        self.assertTrue(seen["afterLogoutSearchUrl"].endswith("/login"), seen)   # the session is gone
        for page in ("login", "search", "record", "search-420", "overview", "discovery"):
            self.assertGreater(os.path.getsize(os.path.join(ARTIFACTS, "console-%s.png" % page)), 5_000)

        # The live tail: a call through the proxy shows within a second.
        tail = subprocess.Popen([h.NODE, os.path.join(h.CLIENTS, "console_tail.js"), "http://127.0.0.1:%d" % port,
                                 "vera", PASSWORD, os.path.join(ARTIFACTS, "console-tail.png")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=h.REPO_ROOT)
        self.addCleanup(lambda: tail.poll() is None and tail.kill())
        self.assertEqual(tail.stdout.readline().strip(), "READY", tail.stderr.read() if tail.poll() else "")
        called = time.time()
        alice.get_item(TableName=TABLE, Key={"pk": {"S": "c2"}})
        out, err = tail.communicate(timeout=60)
        self.assertEqual(tail.returncode, 0, err)
        followed = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(followed["consoleErrors"], [], followed)
        self.assertEqual(followed["pageErrors"], [], followed)
        self.assertEqual(followed["foreignRequests"], [], followed)
        self.assertLess(followed["appearedAt"] / 1000.0 - called, 1.0, followed)
        newest_get = h.audit_records(d.audit_path, "--principal", "alice", "--operation", "GetItem")[-1]
        self.assertEqual(followed["first"]["eventId"], newest_get["eventID"])
        self.assertIn("alice GetItem on " + TABLE, followed["first"]["text"])
        self.assertGreater(os.path.getsize(os.path.join(ARTIFACTS, "console-tail.png")), 5_000)

        # The attacks.
        web = Browserless(port)
        status, headers, _ = web.login("vera", PASSWORD)
        self.assertEqual(status, 303)
        self.assertIn("HttpOnly", headers["set-cookie"])
        self.assertIn("SameSite=Strict", headers["set-cookie"])
        status, headers, page = web.request("GET", "/search?principal=bob&since=1h")
        self.assertEqual(status, 200)
        self.assertIn("default-src 'none'", headers["content-security-policy"])
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertIn(">deny<", page)                       # bob's denied scan is there
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        forged = ("0" if csrf[0] != "0" else "1") + csrf[1:]
        self.assertEqual(web.request("POST", "/logout", "csrf=" + forged)[0], 403)
        self.assertEqual(web.request("POST", "/logout", "")[0], 403)
        self.assertEqual(web.request("GET", "/search")[0], 200)   # still logged in: nothing happened
        session = web.cookies["dynaudit_session"]
        web.cookies["dynaudit_session"] = session[:-1] + ("0" if session[-1] != "0" else "1")
        status, headers, _ = web.request("GET", "/search")
        self.assertEqual((status, headers.get("location")), (303, "/login"))   # a tampered cookie is no session
        web.cookies["dynaudit_session"] = session
        self.assertEqual(web.request("GET", "/search", headers={"Host": "rebound.example:%d" % port})[0], 403)
        # A login form posted from elsewhere has no token that matches the cookie.
        other = Browserless(port)
        self.assertEqual(other.request("POST", "/login", "user=vera&password=" + PASSWORD.replace(" ", "+"))[0], 403)
        # Reveal: a viewer may not (refused, and recorded); an investigator
        # may, with a reason, and the reveal is a record before anything shows.
        sealed = [r for r in h.audit_records(d.audit_path, "--principal", "alice", "--operation", "PutItem")
                  if r["additionalEventData"].get("sealedValues")]
        self.assertEqual(len(sealed), 5, "the masked e-mail addresses are kept sealed")
        target = sealed[0]["eventID"]
        self.assertNotIn("jane.doe", json.dumps(sealed[0]))
        status, _, page = web.request("GET", "/record/" + target)
        self.assertEqual(status, 200)
        self.assertNotIn("/reveal", page)                   # no form for a viewer
        self.assertEqual(web.request("POST", "/record/%s/reveal" % target, "csrf=%s&reason=curious+about+it" % csrf)[0],
                         403)
        ivan = Browserless(port)
        self.assertEqual(ivan.login("ivan", PASSWORD)[0], 303)
        status, _, page = ivan.request("GET", "/record/" + target)
        self.assertIn('action="/record/%s/reveal"' % target, page)
        ivan_csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        self.assertEqual(ivan.request("POST", "/record/%s/reveal" % target, "csrf=" + ivan_csrf + "&reason=short")[0],
                         400)
        self.assertEqual(ivan.request("POST", "/record/%s/reveal" % target, "csrf=" + forged + "&reason=ticket+SEC-4711")[0],
                         403)
        status, _, page = ivan.request("POST", "/record/%s/reveal" % target,
                                       "csrf=" + ivan_csrf + "&reason=ticket+SEC-4711+suspected+leak")
        self.assertEqual(status, 200, page)
        self.assertRegex(page, r"jane\.doe\d@example\.com")
        reveals = h.audit_records(d.audit_path, "--operation", "RevealSealedValues")
        self.assertEqual([(r["userIdentity"]["principalId"], r["additionalEventData"]["outcome"]) for r in reveals],
                         [("console:vera", "refused"), ("console:ivan", "allowed")])
        self.assertEqual(reveals[1]["requestParameters"],
                         {"role": "investigator", "eventID": target, "reason": "ticket SEC-4711 suspected leak"})
        self.assertIn(reveals[1]["eventID"], page)
        self.assertNotIn("jane.doe", json.dumps(reveals))
        # ... and it is found in the console's own search.
        status, _, page = ivan.request("GET", "/search?since=1h&operation=RevealSealedValues&principal=console:ivan")
        self.assertIn(reveals[1]["eventID"], page)
        # Guessing (from this address now, for anyone): five wrong passwords, then even the right one waits.
        guesser = Browserless(port)
        for _ in range(5):
            self.assertEqual(guesser.login("vera", "wrong")[0], 401)
        self.assertEqual(guesser.login("vera", PASSWORD)[0], 429)
        logins = h.audit_records(d.audit_path, "--operation", "ConsoleLogin")
        self.assertIn(("console:vera", "allowed"),
                      [(r["userIdentity"]["principalId"], r["additionalEventData"]["outcome"]) for r in logins])
        self.assertEqual(len([r for r in logins if r["additionalEventData"]["outcome"] == "refused"]), 5)
        self.assertTrue(all(r["userIdentity"]["type"] == "dynaudit-console" for r in logins))

        self.assertEqual(web.request("POST", "/logout", "csrf=" + csrf)[0], 303)
        self.assertEqual(web.request("GET", "/search")[0], 303)
        self.assertTrue(h.audit_records(d.audit_path, "--operation", "ConsoleLogout"))
        # Without serve to record it, nobody gets in (once the throttle's
        # window has passed for this address).
        self.assertEqual(d.stop(), 0)
        time.sleep(3.2)
        self.assertEqual(Browserless(port).login("vera", PASSWORD)[0], 503)
        self.assertTrue(h.audit_verify(d.audit_path).returncode == 0)
        log = console.stderr_text()
        self.assertIn('"msg":"console: login failed"', log)
        self.assertIn('"msg":"console: login throttled"', log)
        self.assertIn('"msg":"console: refused a form without its CSRF token"', log)
        self.assertNotIn(PASSWORD, log)
        self.assertEqual(console.stop(), 0)

    def test_https_with_a_test_ca_and_plain_http_only_on_loopback(self):
        dynalite = self.start_dynalite()
        ca = h.TestCA(self.tmp, name="console-ca")
        hashed = subprocess.run([h.dynaudit_bin(), "console", "hash-password"], input=PASSWORD + "\n",
                                capture_output=True, text=True, timeout=60).stdout.strip()
        users = os.path.join(self.tmp, "console-users.yaml")
        with open(users, "w") as f:
            f.write('users:\n  - name: vera\n    password_hash: "%s"\n' % hashed)
        os.chmod(users, 0o600)
        token = os.path.join(self.tmp, "console-token")
        with open(token, "w") as f:
            f.write("t" * 40 + "\n")
        os.chmod(token, 0o600)
        d = self.start_dynaudit(dynalite, overrides={"console": {
            "port": 0, "users_file": users, "token_file": token,
            "tls_cert_file": ca.server_cert, "tls_key_file": ca.server_key}})
        console, port = self.start_console(d.config_path, d.admin_port)
        self.assertIn('"url":"https://127.0.0.1:', console.stderr_text())
        conn = http.client.HTTPSConnection("localhost", port, timeout=10, context=ca.ssl_context())
        conn.request("GET", "/login")
        r = conn.getresponse()
        page = r.read().decode()
        self.assertEqual(r.status, 200)
        self.assertIn("Secure", r.getheader("Set-Cookie"))
        login_token = re.search(r'name="login_token" value="([0-9a-f]+)"', page).group(1)
        cookie = r.getheader("Set-Cookie").split(";")[0]
        conn.request("POST", "/login", body="login_token=%s&user=vera&password=%s" % (login_token,
                                                                                     PASSWORD.replace(" ", "+")),
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 303)
        self.assertIn("Secure", r.getheader("Set-Cookie"))
        conn.close()
        # Plain HTTP to the HTTPS port gets no page.
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with self.assertRaises(Exception):
            plain.request("GET", "/login")
            plain.getresponse().read()
        plain.close()
        self.assertEqual(console.stop(), 0)
        # Without TLS, only a loopback address is accepted.
        open_config = os.path.join(self.tmp, "open.yaml")
        import yaml
        with open(d.config_path) as f:
            cfg = yaml.safe_load(f)
        cfg["console"] = {"address": "0.0.0.0", "port": 0, "users_file": users, "token_file": token}
        with open(open_config, "w") as f:
            yaml.safe_dump(cfg, f)
        refused = subprocess.run([h.dynaudit_bin(), "console", "--config", open_config, "--admin",
                                  "127.0.0.1:%d" % d.admin_port], capture_output=True, text=True, timeout=30)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("loopback address unless console.tls_cert_file", refused.stderr)


if __name__ == "__main__":
    unittest.main()
